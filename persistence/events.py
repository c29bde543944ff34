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
    "sender_channel",
]

_QUEUE = "shiftline.event_queue"

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
    queue: list[tuple[str, str, dict[str, Any] | LazyData, str | None]] = session.info.setdefault(_QUEUE, [])
    if key is not None:
        queue[:] = [item for item in queue if item[3] != key]
    queue.append((channel, kind, data, key))


async def current_seq(session: AsyncSession, channel: str) -> int:
    seq = await session.scalar(select(ChannelSeq.seq).where(ChannelSeq.channel == channel))
    return seq or 0


async def _allocate(session: AsyncSession, channel: str, count: int) -> int:
    """Reserve ``count`` seqs on ``channel``; return the last one."""
    dialect = session.get_bind().dialect.name
    upsert = postgresql.insert(ChannelSeq) if dialect == "postgresql" else sqlite.insert(ChannelSeq)
    stmt = (
        upsert.values(channel=channel, seq=count)
        .on_conflict_do_update(index_elements=[ChannelSeq.channel], set_={"seq": ChannelSeq.seq + count})
        .returning(ChannelSeq.seq)
    )
    last = await session.scalar(stmt)
    if last is None:  # pragma: no cover - RETURNING always yields a row here
        raise RuntimeError(f"could not allocate a seq on {channel}")
    return last


async def flush_events(session: AsyncSession) -> list[EventRecord]:
    """Write every queued event of ``session``; return them in seq order per channel."""
    queued: list[tuple[str, str, dict[str, Any] | LazyData, str | None]] = session.info.pop(_QUEUE, [])
    if not queued:
        return []
    by_channel: dict[str, list[tuple[str, dict[str, Any] | LazyData]]] = defaultdict(list)
    for channel, kind, data, _key in queued:
        by_channel[channel].append((kind, data))
    now = utcnow()
    rows: list[dict[str, Any]] = []
    for channel in sorted(by_channel):
        events = by_channel[channel]
        last = await _allocate(session, channel, len(events))
        first = last - len(events) + 1
        for offset, (kind, lazy) in enumerate(events):
            data = await lazy(session) if callable(lazy) else lazy
            rows.append(
                {"channel": channel, "seq": first + offset, "kind": kind, "data": data, "created_at": now}
            )
    result = await session.execute(insert(Event).returning(Event.id, Event.channel, Event.seq), rows)
    ids = {(channel, seq): id_ for id_, channel, seq in result.all()}
    return [
        EventRecord(ids[(r["channel"], r["seq"])], r["channel"], r["seq"], r["kind"], r["data"], now)
        for r in rows
    ]
