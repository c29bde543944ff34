"""The event log: live events written in the transaction that causes them.

Domain commands call :func:`emit`; nothing is written until the transaction
ends. :func:`flush_events` (called by ``Database.transaction`` just before
commit) allocates each channel's ``seq`` numbers and inserts the rows. Seqs are
allocated by an upsert on ``channel_seqs``, which row-locks the channel until
commit: concurrent transactions on PostgreSQL neither share nor skip a number,
and a rollback gives the numbers back. Channels are locked in sorted order, so
two transactions touching the same channels cannot deadlock, and the locks are
taken last, so they are held only for the commit.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeAlias

from sqlalchemy import insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from .models import ChannelSeq, Event
from .types import utcnow

__all__ = [
    "EventRecord",
    "LazyData",
    "campaign_channel",
    "current_seq",
    "emit",
    "flush_events",
    "flush_memo",
    "sender_channel",
]

_QUEUE = "shiftline.event_queue"
_MEMO = "shiftline.flush_memo"

# Data computed at flush time, after the channel's seq row is locked: values
# that summarize shared state (campaign totals) are then read in the same
# order as the seqs, so the event with the highest seq carries the latest truth.
LazyData: TypeAlias = Callable[[AsyncSession], Awaitable[dict[str, Any]]]


@dataclass(frozen=True, slots=True)
class EventRecord:
    """One committed (or about to be committed) event."""

    id: int
    channel: str
    seq: int
    kind: str
    data: dict[str, Any]
    created_at: datetime


def campaign_channel(campaign_id: int) -> str:
    return f"campaign:{campaign_id}"


def sender_channel(campaign_id: int, user_id: int) -> str:
    return f"sender:{campaign_id}:{user_id}"


class _Queue:
    """The events a transaction queued, in order; a keyed event replaces its predecessor."""

    __slots__ = ("items", "keyed")

    def __init__(self) -> None:
        self.items: list[tuple[str, str, dict[str, Any] | LazyData] | None] = []
        self.keyed: dict[str, int] = {}

    def add(self, channel: str, kind: str, data: dict[str, Any] | LazyData, key: str | None) -> None:
        if key is not None:
            previous = self.keyed.get(key)
            if previous is not None:
                self.items[previous] = None
            self.keyed[key] = len(self.items)
        self.items.append((channel, kind, data))


def emit(
    session: AsyncSession,
    channel: str,
    kind: str,
    data: dict[str, Any] | LazyData,
    *,
    key: str | None = None,
) -> None:
    """Queue an event to be written when ``session``'s transaction commits.

    ``data`` may be a coroutine function, run at flush time under the channel's
    lock (see above). Events queued with the same ``key`` in one transaction
    collapse to the last one (a transaction emits one ``stats`` per campaign).
    """
    queue: _Queue = session.info.setdefault(_QUEUE, _Queue())
    queue.add(channel, kind, data, key)


def flush_memo(session: AsyncSession) -> dict[Any, Any]:
    """A dict that lives while ``session``'s events are flushed.

    Lazy data functions use it to read shared state once per flush (all the
    counters of a campaign) instead of once per event.
    """
    memo: dict[Any, Any] = session.info.setdefault(_MEMO, {})
    return memo


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


async def flush_events(session: AsyncSession) -> list[EventRecord]:
    """Write every queued event of ``session``; return them in seq order per channel."""
    queue: _Queue | None = session.info.pop(_QUEUE, None)
    if queue is None:
        return []
    by_channel: dict[str, list[tuple[str, dict[str, Any] | LazyData]]] = defaultdict(list)
    for item in queue.items:
        if item is not None:
            channel, kind, data = item
            by_channel[channel].append((kind, data))
    if not by_channel:
        return []
    last = await _allocate(session, {channel: len(events) for channel, events in by_channel.items()})
    now = utcnow()
    rows: list[dict[str, Any]] = []
    try:
        for channel in sorted(by_channel):
            events = by_channel[channel]
            first = last[channel] - len(events) + 1
            for offset, (kind, lazy) in enumerate(events):
                data = await lazy(session) if callable(lazy) else lazy
                rows.append(
                    {"channel": channel, "seq": first + offset, "kind": kind, "data": data, "created_at": now}
                )
    finally:
        session.info.pop(_MEMO, None)
    result = await session.execute(insert(Event).returning(Event.id, Event.channel, Event.seq), rows)
    ids = {(channel, seq): id_ for id_, channel, seq in result.all()}
    return [
        EventRecord(ids[(r["channel"], r["seq"])], r["channel"], r["seq"], r["kind"], r["data"], now)
        for r in rows
    ]
