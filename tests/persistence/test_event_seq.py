"""Each channel's seq rises by exactly one per committed event, under concurrency too."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from persistence.database import Database
from persistence.events import EventRecord, current_seq, emit
from persistence.models import Event


async def _seqs(db: Database, channel: str) -> list[int]:
    async with db.session() as session:
        return list(
            await session.scalars(select(Event.seq).where(Event.channel == channel).order_by(Event.seq))
        )


async def test_events_are_written_with_the_commit_and_published_after_it(db: Database) -> None:
    published: list[EventRecord] = []

    async def on_commit(records: list[EventRecord]) -> None:
        published.extend(records)

    db.on_commit = on_commit
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


async def test_events_with_the_same_key_collapse_to_the_last(db: Database) -> None:
    async with db.transaction() as session:
        emit(session, "campaign:1", "stats", {"total": 1}, key="stats")
        emit(session, "campaign:1", "message", {"id": 1})
        emit(session, "campaign:1", "stats", {"total": 2}, key="stats")
    async with db.session() as session:
        rows = (await session.execute(select(Event.seq, Event.kind, Event.data).order_by(Event.seq))).all()
    assert [(r.seq, r.kind, r.data) for r in rows] == [(1, "message", {"id": 1}), (2, "stats", {"total": 2})]


async def test_concurrent_transactions_never_share_or_skip_a_seq(db: Database) -> None:
    order: list[int] = []

    async def one(i: int) -> None:
        async def data(session: AsyncSession) -> dict[str, Any]:
            # Lazy data runs under the channel lock: the order it runs in is the seq order.
            order.append(i)
            return {"i": i}

        async with db.transaction() as session:
            emit(session, "campaign:9", "stats", data)
            emit(session, f"sender:9:{i % 3}", "conversation", {"i": i})
            await asyncio.sleep(0)

    await asyncio.gather(*(one(i) for i in range(40)))
    assert await _seqs(db, "campaign:9") == list(range(1, 41))
    async with db.session() as session:
        rows = (
            await session.execute(select(Event.seq, Event.data).where(Event.channel == "campaign:9"))
        ).all()
    by_seq = {r.seq: r.data["i"] for r in rows}
    assert [by_seq[s] for s in range(1, 41)] == order
    for k in range(3):
        seqs = await _seqs(db, f"sender:9:{k}")
        assert seqs == list(range(1, len(seqs) + 1))
