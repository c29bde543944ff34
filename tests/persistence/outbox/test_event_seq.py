"""Each channel's seq rises by exactly one per committed event, under concurrency too."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from persistence.outbox.outbox import Outbox, Subscriber
from persistence.outbox.record import current_seq, emit, lock_channel
from persistence.rules.events import EventRecord
from persistence.store.database import Database
from persistence.store.models import Event


async def _seqs(db: Database, channel: str) -> list[int]:
    async with db.session() as session:
        return list(
            await session.scalars(select(Event.seq).where(Event.channel == channel).order_by(Event.seq))
        )


async def test_events_are_written_with_the_commit_and_published_after_it(db: Database) -> None:
    published: list[EventRecord] = []

    async def on_commit(records: list[EventRecord]) -> None:
        published.extend(records)

    Outbox.of(db).subscribe(Subscriber(events=on_commit))
    async with db.transaction() as session:
        emit(session, "campaign:1", "stats", {"total": 1})
        emit(session, "sender:1:2", "conversation", {"id": 5})
        emit(session, "campaign:1", "conversation", {"id": 5})
    assert [(r.channel, r.seq, r.kind) for r in published] == [
        ("campaign:1", 1, "stats"),
        ("campaign:1", 2, "conversation"),
        ("sender:1:2", 1, "conversation"),
    ]
    assert await _seqs(db, "campaign:1") == [1, 2]
    async with db.session() as session:
        assert await current_seq(session, "campaign:1") == 2
        assert await current_seq(session, "campaign:404") == 0


async def test_a_rolled_back_change_leaves_no_event_and_no_hole(db: Database) -> None:
    async with db.transaction() as session:
        emit(session, "campaign:1", "stats", {"total": 1})
    with pytest.raises(RuntimeError):
        async with db.transaction() as session:
            emit(session, "campaign:1", "stats", {"total": 2})
            raise RuntimeError("the change failed")
    async with db.transaction() as session:
        emit(session, "campaign:1", "stats", {"total": 3})
    assert await _seqs(db, "campaign:1") == [1, 2]


async def test_concurrent_transactions_never_share_or_skip_a_seq(db: Database) -> None:
    async def one(i: int) -> None:
        async with db.transaction() as session:
            emit(session, "campaign:9", "conversation", {"i": i})
            emit(session, f"sender:9:{i % 3}", "conversation", {"i": i})
            await asyncio.sleep(0)

    await asyncio.gather(*(one(i) for i in range(40)))
    assert await _seqs(db, "campaign:9") == list(range(1, 41))
    for k in range(3):
        seqs = await _seqs(db, f"sender:9:{k}")
        assert seqs == list(range(1, len(seqs) + 1))


async def test_what_is_read_under_the_channel_lock_follows_the_seq_order(db: Database) -> None:
    """The counts feed's guarantee: the event with the highest seq carries the latest truth."""
    async with db.transaction() as session:
        emit(session, "campaign:9", "conversation", {"setup": True})

    async def one() -> None:
        async with db.transaction() as session:
            await lock_channel(session, "campaign:9")
            # Read shared state, yield to the others, then write what was read, plus one.
            seen = await current_seq(session, "campaign:9")
            await asyncio.sleep(0)
            emit(session, "campaign:9", "stats", {"seen": seen})

    await asyncio.gather(*(one() for _ in range(20)))
    async with db.session() as session:
        rows = (
            await session.execute(
                select(Event.seq, Event.data).where(Event.kind == "stats").order_by(Event.seq)
            )
        ).all()
    # Each transaction saw exactly the events committed before it took the lock.
    assert [r.data["seen"] for r in rows] == [r.seq - 1 for r in rows]
    assert [r.seq for r in rows] == list(range(2, 22))
