"""Counter events: ``stats`` and ``sender_stats``, published after the changes that move counters.

A command that changes counters only notes which campaign slots it touched
(``notify.emit_counts``). After it commits, ``Database.transaction`` hands
the notes to the process's :class:`CountsFeed`, which gathers the notes of
every change for ``interval`` seconds and then publishes, per campaign, one
``stats`` and one ``sender_stats`` per touched slot in a transaction of its
own. Without a feed (the CLI, scripts, tests of single commands) they are
published right after each commit. Each counter row counts its changes and
the changes a publication reported, so counts a process changed but died
before publishing are found by another process's :meth:`CountsFeed.sweep`.

Why not in the change's own transaction: the event with the highest seq must
carry the latest totals, so the totals had to be read under the campaign
channel's seq lock; done in every send, that read held the campaign's busiest
lock for several round trips. Here the read takes no lock: a publication
overtaken by other events of its campaign between its read and its commit is
simply published again (see :func:`publish_counts`). The values are absolute,
so one event an interval replaces many with nothing lost, and each read
follows the commits it reports.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Table, bindparam, func, literal, select, union_all, update
from sqlalchemy.ext.asyncio import AsyncSession

from persistence.outbox.pending import CountMarks
from persistence.outbox.record import committed, emit
from persistence.rules.channels import UNASSIGNED, campaign_channel, sender_channel, slot_of_row, slot_row
from persistence.store.models import ChannelSeq, ConversationCount, Event

if TYPE_CHECKING:
    from persistence.store.database import Database

__all__ = ["CountsFeed", "publish_counts", "publish_counts_now"]

logger = logging.getLogger("shiftline.counts")


# Core, not ORM: a plain executemany of one UPDATE per reported row.
_COUNTS = cast(Table, ConversationCount.__table__)
_MARK_PUBLISHED = (
    update(_COUNTS)
    .where(
        _COUNTS.c.campaign_id == bindparam("c"),
        _COUNTS.c.slot == bindparam("s"),
        _COUNTS.c.published < bindparam("n"),
    )
    .values(published=bindparam("n"))
)


async def _emit_counts(session: AsyncSession, campaign_id: int, slots: Iterable[int]) -> int:
    """Queue ``stats`` and the slots' ``sender_stats``; return the channel seq they were read at.

    Totals, slots and the seq come from one statement, so from one snapshot.
    """
    c = ConversationCount
    channel = campaign_channel(campaign_id)
    wanted = sorted(set(slots))
    seen = select(ChannelSeq.seq).where(ChannelSeq.channel == channel).scalar_subquery()
    totals = select(
        literal(None).label("slot"),
        func.coalesce(func.sum(c.assigned), 0),
        func.coalesce(func.sum(c.not_started), 0),
        func.coalesce(func.sum(c.sent), 0),
        func.coalesce(func.sum(c.needs_reply), 0),
        func.coalesce(seen, 0),
    ).where(c.campaign_id == campaign_id)
    per_slot = select(c.slot, c.assigned, c.not_started, c.sent, c.needs_reply, c.changes).where(
        c.campaign_id == campaign_id, c.slot.in_(wanted)
    )
    rows: list[Any] = list((await session.execute(union_all(totals, per_slot))).all())
    found = {int(r[0]): (int(r[1]), int(r[3]), int(r[4])) for r in rows if r[0] is not None}
    _, total, not_started, _, needs_reply, seq = next(r for r in rows if r[0] is None)
    stats = {"total": int(total), "not_started": int(not_started), "needs_reply": int(needs_reply)}
    emit(session, channel, "stats", stats)
    for slot in wanted:
        assigned, sent, waiting = found.get(slot, (0, 0, 0))
        data: dict[str, Any] = {
            "user_id": slot_of_row(slot),
            "assigned": assigned,
            "sent": sent,
            "needs_reply": waiting,
        }
        emit(session, channel, "sender_stats", data)
        if slot != UNASSIGNED:
            emit(session, sender_channel(campaign_id, slot), "sender_stats", data)
    # In slot order, as every change locks counter rows, so that none can deadlock with another.
    reported = sorted(
        ({"c": campaign_id, "s": int(r[0]), "n": int(r[5])} for r in rows if r[0] is not None and r[5]),
        key=lambda row: row["s"],
    )
    if reported:
        await session.execute(_MARK_PUBLISHED, reported)
    return int(seq)


async def publish_counts(db: Database, marks: CountMarks) -> CountMarks:
    """Publish the current counts of the marked slots, one transaction per campaign.

    Returns what to publish again: this publication is stale where another
    publication of the same numbers committed between its read and its
    commit, since that one may carry a change this read missed, and this one
    would follow it with older numbers. Publishing those again ends with the
    latest truth last, and takes no lock.
    """
    again: CountMarks = {}
    for campaign_id in sorted(marks):
        async with db.transaction() as session:
            seen = await _emit_counts(session, campaign_id, marks[campaign_id])
        channel = campaign_channel(campaign_id)
        first = min(r.seq for r in committed(session) if r.channel == channel)
        if first != seen + 1:
            async with db.session() as reader:
                overtaken = await _overtaken(reader, channel, seen, first, marks[campaign_id])
            if overtaken is not None:
                again[campaign_id] = overtaken
    return again


async def _overtaken(
    session: AsyncSession, channel: str, after: int, before: int, slots: set[int]
) -> set[int] | None:
    """The slots (and None if not even the totals) whose counts others published in the window."""
    rows = await session.execute(
        select(Event.kind, Event.data).where(
            Event.channel == channel,
            Event.seq > after,
            Event.seq < before,
            Event.kind.in_(("stats", "sender_stats")),
        )
    )
    stale: set[int] = set()
    totals = False
    for kind, data in rows:
        if kind == "stats":
            totals = True
        else:
            slot = slot_row(data["user_id"])
            if slot in slots:
                stale.add(slot)
    # Every publication carries the totals, so stale slots come with stale totals.
    return stale if totals else None


async def publish_counts_now(db: Database, marks: CountMarks, *, rounds: int = 5) -> None:
    """Publish until no publication was overtaken (without a feed: the CLI, scripts)."""
    for _ in range(rounds):
        marks = await publish_counts(db, marks)
        if not marks:
            return
    logger.warning("counts of campaigns %s may lag: overtaken %d times in a row", sorted(marks), rounds)


_UNREPORTED = select(ConversationCount.campaign_id, ConversationCount.slot, ConversationCount.changes).where(
    ConversationCount.changes != ConversationCount.published
)


class CountsFeed:
    """Coalesces count notes; the server publishes them (``gather`` then ``flush``) and sweeps.

    The loops that drive it belong to the server (``server.live.counts``).
    """

    def __init__(self, db: Database, *, interval: float = 0.1) -> None:
        self.db = db
        self.interval = interval
        self._pending: CountMarks = {}
        self._wake = asyncio.Event()
        self._unreported: dict[tuple[int, int], int] = {}

    def add(self, marks: CountMarks) -> None:
        for campaign_id, slots in marks.items():
            self._pending.setdefault(campaign_id, set()).update(slots)
        self._wake.set()

    async def flush(self) -> None:
        """Publish everything noted so far; on failure the notes are kept for the next try."""
        pending, self._pending = self._pending, {}
        if not pending:
            return
        try:
            again = await publish_counts(self.db, pending)
        except BaseException:
            self.add(pending)
            raise
        if again:
            self.add(again)

    async def sweep(self) -> int:
        """Publish counter rows left unreported since the last sweep; return how many.

        Their changes committed, but the process that should have published
        them stopped first (or its publication failed). A row seen unreported
        with the same number of changes by two sweeps in a row is taken over.
        """
        async with self.db.session() as session:
            rows = await session.execute(_UNREPORTED)
            now = {(int(cid), int(slot)): int(changes) for cid, slot, changes in rows}
        stuck: CountMarks = {}
        for (campaign_id, slot), changes in now.items():
            if self._unreported.get((campaign_id, slot)) == changes:
                stuck.setdefault(campaign_id, set()).add(slot)
        self._unreported = now
        if stuck:
            self.add(stuck)
        return sum(len(slots) for slots in stuck.values())

    async def gather(self) -> None:
        """Wait for notes, then ``interval`` more for the changes that follow them."""
        await self._wake.wait()
        await asyncio.sleep(self.interval)
        self._wake.clear()
