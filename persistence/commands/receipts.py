"""Delivery receipts: the provider's status callbacks, stored raw, then applied.

:func:`store_receipt` keeps the callback as it came, in its own transaction,
before anything reads it. :func:`apply_receipts` then moves the message
forward only (``persistence/rules/delivery.py``) and marks the receipts
applied: a replayed or late callback changes nothing. A callback that beat
the send's answer (no message carries its id yet) stays unapplied until
:func:`~persistence.commands.send_queue.record_sent` stores the id, which
applies it; :func:`apply_pending` catches the ones that raced that commit.

Carrier errors act here: ``21610`` opts the phone out in the organization,
``30007`` is counted on the campaign and told live to its overview.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from persistence.commands.messaging import emit_message
from persistence.commands.optouts import set_opt_out
from persistence.outbox.record import emit
from persistence.rules.channels import campaign_channel
from persistence.rules.delivery import FILTERED_CODE, OPT_OUT_CODE, moves_forward, receipt_outcome, status_of
from persistence.store.models import Campaign, Contact, Conversation, DeliveryReceipt, Message
from persistence.store.types import utcnow

__all__ = ["apply_pending", "apply_receipts", "carrier_actions", "emit_delivery", "store_receipt"]


async def store_receipt(
    session: AsyncSession,
    organization_id: int,
    provider_message_id: str,
    status: str,
    error_code: str | None,
    raw: dict[str, Any],
) -> DeliveryReceipt:
    """Keep one status callback as it came (not applied yet)."""
    receipt = DeliveryReceipt(
        organization_id=organization_id,
        provider_message_id=provider_message_id,
        status=status.strip().lower()[:20],
        error_code=(error_code or None),
        raw=raw,
        received_at=utcnow(),
    )
    session.add(receipt)
    await session.flush()
    return receipt


async def emit_delivery(session: AsyncSession, message: Message) -> None:
    """The ``message`` event for a changed ``delivery_status`` (same message ``id``)."""
    conversation = await session.get_one(Conversation, message.conversation_id)
    emit_message(session, conversation, message)


async def carrier_actions(session: AsyncSession, message: Message, error_code: str | None) -> None:
    """What a carrier error does beyond the message: opt the phone out, count filtering."""
    if error_code not in (OPT_OUT_CODE, FILTERED_CODE):
        return
    conversation = await session.get_one(Conversation, message.conversation_id)
    if error_code == OPT_OUT_CODE:
        phone = await session.scalar(select(Contact.phone).where(Contact.id == conversation.contact_id))
        if phone is not None:
            await set_opt_out(
                session, message.organization_id, phone, opted_out=True, source="carrier", created_by=None
            )
        return
    if conversation.campaign_id is None:
        return  # the filtered count is a campaign overview's; an inbox has none
    count = await session.scalar(
        update(Campaign)
        .where(Campaign.id == conversation.campaign_id)
        .values(carrier_filtered=Campaign.carrier_filtered + 1)
        .returning(Campaign.carrier_filtered)
    )
    emit(
        session,
        campaign_channel(conversation.campaign_id),
        "carrier_filtered",
        {"campaign_id": conversation.campaign_id, "carrier_filtered": int(count or 0)},
    )


async def apply_receipts(
    session: AsyncSession, organization_id: int, provider_message_id: str, *, locked: Message | None = None
) -> Message | None:
    """Apply the unapplied receipts of one provider id, in arrival order; None if no message has it yet.

    ``locked``: the message, already locked by this transaction with that
    provider id (saves reading it again).
    """
    message = locked or await session.scalar(
        select(Message)
        .where(Message.organization_id == organization_id, Message.provider_message_id == provider_message_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if message is None:
        return None
    receipts = (
        await session.scalars(
            select(DeliveryReceipt)
            .where(
                DeliveryReceipt.organization_id == organization_id,
                DeliveryReceipt.provider_message_id == provider_message_id,
                DeliveryReceipt.applied_at.is_(None),
            )
            .order_by(DeliveryReceipt.id)
            .with_for_update()
        )
    ).all()
    now = utcnow()
    for receipt in receipts:
        receipt.applied_at = now
        status = status_of(receipt.status)
        if status is None:
            continue
        outcome = receipt_outcome(status, receipt.error_code)
        if not moves_forward(message.delivery_status, outcome.status):
            continue
        message.delivery_status = outcome.status
        message.error_code = outcome.error_code
        message.error_message = outcome.error_message
        await session.flush()
        await emit_delivery(session, message)
        await carrier_actions(session, message, receipt.error_code)
    await session.flush()
    return message


async def apply_pending(session: AsyncSession, *, limit: int = 100) -> int:
    """Apply receipts whose message id was stored after they came; how many ids were applied."""
    rows = (
        await session.execute(
            select(DeliveryReceipt.organization_id, DeliveryReceipt.provider_message_id)
            .join(
                Message,
                (Message.organization_id == DeliveryReceipt.organization_id)
                & (Message.provider_message_id == DeliveryReceipt.provider_message_id),
            )
            .where(DeliveryReceipt.applied_at.is_(None))
            .distinct()
            .limit(limit)
        )
    ).all()
    for organization_id, sid in rows:
        await apply_receipts(session, organization_id, sid)
    return len(rows)
