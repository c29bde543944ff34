"""Acting on presence during a shift: rebalancing from offline senders, "done for today".

Both are bulk moves of :mod:`persistence.commands.reassign`: they take the
campaign's bulk-move lock, move with :func:`~persistence.commands.reassign.execute_plan`
(so the counters, the ``reassigned`` events and the division rule are those of a
reassignment) and write the audit log in the same transaction.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from persistence.commands import audit
from persistence.commands.reassign import MoveResult, execute_plan, preview_plan, serialize_moves
from persistence.rules.channels import Slot, slot_key
from persistence.rules.errors import Conflict, PermissionDenied
from persistence.rules.reassignment import Plan, Sources
from persistence.store.models import CampaignSender, ConversationCount
from persistence.store.scope import Actor, campaign_for, require_sweeper

__all__ = ["Rebalance", "move_waiting", "online_targets", "rebalance", "release", "waiting_by_sender"]


@dataclass(slots=True)
class Rebalance:
    """A rebalance's answer: the move, and in a preview who gives how many to whom."""

    result: MoveResult
    moves: list[tuple[Slot, Slot, int]] = field(default_factory=list)
    dry_run: bool = False

    def to_json(self) -> dict[str, Any]:
        out = self.result.to_json()
        if self.dry_run:
            out["dry_run"] = True
            out["moves"] = [{"from": old, "to": new, "count": n} for old, new, n in self.moves]
        return out


async def waiting_by_sender(session: AsyncSession, campaign_id: int) -> dict[int, int]:
    """Each sender of the campaign and how many replies wait for them."""
    cs, cc = CampaignSender, ConversationCount
    rows = await session.execute(
        select(cs.user_id, cc.needs_reply)
        .select_from(cs)
        .outerjoin(cc, (cc.campaign_id == cs.campaign_id) & (cc.slot == cs.user_id))
        .where(cs.campaign_id == campaign_id)
    )
    return {int(uid): int(n or 0) for uid, n in rows.all()}


def online_targets(waiting: dict[int, int], online: Collection[int]) -> list[int]:
    """The online senders, the fewest replies waiting first (they get the extra ones)."""
    return sorted((uid for uid in waiting if uid in online), key=lambda uid: (waiting[uid], uid))


def _plan(sources: frozenset[int], targets: list[int]) -> Plan:
    return Plan(sources=Sources(sources, False), targets=tuple(targets), status="needs_reply", limit=None)


async def move_waiting(
    session: AsyncSession, campaign_id: int, sources: frozenset[int], targets: list[int]
) -> MoveResult:
    """Move the waiting replies of ``sources`` to ``targets``, evenly (the caller holds the move lock)."""
    return await execute_plan(session, campaign_id, _plan(sources, targets))


async def rebalance(
    session: AsyncSession, actor: Actor, campaign_id: int, online: Collection[int], *, dry_run: bool
) -> Rebalance:
    """Move the waiting replies of offline senders to the online ones, evenly.

    The online senders with the fewest replies waiting come first in the
    division, so they get the extra ones (the counts differ by at most one).
    A ``dry_run`` plans the same move and tells it without moving anything.

    Raises:
        PermissionDenied: the actor is a sender.
        NotFound: no such campaign in the actor's organization.
        Conflict: no sender of the campaign is online (``no_online_senders``).
    """
    require_sweeper(actor)
    await campaign_for(session, actor, campaign_id)
    await serialize_moves(session, campaign_id)
    waiting = await waiting_by_sender(session, campaign_id)
    targets = online_targets(waiting, online)
    if not targets:
        raise Conflict("No sender of this campaign is online to take the replies.", code="no_online_senders")
    offline = frozenset(uid for uid in waiting if uid not in online)
    if not offline:
        return Rebalance(MoveResult(0, {slot_key(t): 0 for t in targets}), [], dry_run)
    if dry_run:
        moves = await preview_plan(session, campaign_id, _plan(offline, targets))
        per_target = {slot_key(t): sum(n for _, new, n in moves if new == t) for t in targets}
        return Rebalance(MoveResult(sum(per_target.values()), per_target), moves, True)
    result = await move_waiting(session, campaign_id, offline, targets)
    if result.moved:
        detail = {"from": sorted(offline), **result.to_json()}
        audit.record(session, campaign_id, actor.user_id, "rebalance", detail)
    return Rebalance(result)


async def release(session: AsyncSession, actor: Actor, campaign_id: int) -> MoveResult:
    """A sender's "done for today": their waiting and not-started conversations go to the pool.

    Raises:
        NotFound: no such campaign the actor can see.
        PermissionDenied: the actor is not a sender of the campaign.
    """
    await campaign_for(session, actor, campaign_id)
    await serialize_moves(session, campaign_id)
    member = await session.scalar(
        select(CampaignSender.user_id).where(
            CampaignSender.campaign_id == campaign_id, CampaignSender.user_id == actor.user_id
        )
    )
    if member is None:
        raise PermissionDenied("Only a sender of this campaign has conversations to give back.")
    moved = 0
    for status in ("needs_reply", "not_started"):
        plan = Plan(Sources(frozenset({actor.user_id}), False), (None,), status, None)
        moved += (await execute_plan(session, campaign_id, plan)).moved
    result = MoveResult(moved, {slot_key(None): moved})
    if moved:
        audit.record(session, campaign_id, actor.user_id, "release", result.to_json())
    return result
