"""The event log: live events written in the transaction that causes them.

Domain commands call :func:`emit`; nothing is written until the transaction
ends. :func:`flush_events` (called by ``Database.transaction`` just before
commit) inserts the rows. Each channel's ``seq`` comes from a counter row in
``channel_seqs``, bumped by an upsert that row-locks the channel until commit:
concurrent transactions neither share nor skip a number, and a rollback gives
the numbers back. Channels are locked in sorted order, so two transactions
touching the same channels cannot deadlock.

On PostgreSQL the database bumps the counters itself while the transaction
commits (a deferred trigger, migration 0002), so a channel is locked only for
the commit, however busy the application is; every change of a campaign
writes to its channel, and a lock held across the application's round trips
capped a campaign at a few dozen changes a second. SQLite has one writer at
a time anyway and allocates here.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from typing import Any

from sqlalchemy import BigInteger, bindparam, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.expression import any_

from persistence.outbox.pending import pending
from persistence.rules.events import EventRecord
from persistence.store.models import ChannelSeq, Event
from persistence.store.types import utcnow

__all__ = [
    "committed",
    "current_seq",
    "emit",
    "flush_events",
    "lock_channel",
    "numbered",
]


def emit(session: AsyncSession, channel: str, kind: str, data: dict[str, Any]) -> None:
    """Queue an event to be written when ``session``'s transaction commits."""
    pending(session).events.append((channel, kind, data))


async def current_seq(session: AsyncSession, channel: str) -> int:
    seq = await session.scalar(select(ChannelSeq.seq).where(ChannelSeq.channel == channel))
    return seq or 0


async def _allocate(session: AsyncSession, counts: dict[str, int]) -> dict[str, int]:
    """Reserve ``counts[channel]`` seqs on each channel in one statement; return each last seq.

    The rows are locked in sorted channel order, so concurrent flushes cannot deadlock.
    """
    dialect = session.get_bind().dialect.name
    upsert = postgresql.insert(ChannelSeq) if dialect == "postgresql" else sqlite.insert(ChannelSeq)
    values = [{"channel": channel, "seq": counts[channel]} for channel in sorted(counts)]
    stmt = (
        upsert.values(values)
        .on_conflict_do_update(
            index_elements=[ChannelSeq.channel], set_={"seq": ChannelSeq.seq + upsert.excluded.seq}
        )
        .returning(ChannelSeq.channel, ChannelSeq.seq)
    )
    last = {channel: seq for channel, seq in (await session.execute(stmt)).all()}
    if len(last) != len(counts):  # pragma: no cover - RETURNING yields every row
        raise RuntimeError("could not allocate seqs")
    return last


async def lock_channel(session: AsyncSession, channel: str) -> None:
    """Take ``channel``'s seq lock now, until commit, without using a number.

    A transaction that reads shared state to publish it locks first, so that
    the event with the highest seq carries the latest truth.
    """
    await _allocate(session, {channel: 0})


async def flush_events(session: AsyncSession) -> list[EventRecord]:
    """Write every queued event of ``session``; return them in seq order per channel.

    On PostgreSQL the rows go in without a seq and the database numbers them
    while the transaction commits (migration 0002), so the channel's counter
    is locked only for the commit itself; the records returned carry seq 0
    until :func:`numbered` reads their numbers after the commit. Elsewhere
    (SQLite, one writer at a time) the seqs are allocated here.
    """
    queue, pending(session).events = pending(session).events, []
    if not queue:
        return []
    by_channel: dict[str, list[tuple[str, dict[str, Any]]]] = defaultdict(list)
    for channel, kind, data in queue:
        by_channel[channel].append((kind, data))
    now = utcnow()
    # Sorted by channel: the counters are locked in this order, so two
    # transactions on the same channels cannot deadlock.
    ordered = [
        (channel, kind, data) for channel, events in sorted(by_channel.items()) for kind, data in events
    ]
    seqs: list[int | None] = [None] * len(ordered)
    if session.get_bind().dialect.name != "postgresql":
        last = await _allocate(session, {channel: len(events) for channel, events in by_channel.items()})
        seqs = [
            last[channel] - len(events) + 1 + offset
            for channel, events in sorted(by_channel.items())
            for offset in range(len(events))
        ]
    rows = [
        {"channel": c, "seq": seq, "kind": k, "data": d, "created_at": now}
        for (c, k, d), seq in zip(ordered, seqs, strict=True)
    ]
    result = await session.execute(insert(Event).returning(Event.id, sort_by_parameter_order=True), rows)
    return [
        EventRecord(id_, c, seq or 0, k, d, now)
        for id_, (c, k, d), seq in zip(result.scalars(), ordered, seqs, strict=True)
    ]


# Built once, with the ids as one array parameter: building an IN of many
# values costs more than the query (only PostgreSQL numbers after commit).
_SEQS_OF = select(Event.id, Event.seq).where(Event.id == any_(bindparam("ids", type_=ARRAY(BigInteger))))


async def numbered(session: AsyncSession, records: list[EventRecord]) -> list[EventRecord]:
    """``records`` of a committed transaction with the seqs the database gave them."""
    if not records or records[0].seq:
        return records
    rows = await session.execute(_SEQS_OF, {"ids": [r.id for r in records]})
    seqs = {id_: seq for id_, seq in rows}
    return [replace(r, seq=seqs[r.id]) for r in records]


def committed(session: AsyncSession) -> list[EventRecord]:
    """After the transaction of ``session`` committed, the events it wrote, with their seqs."""
    return pending(session).committed
