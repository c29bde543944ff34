"""Inbound texts: routing, idempotence, opt-out keywords, and the status columns.

The webhook has already checked the signature and found the organization by
the ``To`` number; :func:`receive_inbound` runs in one transaction, so a text
is stored completely or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import urlsplit

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from persistence.commands.messaging import (
    Outbound,
    apply_conversation_deltas,
    contribution_of,
    emit_message,
    slot_delta,
)
from persistence.commands.opt_out_message import is_opted_out, queue_opt_out_message
from persistence.commands.optouts import lock_phone_conversations, set_opt_out
from persistence.commands.scheduled import drop_drip_steps
from persistence.outbox.notify import emit_conversation, iso
from persistence.rules.keywords import OPT_IN_KEYWORDS, OPT_OUT_KEYWORDS, Keyword, keyword
from persistence.rules.phones import normalize_phone
from persistence.store.models import Conversation, Message, UnmatchedInbound
from persistence.store.scope import Actor, require_sweeper
from persistence.store.types import utcnow

__all__ = [
    "OPT_IN_KEYWORDS",
    "OPT_OUT_KEYWORDS",
    "InboundResult",
    "InboundSms",
    "Keyword",
    "Outcome",
    "inbound_media",
    "keyword",
    "list_unmatched",
    "pick_conversation",
    "receive_inbound",
    "safe_media_urls",
    "seen_before",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

Outcome = Literal["stored", "duplicate", "unmatched"]


@dataclass(frozen=True, slots=True)
class InboundSms:
    organization_id: int
    from_: str
    to: str
    body: str
    message_sid: str
    media_urls: list[str] = field(default_factory=list)
    # MediaContentTypeN, in the order of media_urls ("" when the provider gave none).
    media_types: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class InboundResult:
    outcome: Outcome
    conversation_id: int | None = None
    message_id: int | None = None
    keyword: Keyword | None = None
    # The organization's opt-out message, queued: hand it to the provider after commit.
    opt_out_message: Outbound | None = None


def safe_media_urls(urls: list[str]) -> list[str]:
    """The ``http``/``https`` URLs among ``urls`` (pure).

    Pages render media as links: a ``javascript:`` or ``data:`` URL from a
    webhook would run in the reader's session, so it is never stored.
    """
    kept = []
    for url in urls:
        url = url.strip()
        try:
            parts = urlsplit(url)
        except ValueError:  # e.g. a malformed IPv6 host
            continue
        if parts.scheme.lower() in ("http", "https") and parts.netloc:
            kept.append(url)
    return kept


def inbound_media(urls: list[str], types: list[str]) -> list[dict[str, str]]:
    """The message's media list: each safe URL with its content type (pure).

    A type that is not a plain ``type/subtype`` is dropped to "" (the pages then
    show a link), so nothing from the webhook reaches a page unchecked.
    """
    kept = []
    for n, url in enumerate(urls):
        if not safe_media_urls([url]):
            continue
        kind = (types[n] if n < len(types) else "").strip().lower()
        main, _, sub = kind.partition("/")
        plain = main.isalpha() and sub.replace("-", "").replace(".", "").replace("+", "").isalnum()
        kept.append({"url": url.strip(), "content_type": kind[:100] if plain else ""})
    return kept


def pick_conversation(conversations: list[Conversation]) -> Conversation | None:
    """The one texted most recently; never-texted ones only when none was texted (pure)."""
    if not conversations:
        return None
    return max(
        conversations,
        key=lambda c: (c.last_outbound_at is not None, c.last_outbound_at or _EPOCH, c.id),
    )


async def seen_before(session: AsyncSession, organization_id: int, message_sid: str) -> bool:
    in_messages = exists().where(
        Message.organization_id == organization_id, Message.provider_message_id == message_sid
    )
    in_unmatched = exists().where(UnmatchedInbound.provider_message_id == message_sid)
    return bool(await session.scalar(select(in_messages | in_unmatched)))


async def receive_inbound(session: AsyncSession, sms: InboundSms) -> InboundResult:
    """Store one inbound text; a MessageSid seen before changes nothing.

    Concurrent deliveries of the same MessageSid are stopped by the unique
    constraints: one commits, the other raises IntegrityError (the caller
    answers it as a duplicate).
    """
    phone = normalize_phone(sms.from_)
    kw = keyword(sms.body)
    conversations = await lock_phone_conversations(session, sms.organization_id, phone) if phone else []
    # Checked after the lock: a concurrent delivery of the same text to the same
    # phone has committed by now, so on PostgreSQL it is seen here, not as an error.
    if await seen_before(session, sms.organization_id, sms.message_sid):
        return InboundResult("duplicate")
    target = pick_conversation(conversations)
    now = utcnow()
    if target is None:
        session.add(
            UnmatchedInbound(
                organization_id=sms.organization_id,
                from_phone=(phone or sms.from_)[:40],
                to_phone=sms.to[:40],
                body=sms.body,
                media_urls=safe_media_urls(sms.media_urls),
                provider_message_id=sms.message_sid,
                received_at=now,
            )
        )
        await session.flush()
        if kw is not None and phone is not None:
            # The opt-out is the phone's, whether or not a campaign texted it yet.
            await _apply_keyword(session, sms, phone, kw, conversations)
        return InboundResult("unmatched", keyword=kw)

    before = contribution_of(target)
    target.has_replied = True
    target.last_inbound_at = now
    target.last_message_at = now
    # A new text brings an archived conversation back to the lists.
    target.archived = False
    if kw == "opt_out":
        target.needs_reply = False
        target.needs_reply_since = None
    elif kw is None:
        target.needs_reply = True
        # The earliest unanswered text is how long the contact has been waiting.
        target.needs_reply_since = target.needs_reply_since or now
    # The contact wrote: drips stop, in every conversation with this phone.
    await drop_drip_steps(session, conversations)
    message = Message(
        organization_id=sms.organization_id,
        conversation_id=target.id,
        direction="inbound",
        body=sms.body,
        media_urls=safe_media_urls(sms.media_urls),
        media=inbound_media(sms.media_urls, sms.media_types) or None,
        provider_message_id=sms.message_sid,
        delivery_status="received",
        created_at=now,
    )
    session.add(message)
    await session.flush()
    await apply_conversation_deltas(session, target, slot_delta(target, before))
    emit_message(session, target, message)
    changed: list[Conversation] = []
    confirmation: Outbound | None = None
    if kw is not None and phone is not None:
        # Read under the phone's lock: of two STOPs at once, only the first finds it opted in.
        newly_out = kw == "opt_out" and not await is_opted_out(session, sms.organization_id, phone)
        changed = await _apply_keyword(session, sms, phone, kw, conversations)
        if newly_out:
            confirmation = await queue_opt_out_message(session, target, sms.organization_id, phone)
    if target not in changed:
        emit_conversation(session, target)
    return InboundResult("stored", target.id, message.id, kw, confirmation)


async def _apply_keyword(
    session: AsyncSession, sms: InboundSms, phone: str, kw: Keyword, locked: list[Conversation]
) -> list[Conversation]:
    return await set_opt_out(
        session,
        sms.organization_id,
        phone,
        opted_out=kw == "opt_out",
        source="keyword",
        created_by=None,
        locked=locked,
    )


async def list_unmatched(
    session: AsyncSession, actor: Actor, *, limit: int = 50, before: int | None = None
) -> list[dict[str, Any]]:
    """The organization's texts that matched no conversation, newest first (sweepers).

    ``before``: the smallest ``id`` of the previous page.
    """
    require_sweeper(actor)
    stmt = select(UnmatchedInbound).where(UnmatchedInbound.organization_id == actor.organization_id)
    if before is not None:
        stmt = stmt.where(UnmatchedInbound.id < before)
    rows = await session.scalars(stmt.order_by(UnmatchedInbound.id.desc()).limit(limit))
    return [
        {
            "id": u.id,
            "from": u.from_phone,
            "to": u.to_phone,
            "body": u.body,
            "media_urls": list(u.media_urls or []),
            "message_sid": u.provider_message_id,
            "received_at": iso(u.received_at),
        }
        for u in rows
    ]
