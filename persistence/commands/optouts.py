"""Opt-outs: they belong to (organization, phone) and hold in every campaign.

Opting a phone out (by hand or by a STOP keyword) marks every conversation of
that phone in the organization, in one UPDATE, and moves the counters of every
touched campaign and slot in the same transaction. Opting in undoes it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from persistence.commands import audit
from persistence.commands.messaging import contribution_of
from persistence.outbox.notify import emit_conversation, emit_counts
from persistence.rules.channels import slot_row
from persistence.rules.status import Counts
from persistence.store.counters import apply_deltas
from persistence.store.models import Contact, Conversation, OptOut
from persistence.store.scope import Actor, conversation_for

__all__ = ["OptOutResult", "change_opt_out", "lock_phone_conversations", "opt_in", "opt_out", "set_opt_out"]


@dataclass(frozen=True, slots=True)
class OptOutResult:
    conversation: Conversation
    opted_out: bool
    conversations_updated: int


async def lock_phone_conversations(
    session: AsyncSession, organization_id: int, phone: str
) -> list[Conversation]:
    """Every conversation of ``phone`` in the organization, row-locked in id order.

    Always locking a phone's conversations together, in id order, before any
    single one of them is what keeps opt-outs, inbound texts and sends from
    deadlocking on PostgreSQL.
    """
    rows = await session.scalars(
        select(Conversation)
        .join(Contact, Contact.id == Conversation.contact_id)
        .where(Contact.organization_id == organization_id, Contact.phone == phone)
        .order_by(Conversation.id)
        .with_for_update(of=Conversation)
        # Re-read rows this session loaded before taking the lock.
        .execution_options(populate_existing=True)
    )
    return list(rows)


async def set_opt_out(
    session: AsyncSession,
    organization_id: int,
    phone: str,
    *,
    opted_out: bool,
    source: str,
    created_by: int | None,
    locked: Sequence[Conversation] | None = None,
) -> list[Conversation]:
    """Record (or clear) the phone's opt-out and apply it to all its conversations.

    Returns the conversations whose state changed. ``locked``: the phone's
    conversations, already locked by the caller (see ``lock_phone_conversations``).
    """
    conversations = (
        list(locked)
        if locked is not None
        else await lock_phone_conversations(session, organization_id, phone)
    )
    if opted_out:
        insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
        await session.execute(
            insert(OptOut)
            .values(organization_id=organization_id, phone=phone, source=source, created_by=created_by)
            .on_conflict_do_nothing(index_elements=[OptOut.organization_id, OptOut.phone])
        )
    else:
        await session.execute(
            delete(OptOut).where(OptOut.organization_id == organization_id, OptOut.phone == phone)
        )
    changed = [c for c in conversations if c.opted_out != opted_out]
    if not changed:
        return []
    # Inbox conversations (no campaign) have no counters and no campaign audit log.
    counted = [c for c in changed if c.campaign_id is not None]
    before: dict[int, dict[int, Counts]] = defaultdict(lambda: defaultdict(Counts))
    after: dict[int, dict[int, Counts]] = defaultdict(lambda: defaultdict(Counts))
    for c in counted:
        before[c.campaign_id][slot_row(c.assigned_to)] += contribution_of(c)  # type: ignore[index]
    await session.execute(
        update(Conversation)
        .where(Conversation.id.in_([c.id for c in changed]))
        .values(opted_out=opted_out)
        .execution_options(synchronize_session="evaluate")
    )
    for c in counted:
        after[c.campaign_id][slot_row(c.assigned_to)] += contribution_of(c)  # type: ignore[index]
    for campaign_id in sorted(before):
        slots = before[campaign_id]
        deltas = {slot: after[campaign_id][slot] - slots[slot] for slot in slots}
        await apply_deltas(session, campaign_id, deltas)
        emit_counts(session, campaign_id, deltas)
    for c in changed:
        emit_conversation(session, c)
    for campaign_id in sorted(before):
        ids = sorted(c.id for c in changed if c.campaign_id == campaign_id)
        action = "opt_out" if opted_out else "opt_in"
        audit.record(session, campaign_id, created_by, action, {"conversation_ids": ids, "source": source})
    return changed


async def change_opt_out(
    session: AsyncSession, actor: Actor, conversation_id: int, *, opted_out: bool
) -> OptOutResult:
    """Opt the conversation's contact out (or back in), by hand: sweepers and the assigned sender."""
    conversation, _campaign = await conversation_for(session, actor, conversation_id)
    contact = await session.get_one(Contact, conversation.contact_id)
    changed = await set_opt_out(
        session,
        actor.organization_id,
        contact.phone,
        opted_out=opted_out,
        source="manual",
        created_by=actor.user_id,
    )
    return OptOutResult(conversation, opted_out, len(changed))


async def opt_out(session: AsyncSession, actor: Actor, conversation_id: int) -> OptOutResult:
    return await change_opt_out(session, actor, conversation_id, opted_out=True)


async def opt_in(session: AsyncSession, actor: Actor, conversation_id: int) -> OptOutResult:
    return await change_opt_out(session, actor, conversation_id, opted_out=False)
