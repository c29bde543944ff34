"""Concurrent moves of the same conversations: none moves twice, none deadlocks."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select, update

from persistence.commands.reassign import MoveResult, reassign, reassign_conversation, remove_sender
from persistence.rules.channels import UNASSIGNED
from persistence.rules.status import Counts
from persistence.store.counters import apply_deltas, recount, stored_counts
from persistence.store.database import Database
from persistence.store.models import Conversation
from persistence.store.scope import Actor
from server.api.reassign import parse_reassign
from tests.support.worlds.sweep import BASE_TIME, SweepWorld, add_conversations, build_world, snapshot


async def _move(
    db: Database, world: SweepWorld, body: dict[str, Any], hold: asyncio.Event | None = None
) -> MoveResult:
    actor = Actor(world.owner_id, world.organization_id, "admin")
    async with db.transaction() as session:
        result = await reassign(session, actor, world.campaign_id, parse_reassign(body))
        if hold is not None:
            await asyncio.wait_for(hold.wait(), 10)
    return result


async def _counters_true(db: Database, world: SweepWorld) -> None:
    async with db.session() as session:
        stored = {
            k: v for k, v in (await stored_counts(session, world.campaign_id)).items() if not v.is_zero()
        }
        assert stored == await recount(session, world.campaign_id)


async def test_two_admins_move_the_same_pool_at_once(db: Database) -> None:
    world = await build_world(db, senders=["Ana", "Ben"])
    ids = await add_conversations(db, world, 40)
    first_moved, release = asyncio.Event(), asyncio.Event()

    async def first() -> MoveResult:
        actor = Actor(world.owner_id, world.organization_id, "admin")
        async with db.transaction() as session:
            result = await reassign(
                session,
                actor,
                world.campaign_id,
                parse_reassign({"action": "reassign_all", "from": None, "to": [world.senders["Ana"]]}),
            )
            first_moved.set()
            await asyncio.sleep(0.2)  # the second admin is now waiting on our row locks
            release.set()
        return result

    async def second() -> MoveResult:
        await first_moved.wait()
        return await _move(db, world, {"action": "reassign_all", "from": None, "to": [world.senders["Ben"]]})

    a, b = await asyncio.gather(first(), second())

    assert release.is_set()
    assert (a.moved, b.moved) == (40, 0)
    assert set((await snapshot(db, world.campaign_id)).values()) == {world.senders["Ana"]}
    assert len(await snapshot(db, world.campaign_id)) == len(ids)
    await _counters_true(db, world)


async def test_many_overlapping_moves_neither_deadlock_nor_lose_anything(db: Database) -> None:
    world = await build_world(db, senders=["Ana", "Ben", "Cam", "Dee"])
    ana, ben, cam, dee = (world.senders[n] for n in ("Ana", "Ben", "Cam", "Dee"))
    # Waiting longest = uploaded last, so pick order runs against id order.
    for minute in range(30, 0, -1):
        await add_conversations(db, world, 1, state="needs_reply", first_minute=minute)
    await add_conversations(db, world, 30)
    bodies: list[dict[str, Any]] = [
        {"action": "reassign_all", "to": [ana, ben]},
        {"action": "reassign_some", "count": 25, "status": "needs_reply", "to": [cam]},
        {"action": "reassign_all", "from": None, "status": "not_started", "to": [dee, cam]},
        {"action": "reassign_some", "count": 40, "to": "all_senders", "from": [None, ana]},
        {"action": "unassign_all"},
        {"action": "reassign_all", "from": [ben, cam], "to": [dee]},
    ]
    for _ in range(3):
        results = await asyncio.gather(*(_move(db, world, body) for body in bodies))
        assert all(r.moved >= 0 for r in results)
        after = await snapshot(db, world.campaign_id)
        assert len(after) == 60
        await _counters_true(db, world)


async def _racing(db: Database, world: SweepWorld, change: Any, body: dict[str, Any]) -> MoveResult:
    """Run ``body`` while another transaction, holding one conversation, makes ``change``."""
    async with db.transaction() as session:
        await change(session)
        mover = asyncio.create_task(_move(db, world, body))
        await asyncio.sleep(0.3)  # the move is now waiting for that conversation (or the writer lock)
        assert not mover.done()
    return await mover


async def test_a_conversation_moved_by_hand_during_a_bulk_move_is_not_moved_twice(db: Database) -> None:
    world = await build_world(db, senders=["Ana", "Ben"])
    ana, ben = world.senders["Ana"], world.senders["Ben"]
    ids = await add_conversations(db, world, 10)
    actor = Actor(world.owner_id, world.organization_id, "admin")

    async def by_hand(session: Any) -> None:
        await reassign_conversation(session, actor, ids[4], ben)

    result = await _racing(db, world, by_hand, {"action": "reassign_all", "from": None, "to": [ana]})

    after = await snapshot(db, world.campaign_id)
    assert after[ids[4]] == ben
    assert result.moved == 9
    assert [after[i] for i in ids if i != ids[4]] == [ana] * 9
    await _counters_true(db, world)


async def test_a_send_during_a_bulk_move_counts_with_the_newest_status(db: Database) -> None:
    world = await build_world(db, senders=["Ana"])
    ana = world.senders["Ana"]
    ids = await add_conversations(db, world, 6)

    def send(conversation_id: int) -> Any:
        async def change(session: Any) -> None:
            # What sending the initial message does to the row and the counters.
            c = Conversation
            await session.execute(select(c.id).where(c.id == conversation_id).with_for_update())
            await session.execute(update(c).where(c.id == conversation_id).values(initial_sent_at=BASE_TIME))
            await apply_deltas(session, world.campaign_id, {UNASSIGNED: Counts(not_started=-1, sent=1)})

        return change

    # Only not-started ones: the one just texted stays in the pool.
    body = {"action": "reassign_all", "from": None, "status": "not_started", "to": [ana]}
    result = await _racing(db, world, send(ids[0]), body)
    assert result.moved == 5
    assert (await snapshot(db, world.campaign_id))[ids[0]] is None
    await _counters_true(db, world)

    # Any status: it moves, and is counted as sent where it lands.
    await add_conversations(db, world, 2)
    body = {"action": "reassign_all", "from": None, "to": [ana]}
    [fresh] = await add_conversations(db, world, 1)
    result = await _racing(db, world, send(fresh), body)
    assert result.moved == 4
    assert (await snapshot(db, world.campaign_id))[fresh] == ana
    await _counters_true(db, world)


async def test_removing_a_sender_while_a_conversation_moves_to_them_leaves_them_nothing(db: Database) -> None:
    world = await build_world(db, senders=["Ana", "Ben"])
    ben = world.senders["Ben"]
    ids = await add_conversations(db, world, 3)
    actor = Actor(world.owner_id, world.organization_id, "admin")

    async def remove() -> MoveResult:
        async with db.transaction() as session:
            return await remove_sender(session, actor, world.campaign_id, ben)

    async with db.transaction() as session:
        await reassign_conversation(session, actor, ids[1], ben)
        removal = asyncio.create_task(remove())
        await asyncio.sleep(0.3)
        assert not removal.done()  # it waits for the move to Ben to commit
    result = await removal

    assert result.moved == 1
    assert set((await snapshot(db, world.campaign_id)).values()) == {None}
    await _counters_true(db, world)
