"""The Admin Messenger: conversation lists with tabs, search, sorts and keyset
paging, and the view of one conversation.

A conversation whose status is ``sent`` (texted, never answered, not opted
out) is listed nowhere except the Follow-ups tab; it stays in the export.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from persistence.commands.consent import consent_sent_at
from persistence.commands.messaging import message_data
from persistence.commands.surveys import survey_of
from persistence.outbox.notify import iso
from persistence.rules.channels import UNASSIGNED_KEY
from persistence.rules.errors import InvalidInput, PermissionDenied
from persistence.rules.phones import mask_phone
from persistence.rules.status import derive_status
from persistence.rules.text import storable
from persistence.store.list_keys import Keys, follow_up_keys, name_keys, recent_keys, reply_keys, slot_keys
from persistence.store.models import Campaign, Contact, Conversation, Message, OptOut, Organization, User
from persistence.store.scope import Actor, campaign_for, conversation_for
from persistence.store.types import utcnow

from .keyset import Key, columns, decode, encode, merge, order_by, ranges, typed
from .tabs import tab_filter
from .untabbed import untabbed_page

__all__ = [
    "MAX_LIMIT",
    "SORTS",
    "TABS",
    "Page",
    "SenderFilter",
    "conversation_status",
    "conversation_view",
    "list_conversations",
    "page_query",
]

TABS = ("initial", "responses", "follow_ups", "opt_outs")
SORTS = ("needs_reply", "recent", "az")
MAX_LIMIT = 500

SenderFilter = int | Literal["unassigned"] | None


@dataclass(frozen=True, slots=True)
class Page:
    rows: list[dict[str, Any]]
    next_cursor: str | None


def _order(tab: str | None, sort: str) -> tuple[Callable[[Any], Keys], str, bool]:
    """A list's keys (a function of the row), their kinds, and whether a slot's list reads them as is.

    The keys are the expressions the indexes of persistence.store.list_keys are
    made of; a slot's (one sender's, the pool's) own list is read through the
    slot indexes (``slot_keys``), except in upload and needs-reply order, which
    they hold.
    """
    if tab == "initial":
        return (lambda c: [(c.id.expression, False)]), "i", True  # upload order
    if tab == "follow_ups":
        return follow_up_keys, "di", False
    if sort == "recent":
        return recent_keys, "di", False
    if sort == "az":
        return (lambda _c: name_keys(Contact)), "ssi", False
    return reply_keys, "iddi", True


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def _redacts(session: AsyncSession, organization_id: int) -> bool:
    value = await session.scalar(select(Organization.redact_phones).where(Organization.id == organization_id))
    return bool(value)


def page_query(
    campaign: Campaign,
    *,
    sender: SenderFilter,
    tab: str | None,
    search: str | None,
    sort: str,
    limit: int,
    cursor: str | None,
) -> tuple[Select[Any, *tuple[Any, ...]], list[Key], str]:
    """The SELECT of one page's ids and sort keys (one row more than ``limit``), its keys, its signature."""
    c = Conversation
    if search is not None and not storable(search):
        raise InvalidInput("'search' has characters that cannot be searched for.")
    needle = (search or "").strip().lower()
    keys_of, kinds, as_is = _order(tab, sort)
    keys = typed(slot_keys(keys_of(c)) if sender is not None and not as_is else keys_of(c), kinds)
    # "2": A-Z ends on the contact id now; an older cursor is refused, not misread.
    signature = f"{campaign.id}:{tab}:{sort}:2"
    values = decode(cursor, signature, keys) if cursor else None
    if tab is None and sender is None and not needle and sort != "az":
        # No index holds this list in these orders (it has every fresh upload): merge its parts'.
        return untabbed_page(campaign.id, keys_of, kinds, values, limit), keys, signature
    where: list[ColumnElement[bool]] = [c.campaign_id == campaign.id, tab_filter(tab, campaign, utcnow())]
    if sender == UNASSIGNED_KEY:
        where.append(c.assigned_to.is_(None))
    elif sender is not None:
        where.append(c.assigned_to == sender)
    needs_contact = False
    if needle:
        pattern = f"%{_escape_like(needle)}%"
        where.append(func.lower(Contact.first_name + " " + Contact.last_name).like(pattern, escape="\\"))
        needs_contact = True
    else:
        # Archived conversations leave the lists; a search still finds them.
        where.append(c.archived.is_(False))
    if sort == "az" and tab not in ("initial", "follow_ups"):
        needs_contact = True
    if needs_contact:
        # Implied by the join, but said so the name index (campaign, names) applies.
        where.append(Contact.campaign_id == campaign.id)
    # Pick the page's ids first, joining contacts only when a filter or key
    # needs them: on a big campaign the join then touches one page of rows.
    picked = select(c.id.label("picked_id"), *columns(keys))
    if needs_contact:
        picked = picked.join(Contact, Contact.id == c.contact_id)
    parts = [picked.where(*where, *r.where).order_by(*r.order).limit(limit + 1) for r in ranges(keys, values)]
    return merge(parts, keys, limit), keys, signature


async def list_conversations(
    session: AsyncSession,
    actor: Actor,
    campaign_id: int,
    *,
    sender: SenderFilter = None,
    tab: str | None = None,
    search: str | None = None,
    sort: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> Page:
    """One page of the campaign's conversations, as the Admin Messenger lists them.

    A sender may only list their own (``sender`` left out or their own id).
    """
    if tab is not None and tab not in TABS:
        raise InvalidInput(f"'tab' must be one of {', '.join(TABS)}.", code="invalid_tab")
    if sort is not None and sort not in SORTS:
        raise InvalidInput(f"'sort' must be one of {', '.join(SORTS)}.", code="invalid_sort")
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"'limit' must be between 1 and {MAX_LIMIT}.")
    campaign = await campaign_for(session, actor, campaign_id)
    if not actor.is_sweeper:
        if sender not in (None, actor.user_id):
            raise PermissionDenied("Senders may only list their own conversations.")
        sender = actor.user_id
    picked, keys, signature = page_query(
        campaign,
        sender=sender,
        tab=tab,
        search=search,
        sort=sort or "needs_reply",
        limit=limit,
        cursor=cursor,
    )
    page = picked.subquery("page")
    c = Conversation
    page_keys = [page.c[f"k{i}"] for i in range(len(keys))]
    stmt = (
        select(c, Contact.first_name, Contact.last_name, Contact.phone, *page_keys)
        .join(page, page.c.picked_id == c.id)
        .join(Contact, Contact.id == c.contact_id)
        .order_by(*order_by(page_keys, keys))
    )
    result = (await session.execute(stmt)).all()
    redact = await _redacts(session, actor.organization_id)
    rows = [_row(r[0], r[1], r[2], r[3], redact) for r in result[:limit]]
    next_cursor = None
    if len(result) > limit:
        last = result[limit - 1]
        next_cursor = encode(signature, list(last[4:]))
    return Page(rows, next_cursor)


def conversation_status(conversation: Conversation) -> str:
    """The derived status of a loaded conversation (persistence/rules/status.py)."""
    return derive_status(
        initial_sent=conversation.initial_sent_at is not None,
        has_replied=conversation.has_replied,
        needs_reply=conversation.needs_reply,
        opted_out=conversation.opted_out,
    )


def _row(conversation: Conversation, first: str, last: str, phone: str, redact: bool) -> dict[str, Any]:
    status = conversation_status(conversation)
    return {
        "id": conversation.id,
        "contact": {"first_name": first, "last_name": last, "phone": mask_phone(phone) if redact else phone},
        "sender_id": conversation.assigned_to,
        "status": status,
        "needs_reply": status == "needs_reply",
        "last_message_at": iso(conversation.last_message_at),
        "archived": conversation.archived,
    }


async def conversation_view(session: AsyncSession, actor: Actor, conversation_id: int) -> dict[str, Any]:
    """The thread (oldest first), survey, contact, opt-out state and assignment of one conversation."""
    conversation, campaign = await conversation_for(session, actor, conversation_id)
    contact = await session.get_one(Contact, conversation.contact_id)
    redact = await _redacts(session, actor.organization_id)
    messages = list(
        await session.scalars(
            select(Message).where(Message.conversation_id == conversation.id).order_by(Message.id)
        )
    )
    opt_out = await session.scalar(
        select(OptOut).where(OptOut.organization_id == actor.organization_id, OptOut.phone == contact.phone)
    )
    sender = await session.get(User, conversation.assigned_to) if conversation.assigned_to else None
    # Who wrote each outbound text and note: the sender, or a sweeper on their behalf.
    author_ids = {m.sender_id for m in messages if m.sender_id is not None}
    authors: list[User] = (
        list(await session.scalars(select(User).where(User.id.in_(author_ids)))) if author_ids else []
    )
    status = conversation_status(conversation)
    return {
        "id": conversation.id,
        "campaign_id": campaign.id if campaign is not None else None,
        "archived": conversation.archived,
        # When the phone got the organization's consent message (inbox texts send it first).
        "consent": {"sent_at": iso(await consent_sent_at(session, actor.organization_id, contact.phone))},
        "status": status,
        "needs_reply": status == "needs_reply",
        "last_message_at": iso(conversation.last_message_at),
        "contact": {
            "id": contact.id,
            "first_name": contact.first_name,
            "last_name": contact.last_name,
            "phone": mask_phone(contact.phone) if redact else contact.phone,
            "extra": dict(contact.extra or {}),
        },
        "sender": (
            {"id": sender.id, "first_name": sender.first_name, "last_name": sender.last_name}
            if sender is not None
            else None
        ),
        "assigned_to": conversation.assigned_to,
        "opted_out": conversation.opted_out,
        # The phone's organization-wide opt-out: how and when it happened.
        "opt_out": {
            "opted_out": opt_out is not None or conversation.opted_out,
            "source": opt_out.source if opt_out is not None else None,
            "created_at": iso(opt_out.created_at) if opt_out is not None else None,
        },
        "survey": await survey_of(session, campaign.id, conversation.id) if campaign is not None else [],
        "messages": [message_data(m) for m in messages],
        "authors": {
            str(u.id): {"first_name": u.first_name, "last_name": u.last_name, "role": u.role} for u in authors
        },
    }
