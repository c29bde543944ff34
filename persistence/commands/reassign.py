"""Moving conversations between senders and the Unassigned pool, set-based.

A move is one or two SQL statements whatever its size, never a loop over rows.
The picked rows are numbered in pick order (``row_number()``), ``rank % k``
maps each to the k-th target (an array lookup on PostgreSQL, a ``CASE`` on
SQLite), and ``UPDATE ... FROM`` that numbered set moves them. The moved
rows, aggregated by (old slot, new slot), give the counter deltas and the ids
of the ``reassigned`` events.

Concurrency (PostgreSQL). Bulk moves of one campaign (``reassign``, removing
a sender) take a transaction-scoped advisory lock on the campaign first, so
they run one after the other: two of them never hold parts of the same rows,
so they cannot deadlock, and the second one picks from what the first left.
Every other writer (a send, an inbound text, an opt-out, moving one
conversation) locks at most one conversation of a campaign before it touches
the counters, which a move updates only after all its rows, and self-assign
never waits for a row (``SKIP LOCKED``), so no lock cycle can form with a move
either. The ``UPDATE`` re-checks each row
against the source and status filters *and its old slot*: a conversation that
someone changed after the pick was planned (a single move, a send) is
re-checked on its newest version, moved only if it still qualifies, and
counted with its newest status, so nothing moves twice and the counters stay
right. The moved rows come back through ``RETURNING`` in the same statement.

SQLite serializes writers (``BEGIN IMMEDIATE``), so the pick cannot change
under a move; it cannot return rows of an ``UPDATE ... FROM``'s other tables,
so there the same numbered set is first aggregated, then updated.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    BigInteger,
    Integer,
    and_,
    case,
    cast,
    delete,
    func,
    literal,
    null,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement, Grouping

from persistence.commands import audit
from persistence.outbox.notify import emit_conversation, emit_counts, emit_reassigned
from persistence.rules.channels import Slot, slot_key, slot_row
from persistence.rules.errors import Conflict, InvalidInput, NotFound
from persistence.rules.reassignment import Plan, ReassignRequest, Sources, plan_move
from persistence.rules.status import Counts, contribution
from persistence.store.counters import apply_deltas
from persistence.store.models import CampaignSender, Conversation
from persistence.store.scope import Actor, campaign_for, conversation_for, require_sweeper
from persistence.store.status_sql import is_status, needs_reply, pick_order

__all__ = [
    "EVENT_CHUNK",
    "MoveResult",
    "describe",
    "execute_plan",
    "lock_senders",
    "preview_plan",
    "reassign",
    "reassign_conversation",
    "remove_sender",
    "serialize_moves",
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
    # Opted-out conversations move only with "any".
    if plan.status == "any":
        return []
    return [is_status(plan.status)]


def _target_expr(rank: ColumnElement[Any], targets: Sequence[Slot], dialect: str) -> ColumnElement[Any]:
    """The target of the row ranked ``rank`` (1-based): ``targets[(rank - 1) % k]``."""

    def value(slot: Slot) -> ColumnElement[Any]:
        return cast(null(), BigInteger) if slot is None else literal(slot, BigInteger)

    if len(targets) == 1:
        return value(targets[0])
    position = (rank - 1) % literal(len(targets), Integer)
    if dialect == "postgresql" and None not in targets:
        # One array lookup per row instead of up to k CASE branches.
        return Grouping(literal(list(targets), ARRAY(BigInteger)))[position + 1]
    return case({i: value(t) for i, t in enumerate(targets)}, value=position)


def _numbered(plan: Plan, campaign_id: int, dialect: str) -> Any:
    """The picked rows, each with its old and new slot and what it counts for."""
    c = Conversation
    order = pick_order()
    rank = func.row_number().over(order_by=order)
    stmt = select(
        c.id.label("id"),
        c.assigned_to.label("old"),
        _target_expr(rank, plan.targets, dialect).label("new"),
        c.initial_sent_at.is_not(None).label("started"),
        c.needs_reply.label("needs_reply"),
        c.opted_out.label("opted_out"),
    ).where(*_filters(plan, campaign_id))
    if plan.limit is not None:
        stmt = stmt.order_by(*order).limit(plan.limit)
    return stmt.subquery("picked")


def _filters(plan: Plan, campaign_id: int) -> list[ColumnElement[bool]]:
    return [Conversation.campaign_id == campaign_id, _source_filter(plan), *_status_filter(plan)]


def _flag(condition: ColumnElement[Any]) -> ColumnElement[Any]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _summary(moved: Any, ids: ColumnElement[Any]) -> Any:
    """(old, new, count, not_started, sent, needs_reply, opted_out, ids) per pair of slots."""
    m = moved.c
    return select(
        m.old,
        m.new,
        func.count(),
        _flag(~m.started & ~m.opted_out),
        _flag(m.started),
        _flag(needs_reply(m)),
        _flag(m.opted_out),
        ids,
    ).group_by(m.old, m.new)


async def _move_postgresql(session: AsyncSession, campaign_id: int, plan: Plan) -> Sequence[Any]:
    c = Conversation
    picked = _numbered(plan, campaign_id, session.get_bind().dialect.name)
    moved = (
        update(c)
        .where(
            c.id == picked.c.id,
            # Re-checked on the newest version of a row changed since the pick.
            c.assigned_to.is_not_distinct_from(picked.c.old),
            *_filters(plan, campaign_id),
        )
        .values(assigned_to=picked.c.new)
        .returning(
            c.id.label("id"),
            picked.c.old.label("old"),
            c.assigned_to.label("new"),
            c.initial_sent_at.is_not(None).label("started"),
            c.needs_reply.label("needs_reply"),
            c.opted_out.label("opted_out"),
        )
        .cte("moved")
    )
    # Right after a bulk upload the table's statistics are stale (autovacuum has
    # not analyzed it yet): the planner then expects one picked row and joins in
    # a nested loop that re-runs the numbered pick for every candidate row,
    # minutes for a few thousand. A hash join computes the pick once.
    # (On an error the transaction is rolled back, and the setting with it.)
    await session.execute(text("SET LOCAL enable_nestloop = off"))
    rows = (await session.execute(_summary(moved, func.array_agg(moved.c.id)))).all()
    await session.execute(text("SET LOCAL enable_nestloop = on"))
    return rows


async def _move_sqlite(session: AsyncSession, campaign_id: int, plan: Plan) -> Sequence[Any]:
    picked = _numbered(plan, campaign_id, session.get_bind().dialect.name)
    rows = (await session.execute(_summary(picked, func.group_concat(picked.c.id)))).all()
    if rows:
        await session.execute(
            update(Conversation)
            .where(Conversation.id == picked.c.id)
            .values(assigned_to=picked.c.new)
            .execution_options(synchronize_session=False)
        )
    return rows


async def serialize_moves(session: AsyncSession, campaign_id: int) -> None:
    """PostgreSQL: wait for, then hold until commit, the campaign's bulk-move lock.

    Taken before any other lock of the move (see the module docstring). The key
    is the campaign id in a namespace of its own (high bits 0x5357, "SW").
    """
    if session.get_bind().dialect.name == "postgresql":
        key = (0x5357 << 48) | (campaign_id & (2**48 - 1))
        await session.execute(select(func.pg_advisory_xact_lock(key)))


async def execute_plan(session: AsyncSession, campaign_id: int, plan: Plan) -> MoveResult:
    """Move what ``plan`` picks, keep the counters right and queue the events.

    The caller holds :func:`serialize_moves` and has checked the plan against
    the campaign's senders.
    """
    if session.get_bind().dialect.name == "postgresql":
        rows = await _move_postgresql(session, campaign_id, plan)
    else:
        rows = await _move_sqlite(session, campaign_id, plan)
    if not rows:
        return _result(plan, {})
    deltas: dict[int, Counts] = {}
    per_pair: dict[tuple[Slot, Slot], list[int]] = {}
    moved: dict[Slot, int] = {}
    for old, new, n, not_started, sent, waiting, opted_out, id_list in rows:
        counts = Counts(int(n), int(not_started), int(sent), int(waiting), int(opted_out))
        deltas[slot_row(old)] = deltas.get(slot_row(old), Counts()) - counts
        deltas[slot_row(new)] = deltas.get(slot_row(new), Counts()) + counts
        moved[new] = moved.get(new, 0) + int(n)
        per_pair[(old, new)] = _ids(id_list)
    await apply_deltas(session, campaign_id, deltas)
    for (old, new), pair_ids in sorted(
        per_pair.items(), key=lambda kv: (slot_row(kv[0][0]), slot_row(kv[0][1]))
    ):
        for start in range(0, len(pair_ids), EVENT_CHUNK):
            emit_reassigned(session, campaign_id, pair_ids[start : start + EVENT_CHUNK], old, new)
    emit_counts(session, campaign_id, deltas)
    return _result(plan, moved)


async def preview_plan(session: AsyncSession, campaign_id: int, plan: Plan) -> list[tuple[Slot, Slot, int]]:
    """What :func:`execute_plan` would move, as (from, to, count), moving nothing."""
    picked = _numbered(plan, campaign_id, session.get_bind().dialect.name)
    stmt = select(picked.c.old, picked.c.new, func.count()).group_by(picked.c.old, picked.c.new)
    rows = (await session.execute(stmt)).all()
    return sorted(
        ((old, new, int(n)) for old, new, n in rows), key=lambda r: (slot_row(r[0]), slot_row(r[1]))
    )


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

    Moving one conversation and self-assign lock their sender's row shared,
    so removing that sender (which locks the row exclusively) waits for them to
    commit, and one that starts after the removal no longer sees the sender: no
    conversation is left with a removed sender. (Bulk moves and removals are
    already serialized by :func:`serialize_moves`.)
    """
    stmt = select(CampaignSender.user_id).where(CampaignSender.campaign_id == campaign_id)
    if only is not None:
        stmt = stmt.where(CampaignSender.user_id == only)
    stmt = stmt.order_by(CampaignSender.user_id).with_for_update(read=not exclusive)
    return list((await session.scalars(stmt)).all())


async def reassign(
    session: AsyncSession, actor: Actor, campaign_id: int, request: ReassignRequest
) -> MoveResult:
    """``POST /api/campaigns/{cid}/reassign``: one transaction, all or nothing.

    Raises:
        PermissionDenied: the actor is a sender.
        NotFound: no such campaign in the actor's organization.
        InvalidInput: names that are not senders of the campaign, or a move to where it starts.
    """
    require_sweeper(actor)
    await campaign_for(session, actor, campaign_id)
    await serialize_moves(session, campaign_id)
    # No lock needed on the sender list: removing a sender is a bulk move too,
    # so it waits on serialize_moves like this move does.
    senders = await session.scalars(
        select(CampaignSender.user_id).where(CampaignSender.campaign_id == campaign_id)
    )
    plan = plan_move(request, list(senders))
    result = await execute_plan(session, campaign_id, plan)
    audit.record(session, campaign_id, actor.user_id, "reassign", {**describe(request), **result.to_json()})
    return result


def describe(request: ReassignRequest) -> dict[str, Any]:
    """A bulk move's request as the audit log keeps it."""
    sources: list[int | None] | None = None
    if request.sources is not None:
        sources = sorted(request.sources.senders) + ([None] if request.sources.pool else [])
    to = list(request.to) if isinstance(request.to, tuple) else request.to
    return {"request": {"action": request.action, "from": sources, "status": request.status, "to": to}}


async def reassign_conversation(
    session: AsyncSession, actor: Actor, conversation_id: int, to: int | None
) -> MoveResult:
    """``POST /api/conversations/{id}/reassign`` ``{"to": user_id | null}``: ``to`` None is the pool.

    Moving a conversation to where it already is moves nothing (``moved`` 0).
    """
    require_sweeper(actor)
    conversation, campaign = await conversation_for(session, actor, conversation_id)
    if campaign is None:
        raise Conflict(
            "An inbox conversation belongs to its user; it is not reassigned.", code="inbox_conversation"
        )
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
    await apply_deltas(session, campaign.id, {slot_row(old): -counts, slot_row(to): counts})
    emit_reassigned(session, campaign.id, [conversation.id], old, to)
    emit_conversation(session, conversation)
    emit_counts(session, campaign.id, [slot_row(old), slot_row(to)])
    audit.record(
        session,
        campaign.id,
        actor.user_id,
        "reassign_one",
        {"conversation_id": conversation.id, "from": old, "to": to},
    )
    return MoveResult(1, {slot_key(to): 1})


async def remove_sender(session: AsyncSession, actor: Actor, campaign_id: int, user_id: int) -> MoveResult:
    """``DELETE /api/campaigns/{cid}/senders/{uid}``: their conversations go back to the pool.

    Raises:
        NotFound: no such campaign, or the user is not a sender of it.
    """
    require_sweeper(actor)
    await campaign_for(session, actor, campaign_id)
    await serialize_moves(session, campaign_id)
    if not await lock_senders(session, campaign_id, only=user_id, exclusive=True):
        raise NotFound(f"User {user_id} is not a sender of this campaign.", code="not_a_sender")
    plan = Plan(sources=Sources(frozenset({user_id}), False), targets=(None,), status="any", limit=None)
    result = await execute_plan(session, campaign_id, plan)
    await session.execute(
        delete(CampaignSender).where(
            and_(CampaignSender.campaign_id == campaign_id, CampaignSender.user_id == user_id)
        )
    )
    audit.record(
        session, campaign_id, actor.user_id, "sender_removed", {"user_id": user_id, **result.to_json()}
    )
    return result
