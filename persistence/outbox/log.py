"""Reading and maintaining the event log: replay, catch-up, relay, pruning.

``events`` writes the log (see :func:`persistence.outbox.record.flush_events`); this
module is what the live hub reads it with. Every function takes a session and
runs set-based SQL; none commits by itself.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, delete, func, literal, or_, select, text, union_all, update
from sqlalchemy.ext.asyncio import AsyncSession

from persistence.rules.events import EventRecord
from persistence.store.models import ChannelSeq, Event
from persistence.store.types import utcnow

__all__ = [
    "History",
    "catch_up",
    "history",
    "mark_published",
    "online_in_log",
    "pages",
    "positions",
    "prune",
    "read_after",
    "replayable",
    "unpublished",
    "unpublished_lag",
    "unpublished_query",
]

_COLUMNS = (Event.id, Event.channel, Event.seq, Event.kind, Event.data, Event.created_at)


def _records(rows: Sequence[tuple[object, ...]]) -> list[EventRecord]:
    return [EventRecord(*row) for row in rows]  # type: ignore[arg-type]


async def read_after(
    session: AsyncSession, channel: str, after: int, *, limit: int = 500
) -> list[EventRecord]:
    """Up to ``limit`` events of ``channel`` with ``seq > after``, in seq order."""
    stmt = (
        select(*_COLUMNS).where(Event.channel == channel, Event.seq > after).order_by(Event.seq).limit(limit)
    )
    return _records((await session.execute(stmt)).all())


async def catch_up(
    session: AsyncSession, lasts: Mapping[str, int], *, limit: int = 5000
) -> list[EventRecord]:
    """Events after each channel's last seq, for many channels in one query.

    Ordered by channel then seq. At most ``limit`` rows: a caller that gets
    ``limit`` rows asks again with the new lasts.
    """
    if not lasts:
        return []
    condition = or_(*(and_(Event.channel == ch, Event.seq > last) for ch, last in lasts.items()))
    stmt = select(*_COLUMNS).where(condition).order_by(Event.channel, Event.seq).limit(limit)
    return _records((await session.execute(stmt)).all())


async def positions(session: AsyncSession, channels: Collection[str]) -> dict[str, int]:
    """Each channel's current seq (0 before its first event), in one query."""
    stmt = select(ChannelSeq.channel, ChannelSeq.seq).where(ChannelSeq.channel.in_(sorted(channels)))
    found = {str(c): int(s) for c, s in (await session.execute(stmt)).all()}
    return {channel: found.get(channel, 0) for channel in channels}


async def pages(
    session: AsyncSession, wants: Sequence[tuple[str, int]], *, limit: int = 500
) -> dict[tuple[str, int], list[EventRecord]]:
    """For each (channel, after): up to ``limit`` events with ``seq > after``, in seq order.

    One query for all of them: each part reads its own range of the
    ``(channel, seq)`` index and stops at ``limit``, so a channel with a long
    history cannot crowd out the others. At most 100 parts (SQLite's limit
    on a compound SELECT is 500).
    """
    if not wants:
        return {}
    if len(wants) > 100:
        raise ValueError("at most 100 (channel, after) pairs per query")
    parts = [
        select(literal(i).label("want"), *_COLUMNS)
        .where(Event.channel == channel, Event.seq > after)
        .order_by(Event.seq)
        .limit(limit)
        .subquery()
        for i, (channel, after) in enumerate(wants)
    ]
    stmt = union_all(*(select(part) for part in parts)) if len(parts) > 1 else select(parts[0])
    out: dict[tuple[str, int], list[EventRecord]] = {want: [] for want in wants}
    rows = sorted((await session.execute(stmt)).all(), key=lambda row: (row[0], row[3]))
    for row in rows:
        out[wants[row[0]]].append(EventRecord(*row[1:]))
    return out


def replayable(since: int, current: int, first: Sequence[EventRecord]) -> bool:
    """Whether every event after ``since`` can be sent, knowing the channel's current seq
    and the first events after ``since`` that the log still has."""
    if since > current or since < 0:
        return False  # a seq the channel never had: the client's state is foreign
    return since == current or (bool(first) and first[0].seq == since + 1)


class History:
    """What the log can say about a channel: its last seq and oldest kept seq."""

    __slots__ = ("current", "oldest")

    def __init__(self, current: int, oldest: int | None) -> None:
        self.current = current
        self.oldest = oldest

    def can_replay(self, since: int) -> bool:
        """True when every event after ``since`` is still in the log."""
        if since > self.current or since < 0:
            return False  # a seq the channel never had: the client's state is foreign
        if since == self.current:
            return True
        return self.oldest is not None and self.oldest <= since + 1


async def history(session: AsyncSession, channel: str) -> History:
    current = await session.scalar(select(ChannelSeq.seq).where(ChannelSeq.channel == channel))
    oldest = await session.scalar(select(func.min(Event.seq)).where(Event.channel == channel))
    return History(current or 0, oldest)


async def online_in_log(session: AsyncSession, *, since: datetime) -> list[tuple[str, int]]:
    """(channel, user_id) whose latest ``presence`` event since ``since`` says online.

    After a single-process server restarts, nobody is connected: these are
    the users whose "offline" was never written.
    """
    stmt = (
        select(Event.channel, Event.data)
        .where(Event.kind == "presence", Event.created_at >= since)
        .order_by(Event.channel, Event.seq)
    )
    state: dict[tuple[str, int], bool] = {}
    for channel, data in (await session.execute(stmt)).all():
        state[(channel, int(data["user_id"]))] = bool(data["online"])
    return sorted(key for key, online in state.items() if online)


# Written word for word as the condition of the partial index
# ix_events_unpublished. ``published IS false`` (PostgreSQL) or
# ``published = 0`` (what SQLAlchemy writes for SQLite) mean the same, but
# neither database then proves that the index covers the rows, and both read
# the whole log: a day of events, every second, on every instance.
_UNPUBLISHED = text("NOT events.published")


def unpublished_query(dialect: str, *, older_than: datetime, limit: int = 1000) -> Select[Any]:
    """The relay's statement (see :func:`unpublished`); it reads only unpublished rows."""
    stmt = (
        select(*_COLUMNS).where(_UNPUBLISHED, Event.created_at < older_than).order_by(Event.id).limit(limit)
    )
    if dialect == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    return stmt


async def unpublished(session: AsyncSession, *, older_than: datetime, limit: int = 1000) -> list[EventRecord]:
    """Committed events not yet marked published, oldest first.

    On PostgreSQL the rows stay locked (SKIP LOCKED) until the transaction
    ends, so two instances relaying at once take different rows.
    """
    stmt = unpublished_query(session.get_bind().dialect.name, older_than=older_than, limit=limit)
    return _records((await session.execute(stmt)).all())


async def mark_published(session: AsyncSession, ids: Sequence[int]) -> None:
    for start in range(0, len(ids), 1000):
        chunk = list(ids[start : start + 1000])
        await session.execute(update(Event).where(Event.id.in_(chunk)).values(published=True))


async def unpublished_lag(session: AsyncSession) -> tuple[int, float]:
    """(how many events wait for publication, age in seconds of the oldest)."""
    count, oldest = (
        await session.execute(select(func.count(), func.min(Event.created_at)).where(_UNPUBLISHED))
    ).one()
    if not count or oldest is None:
        return 0, 0.0
    if oldest.tzinfo is None:  # defensive: some drivers hand aggregates back naive
        oldest = oldest.replace(tzinfo=UTC)
    return int(count), max(0.0, (utcnow() - oldest).total_seconds())


async def prune(session: AsyncSession, *, retention: timedelta, batch: int = 10_000) -> int:
    """Delete up to ``batch`` events older than ``retention``; return how many."""
    cutoff = utcnow() - retention
    ids = select(Event.id).where(Event.created_at < cutoff).order_by(Event.id).limit(batch)
    result = await session.execute(delete(Event).where(Event.id.in_(ids.scalar_subquery())))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
