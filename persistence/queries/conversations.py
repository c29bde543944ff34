"""The Admin Messenger: conversation lists with tabs, search, sorts and keyset
paging, and the view of one conversation.

A conversation whose status is ``sent`` (texted, never answered, not opted
out) is listed nowhere except the Follow-ups tab; it stays in the export.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Select, and_, func, or_, select, tuple_
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
from persistence.store.list_keys import follow_up_keys, name_keys, recent_keys, reply_keys, slot_keys
from persistence.store.models import Campaign, Contact, Conversation, Message, OptOut, Organization, User
from persistence.store.scope import Actor, campaign_for, conversation_for
from persistence.store.types import utcnow

from .tabs import tab_filter

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
_Kind = Literal["int", "dt", "str"]
_Key = tuple[ColumnElement[Any], bool, _Kind]  # expression, descending, kind


@dataclass(frozen=True, slots=True)
class Page:
    rows: list[dict[str, Any]]
    next_cursor: str | None


def _typed(keys: list[tuple[ColumnElement[Any], bool]], kinds: str) -> list[_Key]:
    kind_of: dict[str, _Kind] = {"i": "int", "d": "dt", "s": "str"}
    return [(expr, desc, kind_of[k]) for (expr, desc), k in zip(keys, kinds, strict=True)]


def _keys(tab: str | None, sort: str, slot: bool) -> list[_Key]:
    # The expressions the indexes of persistence.store.list_keys are made of;
    # a slot's (one sender's, the pool's) own list is read through the slot
    # indexes, except for the needs-reply order, which they hold.
    c = Conversation
    if tab == "initial":
        return [(c.id.expression, False, "int")]  # upload order
    if tab == "follow_ups":
        keys, kinds = follow_up_keys(c), "di"
    elif sort == "recent":
        keys, kinds = recent_keys(c), "di"
    elif sort == "az":
        keys, kinds = name_keys(Contact), "ssi"
    else:
        return _typed(reply_keys(c), "iddi")
    return _typed(slot_keys(keys) if slot else keys, kinds)


def _encode(signature: str, values: list[Any]) -> str:
    plain = [iso(v) if isinstance(v, datetime) else v for v in values]
    raw = json.dumps({"s": signature, "v": plain}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str, signature: str, keys: list[_Key]) -> list[Any]:
    bad = InvalidInput(
        "The cursor is not valid for this list; start again without it.", code="invalid_cursor"
    )
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        values = data["v"]
        if data["s"] != signature or not isinstance(values, list) or len(values) != len(keys):
            raise bad
        out: list[Any] = []
        for value, (_expr, _desc, kind) in zip(values, keys, strict=True):
            if kind == "dt":
                moment = datetime.fromisoformat(value)
                if moment.tzinfo is None:
                    raise bad
                out.append(moment)
            elif kind == "int":
                if isinstance(value, bool) or not isinstance(value, int) or not -(2**63) <= value < 2**63:
                    raise bad
                out.append(value)
            else:
                if not isinstance(value, str) or not storable(value):
                    raise bad
                out.append(value)
        return out
    except (ValueError, TypeError, KeyError, binascii.Error, UnicodeDecodeError):
        raise bad from None


def _after(keys: list[_Key], values: list[Any]) -> ColumnElement[bool]:
    """Rows strictly after ``values`` in the keys' order (mixed directions allowed).

    The leading keys that share a direction are also bounded as one row value,
    which an index on them seeks to instead of reading every earlier row.
    """
    clauses: list[ColumnElement[bool]] = []
    for i, (expr, desc, _kind) in enumerate(keys):
        equal = [keys[j][0] == values[j] for j in range(i)]
        step = expr < values[i] if desc else expr > values[i]
        clauses.append(and_(*equal, step))
    first = keys[0][1]
    same = 1
    while same < len(keys) and keys[same][1] == first:
        same += 1
    if same == len(keys):
        left, right = tuple_(*(k[0] for k in keys)), tuple_(*values)
        return left < right if first else left > right
    prefix, bound = tuple_(*(k[0] for k in keys[:same])), tuple_(*values[:same])
    return and_(prefix <= bound if first else prefix >= bound, or_(*clauses))


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
) -> tuple[Select[Any, *tuple[Any, ...]], list[_Key], str]:
    """The SELECT of one page's ids and sort keys (one row more than ``limit``), its keys, its signature."""
    c = Conversation
    where: list[ColumnElement[bool]] = [c.campaign_id == campaign.id, tab_filter(tab, campaign, utcnow())]
    if sender == UNASSIGNED_KEY:
        where.append(c.assigned_to.is_(None))
    elif sender is not None:
        where.append(c.assigned_to == sender)
    needs_contact = False
    if search is not None and not storable(search):
        raise InvalidInput("'search' has characters that cannot be searched for.")
    if search and search.strip():
        needle = f"%{_escape_like(search.strip().lower())}%"
        where.append(func.lower(Contact.first_name + " " + Contact.last_name).like(needle, escape="\\"))
        needs_contact = True
    else:
        # Archived conversations leave the lists; a search still finds them.
        where.append(c.archived.is_(False))
    keys = _keys(tab, sort, sender is not None)
    if sort == "az" and tab not in ("initial", "follow_ups"):
        needs_contact = True
    if needs_contact:
        # Implied by the join, but said so the name index (campaign, names) applies.
        where.append(Contact.campaign_id == campaign.id)
    # "2": A-Z ends on the contact id now; an older cursor is refused, not misread.
    signature = f"{campaign.id}:{tab}:{sort}:2"
    if cursor:
        where.append(_after(keys, _decode(cursor, signature, keys)))
    # Pick the page's ids first, joining contacts only when a filter or key
    # needs them: on a big campaign the join then touches one page of rows.
    picked = select(c.id.label("picked_id"), *(expr.label(f"k{i}") for i, (expr, _d, _k) in enumerate(keys)))
    if needs_contact:
        picked = picked.join(Contact, Contact.id == c.contact_id)
    page = (
        picked.where(*where)
        .order_by(*(expr.desc() if desc else expr.asc() for expr, desc, _kind in keys))
        .limit(limit + 1)
    )
    return page, keys, signature


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
        .order_by(
            *(key.desc() if desc else key.asc() for key, (_e, desc, _k) in zip(page_keys, keys, strict=True))
        )
    )
    result = (await session.execute(stmt)).all()
    redact = await _redacts(session, actor.organization_id)
    rows = [_row(r[0], r[1], r[2], r[3], redact) for r in result[:limit]]
    next_cursor = None
    if len(result) > limit:
        last = result[limit - 1]
        next_cursor = _encode(signature, list(last[4:]))
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
