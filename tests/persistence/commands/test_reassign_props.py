"""Property tests: any sequence of moves obeys the reassignment rules.

Each example builds a fresh campaign (senders Ana, Ben, Cam, Dee; a dozen
conversations in random states and slots), runs a few random requests, and
checks every outcome against a small model of the rules: which conversations
are eligible, the pick order, the round-robin division, and that the stored
counters equal a recount from scratch. A second property mixes bulk moves with
single moves, self-assign and sender removals, and checks the counters and
that no removed sender keeps a conversation.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from persistence.commands.reassign import reassign, reassign_conversation, remove_sender
from persistence.commands.self_assign import self_assign
from persistence.outbox.outbox import open_database
from persistence.rules.errors import DomainError, InvalidInput
from persistence.rules.reassignment import divide, plan_move
from persistence.store.counters import recount, stored_counts
from persistence.store.database import Database
from persistence.store.models import Conversation
from persistence.store.scope import Actor
from server.api.reassign import parse_reassign
from tests.support.worlds.sweep import State, add_conversations, build_world

NAMES = ("Ana", "Ben", "Cam", "Dee")
STATES: tuple[State, ...] = (
    "not_started",
    "sent",
    "needs_reply",
    "replied",
    "opted_out",
    "opted_out_waiting",
)

slot_index = st.one_of(st.none(), st.integers(0, len(NAMES) - 1))
conversations_st = st.lists(
    st.tuples(st.sampled_from(STATES), slot_index, st.integers(0, 30)), min_size=0, max_size=12
)
request_st = st.fixed_dictionaries(
    {
        "action": st.sampled_from(["unassign_all", "reassign_some", "reassign_all"]),
        "status": st.sampled_from(["any", "needs_reply", "not_started"]),
        "count": st.integers(1, 14),
        "from": st.one_of(st.just("absent"), st.none(), st.lists(slot_index, min_size=1, max_size=3)),
        "to": st.one_of(
            st.just("unassigned"),
            st.just("all_senders"),
            st.lists(st.integers(0, len(NAMES) - 1), min_size=1, max_size=4, unique=True),
        ),
    }
)


@dataclass(frozen=True)
class Row:
    id: int
    slot: int | None
    needs_reply: bool
    since: datetime | None
    started: bool
    opted_out: bool


async def _rows(db: Database, campaign_id: int) -> dict[int, Row]:
    c = Conversation
    async with db.session() as session:
        result = await session.execute(
            select(
                c.id, c.assigned_to, c.needs_reply, c.needs_reply_since, c.initial_sent_at, c.opted_out
            ).where(c.campaign_id == campaign_id)
        )
        return {r[0]: Row(r[0], r[1], r[2], r[3], r[4] is not None, r[5]) for r in result}


def _body(raw: dict[str, Any], ids: list[int]) -> dict[str, Any]:
    def sid(i: int | None) -> int | None:
        return None if i is None else ids[i]

    body: dict[str, Any] = {"action": raw["action"], "status": raw["status"]}
    if raw["action"] == "reassign_some":
        body["count"] = raw["count"]
    if raw["from"] != "absent":
        body["from"] = None if raw["from"] is None else [sid(i) for i in raw["from"]]
    if raw["action"] != "unassign_all":
        to = raw["to"]
        body["to"] = to if isinstance(to, str) else [ids[i] for i in to]
    return body


def _expected(rows: dict[int, Row], body: dict[str, Any], senders: list[int]) -> dict[int, int | None]:
    """The model: which conversation goes where."""
    plan = plan_move(parse_reassign(body), senders)
    status = plan.status

    def eligible(r: Row) -> bool:
        if plan.sources is None:
            if r.slot in plan.targets:
                return False
        elif r.slot not in plan.sources:
            return False
        if status == "needs_reply":
            return r.needs_reply and not r.opted_out
        if status == "not_started":
            return not r.started and not r.opted_out
        return True

    def key(r: Row) -> tuple[int, datetime | None, int]:
        if r.needs_reply and not r.opted_out:
            return (0, r.since, r.id)
        if not r.started and not r.opted_out:
            return (1, None, r.id)
        return (2, None, r.id)

    picked = sorted((r for r in rows.values() if eligible(r)), key=key)
    if plan.limit is not None:
        picked = picked[: plan.limit]
    k = len(plan.targets)
    return {r.id: plan.targets[rank % k] for rank, r in enumerate(picked)}


async def _story(
    url: str, conversations: list[tuple[State, int | None, int]], requests: list[dict[str, Any]]
) -> None:
    db = open_database(url)
    try:
        world = await build_world(db, senders=NAMES)
        ids = [world.senders[n] for n in NAMES]
        for state, slot, minute in conversations:
            owner = None if slot is None else ids[slot]
            await add_conversations(db, world, 1, state=state, assigned_to=owner, first_minute=minute)
        actor = Actor(world.owner_id, world.organization_id, "admin")
        for raw in requests:
            body = _body(raw, ids)
            before = await _rows(db, world.campaign_id)
            try:
                expected = _expected(before, body, ids)
            except InvalidInput:
                expected = None
            try:
                async with db.transaction() as session:
                    result = await reassign(session, actor, world.campaign_id, parse_reassign(body))
            except InvalidInput:
                assert expected is None, body
                assert await _rows(db, world.campaign_id) == before
                continue
            assert expected is not None, body
            after = await _rows(db, world.campaign_id)
            # Nothing lost, nothing duplicated, nothing else changed.
            assert after.keys() == before.keys()
            changed = {i: after[i].slot for i in after if after[i].slot != before[i].slot}
            assert changed == expected
            for i, row in after.items():
                assert row == Row(i, expected.get(i, before[i].slot), *_rest(before[i]))
            # Even division, extras to the first targets, in the order given.
            assert result.moved == len(expected)
            assert list(result.per_target.values()) == divide(result.moved, len(result.per_target))
            async with db.session() as session:
                stored = await stored_counts(session, world.campaign_id)
                truth = await recount(session, world.campaign_id)
            assert {k: v for k, v in stored.items() if not v.is_zero()} == truth
    finally:
        await db.dispose()


def _rest(r: Row) -> tuple[bool, datetime | None, bool, bool]:
    return (r.needs_reply, r.since, r.started, r.opted_out)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(conversations=conversations_st, requests=st.lists(request_st, min_size=1, max_size=3))
def test_any_sequence_of_moves_follows_the_rules(
    database_url: str, conversations: list[tuple[State, int | None, int]], requests: list[dict[str, Any]]
) -> None:
    asyncio.run(_story(database_url, conversations, requests))


op_st = st.one_of(
    st.tuples(st.just("bulk"), request_st),
    st.tuples(st.just("one"), st.tuples(st.integers(0, 11), slot_index)),
    st.tuples(st.just("self"), st.tuples(st.integers(0, len(NAMES) - 1), st.integers(1, 5))),
    st.tuples(st.just("remove"), st.integers(0, len(NAMES) - 1)),
)


async def _mixed(
    url: str, conversations: list[tuple[State, int | None, int]], ops: list[tuple[str, Any]]
) -> None:
    db = open_database(url)
    try:
        world = await build_world(db, senders=NAMES, self_assign=True)
        ids = [world.senders[n] for n in NAMES]
        conv_ids: list[int] = []
        for state, slot, minute in conversations:
            owner = None if slot is None else ids[slot]
            conv_ids += await add_conversations(
                db, world, 1, state=state, assigned_to=owner, first_minute=minute
            )
        admin = Actor(world.owner_id, world.organization_id, "admin")
        members = set(ids)
        for kind, arg in ops:
            try:
                async with db.transaction() as session:
                    if kind == "bulk":
                        await reassign(session, admin, world.campaign_id, parse_reassign(_body(arg, ids)))
                    elif kind == "one" and conv_ids:
                        index, slot = arg
                        to = None if slot is None else ids[slot]
                        await reassign_conversation(session, admin, conv_ids[index % len(conv_ids)], to)
                    elif kind == "self":
                        who, count = arg
                        sender = Actor(ids[who], world.organization_id, "sender")
                        await self_assign(session, sender, world.campaign_id, count)
                    elif kind == "remove":
                        await remove_sender(session, admin, world.campaign_id, ids[arg])
                        members.discard(ids[arg])
            except DomainError:
                pass
            after = await _rows(db, world.campaign_id)
            assert len(after) == len(conv_ids)
            # Nobody holds a conversation in a campaign they were removed from.
            assert {r.slot for r in after.values()} <= members | {None}
            async with db.session() as session:
                stored = await stored_counts(session, world.campaign_id)
                truth = await recount(session, world.campaign_id)
            assert {k: v for k, v in stored.items() if not v.is_zero()} == truth
    finally:
        await db.dispose()


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(conversations=conversations_st, ops=st.lists(op_st, min_size=1, max_size=5))
def test_counters_equal_a_recount_after_any_mix_of_moves(
    database_url: str, conversations: list[tuple[State, int | None, int]], ops: list[tuple[str, Any]]
) -> None:
    asyncio.run(_mixed(database_url, conversations, ops))
