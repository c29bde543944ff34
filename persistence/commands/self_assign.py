"""Self-assignment: a sender takes unassigned, not-started conversations.

One ``WITH picked AS (SELECT ... FOR UPDATE SKIP LOCKED) UPDATE ... RETURNING id``:
on PostgreSQL two senders asking at once lock disjoint rows (each skips what
the other holds) and never wait on each other; SQLite serializes writers. The
locked rows are re-checked against the filter, so a conversation someone else
took a moment ago is never taken again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from persistence.commands.reassign import lock_senders
from persistence.outbox.notify import emit_counts, emit_reassigned
from persistence.rules.campaign import refusal
from persistence.rules.channels import UNASSIGNED
from persistence.rules.errors import InvalidInput, PermissionDenied
from persistence.rules.status import Counts
from persistence.store.counters import apply_deltas
from persistence.store.models import Conversation
from persistence.store.scope import Actor, campaign_for

__all__ = ["SELF_ASSIGN_CAP", "SelfAssigned", "self_assign"]

# At most this many conversations per request: a sender asks again when done,
# so one eager sender cannot empty the pool for everyone else.
SELF_ASSIGN_CAP = 100


@dataclass(frozen=True, slots=True)
class SelfAssigned:
    conversation_ids: list[int]

    def to_json(self) -> dict[str, Any]:
        return {"count": len(self.conversation_ids), "conversation_ids": self.conversation_ids}


async def self_assign(session: AsyncSession, actor: Actor, campaign_id: int, count: int) -> SelfAssigned:
    """``POST /api/campaigns/{cid}/self-assign`` ``{"count": n}``.

    Takes up to ``min(n, SELF_ASSIGN_CAP)`` unassigned, not-started, not
    opted-out conversations in upload order; fewer (maybe none) when the pool
    has fewer.

    Raises:
        InvalidInput: ``count`` is not a positive whole number.
        NotFound: no such campaign in the actor's organization.
        PermissionDenied: not a sender of the campaign (``not_a_sender``), or the
            campaign does not allow self-assignment (``self_assign_disabled``).
        Locked: the campaign is not active (``rules.campaign.refusal``).
    """
    if count < 1:
        raise InvalidInput("'count' must be a positive whole number.", code="invalid_count")
    count = min(count, SELF_ASSIGN_CAP)
    campaign = await campaign_for(session, actor, campaign_id)
    # Shared lock on the membership: a removal of this sender waits for us.
    if not await lock_senders(session, campaign_id, only=actor.user_id):
        raise PermissionDenied("Only senders of this campaign may take conversations.", code="not_a_sender")
    if not campaign.self_assign:
        raise PermissionDenied(
            "This campaign does not allow senders to assign themselves conversations.",
            code="self_assign_disabled",
        )
    refused = refusal(campaign.status)
    if refused is not None:
        raise refused
    c = Conversation
    available = (
        c.campaign_id == campaign_id,
        c.assigned_to.is_(None),
        c.initial_sent_at.is_(None),
        c.opted_out.is_(False),
    )
    # A CTE runs once; a locking sub-select under IN may be re-run by the
    # planner and hand out more rows than asked for.
    pick = (
        select(c.id)
        .where(*available)
        .order_by(c.id)
        .limit(count)
        .with_for_update(skip_locked=True)
        .cte("picked")
    )
    result = await session.scalars(
        update(c)
        .where(c.id == pick.c.id, *available)
        .values(assigned_to=actor.user_id)
        .returning(c.id)
        .execution_options(synchronize_session=False)
    )
    ids = sorted(result.all())
    if ids:
        # Every row taken matched the filter when it was locked: one assigned,
        # not-started conversation each.
        each = Counts(assigned=len(ids), not_started=len(ids))
        await apply_deltas(session, campaign_id, {UNASSIGNED: -each, actor.user_id: each})
        emit_reassigned(session, campaign_id, ids, None, actor.user_id)
        emit_counts(session, campaign_id, [UNASSIGNED, actor.user_id])
    return SelfAssigned(ids)
