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

import functools
from collections import defaultdict
from dataclasses import replace
from typing import Any, cast

from sqlalchemy import BigInteger, Table, bindparam, insert, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine.interfaces import BindTyping, Dialect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import UpdateBase
from sqlalchemy.sql.elements import TextClause
from sqlalchemy.sql.expression import any_

from persistence.outbox.pending import pending
from persistence.rules.events import EventRecord
from persistence.store.models import ChannelSeq, Event
from persistence.store.types import utcnow
from persistence.store.write import Write

__all__ = [
    "committed",
    "current_seq",
    "emit",
    "flush_events",
    "lock_channel",
    "numbered",
    "write_with_events",
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


async def write_with_events(session: AsyncSession, *writes: Write) -> None:
    """Run ``writes`` and write the events queued so far, in one round trip on PostgreSQL.

    A hot command (a send) hands over its row changes instead of executing
    them one by one: on PostgreSQL they ride as data-modifying CTEs of the
    events' INSERT, so the whole change is one statement; elsewhere they run
    in order before it. The writes return nothing, give every column with a
    default its value (no default runs inside a CTE), and no two of them may
    change the same row (PostgreSQL applies only one change per row and
    statement). Events queued later in the transaction are written at commit.
    """
    todo = pending(session)
    queue, todo.events = todo.events, []
    postgres = session.get_bind().dialect.name == "postgresql"
    if not postgres or not queue or len(queue) > _MAX_EVENTS_WITH_WRITES:
        for write in writes:
            await session.execute(write.statement, write.params)
        writes = ()
    records = await _insert(session, queue, writes)
    todo.written.extend(records)
    todo.written_channels.update(r.channel for r in records)


async def flush_events(session: AsyncSession) -> list[EventRecord]:
    """Write every queued event of ``session``; return all it wrote, in seq order per channel.

    On PostgreSQL the rows go in without a seq and the database numbers them
    while the transaction commits (migration 0002), so the channel's counter
    is locked only for the commit itself; the records returned carry seq 0
    until :func:`numbered` reads their numbers after the commit. Elsewhere
    (SQLite, one writer at a time) the seqs are allocated here.
    """
    todo = pending(session)
    if todo.written_channels and session.get_bind().dialect.name == "postgresql":
        await _keep_lock_order(session, {channel for channel, _kind, _data in todo.events})
    await write_with_events(session)
    records, todo.written = todo.written, []
    todo.written_channels.clear()
    return records


async def _keep_lock_order(session: AsyncSession, channels: set[str]) -> None:
    """Lock now the new channels that sort before one written earlier in the transaction.

    The commit numbers (and locks) channels in the order their rows went in,
    each insert sorted by channel. Events written in two inserts could lock a
    later-sorting channel first; locking the early ones now keeps the order.
    """
    written = pending(session).written_channels
    early = {channel for channel in channels - written if channel < max(written)}
    if early:
        await _allocate(session, dict.fromkeys(early, 0))


# An event row as both forms of the insert write it ("published" given: no default runs inside a CTE).
_EVENT_COLUMNS = ("channel", "seq", "kind", "data", "created_at", "published")

# A send writes a handful of events; a bulk change (a reassignment) thousands,
# which go through the batched insert below, its writes apart.
_MAX_EVENTS_WITH_WRITES = 100


async def _insert(
    session: AsyncSession, queue: list[tuple[str, str, dict[str, Any]]], writes: tuple[Write, ...]
) -> list[EventRecord]:
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
        dict(zip(_EVENT_COLUMNS, (c, seq, k, d, now, False), strict=True))
        for (c, k, d), seq in zip(ordered, seqs, strict=True)
    ]
    if writes:
        # One statement: the rows' ids come from the sequence in the order of
        # the VALUES list, so sorted they pair with the rows.
        params: dict[str, Any] = {}
        for write in writes:
            params.update(write.params)
        for i, row in enumerate(rows):
            params.update({f"event{i}_{column}": value for column, value in row.items()})
        stmt, constants = _events_with(len(rows), tuple(write.statement for write in writes))
        ids = sorted((await session.execute(stmt, {**constants, **params})).scalars())
    else:
        result = await session.execute(insert(Event).returning(Event.id, sort_by_parameter_order=True), rows)
        ids = list(result.scalars())
    return [
        EventRecord(id_, c, seq or 0, k, d, now)
        for id_, (c, k, d), seq in zip(ids, ordered, seqs, strict=True)
    ]


@functools.lru_cache(maxsize=256)
def _events_with(count: int, writes: tuple[UpdateBase, ...]) -> tuple[TextClause, dict[str, Any]]:
    """``count`` events' INSERT with ``writes`` as its CTEs, compiled once per shape; and its constants.

    Kept as SQL text: SQLAlchemy does not cache the compiled form of a
    many-row VALUES, and compiling it again for every send cost more than
    the round trips it saves.
    """
    table = cast(Table, Event.__table__)
    rows: list[dict[str, Any]] = [
        # Typed here: in a many-row VALUES a parameter does not take its column's type.
        {column: bindparam(f"event{i}_{column}", type_=table.c[column].type) for column in _EVENT_COLUMNS}
        for i in range(count)
    ]
    stmt = insert(table).values(rows).returning(table.c.id)
    stmt = stmt.add_cte(*(write.cte(f"write_{i}") for i, write in enumerate(writes)))
    compiled = stmt.compile(dialect=_NAMED_POSTGRESQL)
    sql = text(compiled.string).bindparams(
        *(bindparam(name, type_=bind.type) for bind, name in compiled.bind_names.items())
    )
    constants = {
        name: bind.effective_value for bind, name in compiled.bind_names.items() if not bind.required
    }
    return sql, constants


def _named_postgresql() -> Dialect:
    # Named parameters, as text() takes them, and no casts after them (text()
    # would not see ":name::TYPE" as a parameter): PostgreSQL infers each
    # parameter's type from its column, and the driver's dialect adds its own.
    dialect: Dialect = postgresql.dialect(paramstyle="named")  # type: ignore[no-untyped-call]
    dialect.bind_typing = BindTyping.NONE
    return dialect


_NAMED_POSTGRESQL = _named_postgresql()


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
