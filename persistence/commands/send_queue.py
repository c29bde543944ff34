"""The send queue: the ``queued`` message rows are the jobs.

An instance takes the oldest due text of an organization with
:func:`claim_next` right before it calls the provider: the row is locked with
``FOR UPDATE SKIP LOCKED`` (PostgreSQL; SQLite has one writer) and leased
until ``delivery_attempt_at``, so no other instance takes it meanwhile, and
any instance takes it over once the lease ran out (its holder died). The
outcome is written by :func:`record_sent`, :func:`record_retry` or
:func:`record_failed`; each change of ``delivery_status`` is a ``message``
event.

Where a crash can make a text go out twice: between the provider's answer
and the commit of ``sent`` (one round trip to the database). A text claimed
but not yet sent when its instance dies waits out the lease and is sent by
another instance, once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from persistence.commands.messaging import emit_message
from persistence.commands.receipts import apply_receipts, carrier_actions, emit_delivery
from persistence.outbox.record import write_with_events
from persistence.rules.delivery import MAX_TRIES, backoff_seconds, describe_error
from persistence.store.models import (
    Campaign,
    Contact,
    Conversation,
    DeliveryReceipt,
    Message,
    OptOut,
    Organization,
)
from persistence.store.write import Write

__all__ = [
    "Claimed",
    "claim_next",
    "due_organizations",
    "queue_depth",
    "queue_depths",
    "record_failed",
    "record_retry",
    "record_sent",
    "release",
]


@dataclass(frozen=True, slots=True)
class Claimed:
    """A text taken from the queue, with what its provider call needs."""

    message_id: int
    organization_id: int
    conversation_id: int
    campaign_id: int | None  # None: an inbox conversation
    to: str
    from_: str | None
    body: str
    media_urls: tuple[str, ...]
    tries: int
    provider_kind: str
    account_sid: str | None
    auth_token_encrypted: str | None
    messaging_service_sid: str | None
    # What the last check before the provider call reads (server/delivery.may_send):
    # the campaign's texting hours (stored form), whether the contact has written
    # (answers go at any hour), the opt-out message, a current opt-out.
    texting_hours: dict[str, str] | None = None
    answering: bool = False
    automatic: bool = False
    opted_out: bool = False
    # A practice campaign: sent to the simulator whatever the organization's provider.
    practice: bool = False
    # Uploaded media (MMS): the provider fetches each from a signed URL (server/media_links.py).
    media_ids: tuple[int, ...] = ()


def _due(now: datetime) -> list[object]:
    return [
        Message.delivery_status == "queued",
        or_(Message.not_before.is_(None), Message.not_before <= now),
        or_(Message.delivery_attempt_at.is_(None), Message.delivery_attempt_at <= now),
    ]


async def due_organizations(session: AsyncSession, now: datetime) -> list[int]:
    """Organizations with at least one text that may be sent now."""
    rows = await session.scalars(
        select(Message.organization_id).where(and_(*_due(now))).distinct()  # type: ignore[arg-type]
    )
    return sorted(rows)


async def claim_next(
    session: AsyncSession, organization_id: int, *, now: datetime, lease: timedelta
) -> Claimed | None:
    """The organization's oldest due text, leased to the caller until ``now + lease``; None when none."""
    opted_out = exists().where(OptOut.organization_id == organization_id, OptOut.phone == Contact.phone)
    stmt = (
        select(
            Message,
            Conversation.campaign_id,
            Contact.phone,
            Organization.sending_number,
            Organization.provider_kind,
            Organization.twilio_account_sid,
            Organization.twilio_auth_token_encrypted,
            Organization.messaging_service_sid,
            Campaign.texting_hours,
            Campaign.practice,
            Conversation.has_replied,
            or_(Conversation.opted_out, opted_out),
        )
        .join(Conversation, Conversation.id == Message.conversation_id)
        .join(Contact, Contact.id == Conversation.contact_id)
        # Outer: an inbox conversation has no campaign (no texting hours, never practice).
        .outerjoin(Campaign, Campaign.id == Conversation.campaign_id)
        .join(Organization, Organization.id == Message.organization_id)
        .where(Message.organization_id == organization_id, *_due(now))  # type: ignore[arg-type]
        .order_by(Message.id)
        .limit(1)
        .with_for_update(of=Message, skip_locked=True)
    )
    row = (await session.execute(stmt)).one_or_none()
    if row is None:
        return None
    message, campaign_id, phone, number, kind, sid, token, service, hours, practice, replied, out = row
    message.delivery_attempt_at = now + lease
    await session.flush()
    return Claimed(
        message_id=message.id,
        organization_id=organization_id,
        conversation_id=message.conversation_id,
        campaign_id=campaign_id,
        to=phone,
        from_=number,
        body=message.body,
        media_urls=tuple(message.media_urls or ()),
        tries=message.send_attempts,
        provider_kind=kind,
        account_sid=sid,
        auth_token_encrypted=token,
        messaging_service_sid=service,
        texting_hours=hours,
        answering=bool(replied),
        automatic=bool(message.automatic),
        opted_out=bool(out),
        practice=bool(practice),
        media_ids=tuple(int(item["id"]) for item in message.media or () if "id" in item),
    )


_LOCKED_WITH_CONVERSATION = (
    select(
        Message,
        Conversation,
        # Receipts that came before the provider's answer (rare): only then are they read.
        exists()
        .where(
            DeliveryReceipt.organization_id == Message.organization_id,
            DeliveryReceipt.provider_message_id == bindparam("sid"),
            DeliveryReceipt.applied_at.is_(None),
        )
        .label("early_receipts"),
    )
    .join(Conversation, Conversation.id == Message.conversation_id)
    .where(Message.id == bindparam("m"))
    .with_for_update(of=Message)
    .execution_options(populate_existing=True)
)


# What the provider's answer changes on the message, built once on the table.
_messages = cast(Table, Message.__table__)
_MESSAGE_SENT = (
    update(_messages)
    .where(_messages.c.id == bindparam("sent_message"))
    .values(
        provider_message_id=bindparam("sent_sid"),
        delivery_attempt_at=None,
        delivery_status=bindparam("sent_status"),
    )
)


async def _locked(session: AsyncSession, message_id: int) -> Message | None:
    return await session.scalar(
        select(Message)
        .where(Message.id == message_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


async def record_sent(session: AsyncSession, message_id: int, provider_message_id: str) -> Message | None:
    """The provider took the text: ``sent``, its id stored, early receipts applied."""
    # The conversation comes with the message (its event needs it): one round trip, not two.
    row = (
        await session.execute(_LOCKED_WITH_CONVERSATION, {"m": message_id, "sid": provider_message_id})
    ).one_or_none()
    if row is None:
        return None
    message, conversation, early_receipts = row
    changes: dict[str, Any] = {"provider_message_id": provider_message_id, "delivery_attempt_at": None}
    if message.delivery_status == "queued":
        changes["delivery_status"] = "sent"
    # The object takes the values as stored: one statement stores them with the event.
    for column, value in changes.items():
        set_committed_value(message, column, value)
    if "delivery_status" in changes:
        emit_message(session, conversation, message)
    await write_with_events(
        session,
        Write(
            _MESSAGE_SENT,
            {
                "sent_message": message.id,
                "sent_sid": provider_message_id,
                "sent_status": message.delivery_status,
            },
        ),
    )
    if early_receipts:
        await apply_receipts(session, message.organization_id, provider_message_id, locked=message)
    return message


async def record_retry(
    session: AsyncSession, message_id: int, error_code: str, *, now: datetime, backoff_base: float
) -> Message | None:
    """A throttled (or unreached) try: the text stays ``queued`` and waits; the last try fails it."""
    message = await _locked(session, message_id)
    if message is None or message.delivery_status != "queued":
        return message
    message.send_attempts += 1
    if message.send_attempts >= MAX_TRIES:
        return await record_failed(session, message_id, error_code, locked=message)
    message.not_before = now + timedelta(seconds=backoff_seconds(message.send_attempts, base=backoff_base))
    message.delivery_attempt_at = None
    await session.flush()
    return message


async def record_failed(
    session: AsyncSession,
    message_id: int,
    error_code: str,
    error_message: str | None = None,
    *,
    locked: Message | None = None,
) -> Message | None:
    """The provider refused the text (or it may not be sent any more): ``failed`` with the error.

    A refusal with ``21610`` opts the phone out, as the same code on a receipt does.
    """
    message = locked or await _locked(session, message_id)
    if message is None or message.delivery_status != "queued":
        return message
    message.delivery_status = "failed"
    message.error_code = error_code
    message.error_message = error_message or describe_error(error_code)
    message.delivery_attempt_at = None
    await session.flush()
    await emit_delivery(session, message)
    await carrier_actions(session, message, error_code)
    return message


async def release(session: AsyncSession, message_id: int) -> None:
    """Give a claimed text back untried (shutting down): any instance may take it at once."""
    await session.execute(
        update(Message)
        .where(Message.id == message_id, Message.delivery_status == "queued")
        .values(delivery_attempt_at=None)
    )


async def queue_depth(session: AsyncSession, organization_id: int) -> int:
    """How many of the organization's texts are queued."""
    depth = await session.scalar(
        select(func.count())
        .select_from(Message)
        .where(Message.organization_id == organization_id, Message.delivery_status == "queued")
    )
    return int(depth or 0)


async def queue_depths(session: AsyncSession) -> dict[int, int]:
    """Queued texts per organization, for the organizations that have any."""
    rows = await session.execute(
        select(Message.organization_id, func.count())
        .where(Message.delivery_status == "queued")
        .group_by(Message.organization_id)
    )
    return {org: int(n) for org, n in rows.all()}
