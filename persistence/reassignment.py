"""Moving conversations between senders and the Unassigned pool, set-based.

A move is a few SQL statements whatever its size, never a loop over rows:

1. (PostgreSQL) pick the conversations and lock them ``FOR UPDATE`` in id
   order. Every mover locks in the same order, so two moves of the same rows
   wait for each other instead of deadlocking.
2. Number the picked rows in pick order (``row_number()``), map ``rank % k`` to
   the k-th target with a ``CASE``, and aggregate them by (old slot, new slot):
   counts for the counters and ids for the ``reassigned`` events.
3. ``UPDATE ... FROM`` the same numbered set.

On PostgreSQL steps 2 and 3 read the locked ids again *with the source and
status filters*: a row that a concurrent move took while we waited no longer
matches and is left alone, so nothing moves twice and the counters stay right.
SQLite serializes writers (``BEGIN IMMEDIATE``), so it needs no lock.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    BigInteger,
    Integer,
    and_,
    any_,
    case,
    cast,
    delete,
    func,
    literal,
    null,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from .counters import UNASSIGNED, apply_deltas
from .errors import InvalidInput, NotFound
from .models import CampaignSender, Conversation
from .notify import emit_conversation, emit_counts, emit_reassigned
from .reassign_plan import Plan, Slot, Sources, parse_request, plan_move, slot_key
from .scope import Actor, campaign_for, conversation_for, require_sweeper
from .status import Counts, contribution

__all__ = [
    "EVENT_CHUNK",
    "MoveResult",
    "execute_plan",
    "lock_senders",
    "reassign",
    "reassign_conversation",
    "remove_sender",
]

# A ``reassigned`` event names at most this many conversations; a bigger move
# between one pair of slots is told in several events, so no frame grows
# without bound.
EVENT_CHUNK = 5_000


@dataclass(slots=True)
class MoveResult:
    """What a move did: the contract's ``{"moved", "per_target"}``."""

    moved: int = 0
    per_target: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"moved": self.moved, "per_target": dict(self.per_target)}


def _slot(value: Slot) -> int:
    return UNASSIGNED if value is None else value


def _in_slots(sources: Sources) -> ColumnElement[bool]:
    c = Conversation
    parts: list[ColumnElement[bool]] = []
    if sources.senders:
        parts.append(c.assigned_to.in_(sorted(sources.senders)))
    if sources.pool:
        parts.append(c.assigned_to.is_(None))
    return or_(*parts)


def _source_filter(plan: Plan) -> ColumnElement[bool]:
    if plan.sources is not None:
        return _in_slots(plan.sources)
    # Every slot except the targets.
    senders = frozenset(t for t in plan.targets if t is not None)
    everyone_else: list[ColumnElement[bool]] = []
    if None not in plan.targets:
        everyone_else.append(Conversation.assigned_to.is_(None))
    if senders:
        everyone_else.append(Conversation.assigned_to.not_in(sorted(senders)))
    else:
        everyone_else.append(Conversation.assigned_to.is_not(None))
    return or_(*everyone_else)


def _status_filter(plan: Plan) -> list[ColumnElement[bool]]:
    c = Conversation
    # Opted-out conversations move only with "any".
    if plan.status == "needs_reply":
        return [c.needs_reply.is_(True), c.opted_out.is_(False)]
    if plan.status == "not_started":
        return [c.initial_sent_at.is_(None), c.opted_out.is_(False)]
    return []


def pick_order() -> list[ColumnElement[Any]]:
    """Needs-reply longest-waiting first, then not-started by upload order, then the rest by id."""
    c = Conversation
    waiting = c.needs_reply.is_(True) & c.opted_out.is_(False)
    fresh = c.initial_sent_at.is_(None) & c.opted_out.is_(False)
    bucket = case((waiting, 0), (fresh, 1), else_=2)
    since = case((waiting, c.needs_reply_since), else_=None)
    return [bucket, since.asc().nulls_last(), c.id.expression]


def _target_expr(rank: ColumnElement[Any], targets: Sequence[Slot]) -> ColumnElement[Any]:
    def value(slot: Slot) -> ColumnElement[Any]:
        return cast(null(), BigInteger) if slot is None else literal(slot, BigInteger)

    if len(targets) == 1:
        return value(targets[0])
    position = (rank - 1) % literal(len(targets), Integer)
    return case({i: value(t) for i, t in enumerate(targets)}, value=position)


def _numbered(plan: Plan, campaign_id: int, locked_ids: Sequence[int] | None) -> Any:
    """The picked rows, each with its old and new slot and what it counts for."""
    c = Conversation
    where: list[ColumnElement[bool]] = [
        c.campaign_id == campaign_id,
        _source_filter(plan),
        *_status_filter(plan),
    ]
    if locked_ids is not None:
        where.append(c.id == any_(literal(list(locked_ids), ARRAY(BigInteger))))
    order = pick_order()
    rank = func.row_number().over(order_by=order)
    stmt = select(
        c.id.label("id"),
        c.assigned_to.label("old"),
        _target_expr(rank, plan.targets).label("new"),
        c.initial_sent_at.is_not(None).label("started"),
        c.needs_reply.label("needs_reply"),
        c.opted_out.label("opted_out"),
    ).where(*where)
    if locked_ids is None and plan.limit is not None:
        stmt = stmt.order_by(*order).limit(plan.limit)
    return stmt.subquery("picked")


async def _lock(session: AsyncSession, plan: Plan, campaign_id: int) -> list[int]:
    """PostgreSQL: lock the picked conversations in id order; their ids."""
    c = Conversation
    picked = select(c.id).where(c.campaign_id == campaign_id, _source_filter(plan), *_status_filter(plan))
    if plan.limit is not None:
        picked = picked.order_by(*pick_order()).limit(plan.limit)
    stmt = select(c.id).where(c.id.in_(picked.scalar_subquery())).order_by(c.id).with_for_update()
    return list((await session.scalars(stmt)).all())


def _flag(condition: ColumnElement[Any]) -> ColumnElement[Any]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


async def execute_plan(session: AsyncSession, campaign_id: int, plan: Plan) -> MoveResult:
    """Move what ``plan`` picks, keep the counters right and queue the events.

    The caller has checked the plan against the campaign (see ``lock_senders``).
    """
    dialect = session.get_bind().dialect.name
    locked: list[int] | None = None
    if dialect == "postgresql":
        locked = await _lock(session, plan, campaign_id)
        if not locked:
            return _result(plan, {})
    picked = _numbered(plan, campaign_id, locked)
    ids = func.array_agg(picked.c.id) if dialect == "postgresql" else func.group_concat(picked.c.id)
    summary = select(
        picked.c.old,
        picked.c.new,
        func.count(),
        _flag(~picked.c.started & ~picked.c.opted_out),
        _flag(picked.c.started),
        _flag(picked.c.needs_reply & ~picked.c.opted_out),
        _flag(picked.c.opted_out),
        ids,
    ).group_by(picked.c.old, picked.c.new)
    rows = (await session.execute(summary)).all()
    if not rows:
        return _result(plan, {})
    await session.execute(
        update(Conversation)
        .where(Conversation.id == picked.c.id)
        .values(assigned_to=picked.c.new)
        .execution_options(synchronize_session=False)
    )
    deltas: dict[int, Counts] = {}
    per_pair: dict[tuple[Slot, Slot], list[int]] = {}
    moved: dict[Slot, int] = {}
    for old, new, n, not_started, sent, needs_reply, opted_out, id_list in rows:
        counts = Counts(int(n), int(not_started), int(sent), int(needs_reply), int(opted_out))
        deltas[_slot(old)] = deltas.get(_slot(old), Counts()) - counts
        deltas[_slot(new)] = deltas.get(_slot(new), Counts()) + counts
        moved[new] = moved.get(new, 0) + int(n)
        per_pair[(old, new)] = _ids(id_list)
    await apply_deltas(session, campaign_id, deltas)
    for (old, new), pair_ids in sorted(per_pair.items(), key=lambda kv: (_slot(kv[0][0]), _slot(kv[0][1]))):
        for start in range(0, len(pair_ids), EVENT_CHUNK):
            emit_reassigned(session, campaign_id, pair_ids[start : start + EVENT_CHUNK], old, new)
    emit_counts(session, campaign_id, deltas)
    return _result(plan, moved)


def _ids(value: Any) -> list[int]:
    if isinstance(value, str):  # SQLite group_concat
        return sorted(int(v) for v in value.split(","))
    return sorted(int(v) for v in value)


def _result(plan: Plan, moved: Mapping[Slot, int]) -> MoveResult:
    per_target = {slot_key(t): moved.get(t, 0) for t in plan.targets}
    return MoveResult(sum(per_target.values()), per_target)


async def lock_senders(
    session: AsyncSession, campaign_id: int, *, only: int | None = None, exclusive: bool = False
) -> list[int]:
    """The campaign's sender ids, locked until the transaction ends.

    A move locks them shared, so removing a sender (which locks its row
    exclusively) waits for moves to it to commit, and a move after the removal
    no longer sees the sender: no conversation is left with a removed sender.
    """
    stmt = select(CampaignSender.user_id).where(CampaignSender.campaign_id == campaign_id)
    if only is not None:
        stmt = stmt.where(CampaignSender.user_id == only)
    stmt = stmt.order_by(CampaignSender.user_id).with_for_update(read=not exclusive)
    return list((await session.scalars(stmt)).all())


async def reassign(
    session: AsyncSession, actor: Actor, campaign_id: int, body: Mapping[str, Any]
) -> MoveResult:
    """``POST /api/campaigns/{cid}/reassign``: one transaction, all or nothing.

    Raises:
        PermissionDenied: the actor is a sender.
        NotFound: no such campaign in the actor's organization.
        InvalidInput: bad body, or names that are not senders of the campaign.
    """
    require_sweeper(actor)
    request = parse_request(body)
    await campaign_for(session, actor, campaign_id)
    plan = plan_move(request, await lock_senders(session, campaign_id))
    return await execute_plan(session, campaign_id, plan)


async def reassign_conversation(
    session: AsyncSession, actor: Actor, conversation_id: int, body: Mapping[str, Any]
) -> MoveResult:
    """``POST /api/conversations/{id}/reassign`` ``{"to": user_id | null}``.

    Moving a conversation to where it already is moves nothing (``moved`` 0).
    """
    require_sweeper(actor)
    if "to" not in body:
        raise InvalidInput("'to' is required: a sender id, or null for the Unassigned pool.")
    to = body["to"]
    if to is not None and (isinstance(to, bool) or not isinstance(to, int)):
        raise InvalidInput("'to' must be a sender id, or null for the Unassigned pool.")
    conversation, campaign = await conversation_for(session, actor, conversation_id)
    # Lock the target's membership before the conversation, in the same order
    # as a sender's removal does, so the two cannot deadlock.
    if to is not None and to not in await lock_senders(session, campaign.id, only=to):
        raise InvalidInput(f"Not a sender of this campaign: {to}.", code="not_a_sender")
    await session.refresh(conversation, with_for_update=True)
    old = conversation.assigned_to
    if old == to:
        return MoveResult(0, {slot_key(to): 0})
    counts = contribution(
        initial_sent=conversation.initial_sent_at is not None,
        needs_reply=conversation.needs_reply,
        opted_out=conversation.opted_out,
    )
    conversation.assigned_to = to
    await session.flush()
    await apply_deltas(session, campaign.id, {_slot(old): -counts, _slot(to): counts})
    emit_reassigned(session, campaign.id, [conversation.id], old, to)
    emit_conversation(session, conversation)
    emit_counts(session, campaign.id, [_slot(old), _slot(to)])
    return MoveResult(1, {slot_key(to): 1})


async def remove_sender(session: AsyncSession, actor: Actor, campaign_id: int, user_id: int) -> MoveResult:
    """``DELETE /api/campaigns/{cid}/senders/{uid}``: their conversations go back to the pool.

    Raises:
        NotFound: no such campaign, or the user is not a sender of it.
    """
    require_sweeper(actor)
    await campaign_for(session, actor, campaign_id)
    if not await lock_senders(session, campaign_id, only=user_id, exclusive=True):
        raise NotFound(f"User {user_id} is not a sender of this campaign.", code="not_a_sender")
    plan = Plan(sources=Sources(frozenset({user_id}), False), targets=(None,), status="any", limit=None)
    result = await execute_plan(session, campaign_id, plan)
    await session.execute(
        delete(CampaignSender).where(
            and_(CampaignSender.campaign_id == campaign_id, CampaignSender.user_id == user_id)
        )
    )
    return result
