"""Keeps the presence tracker in step with this process's connections.

Connections call :meth:`PresenceSync.join`/:meth:`leave` synchronously; only
a key's first and last local connection matter, and those are queued for one
worker task. The worker reconciles the queued keys with the tracker, up to a
hundred at a time, in one database transaction per campaign that first
row-locks the campaign channel's seq, and
emits the ``presence`` event in that same transaction: the order of
transitions in the tracker is the order of the events' seqs, on every
instance. The same task refreshes this instance's entries (heartbeat) and
turns offline the users of instances that died.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections import Counter
from datetime import datetime

from persistence.commands import presence as presence_log
from persistence.outbox.log import online_in_log
from persistence.outbox.record import lock_channel
from persistence.rules.channels import campaign_channel, parse_channel
from persistence.store.database import Database
from presence import Key, Tracker

from .tasks import reraise_if_cancelled

__all__ = ["PresenceSync"]

logger = logging.getLogger("shiftline.presence")

# Keys reconciled per round: a reconnecting crowd (an instance died) becomes
# a few transactions instead of one per sender, each holding the campaign
# channel's lock while it talks to the tracker.
_BATCH = 100


class PresenceSync:
    """Args: db, tracker; ``interval`` between heartbeats and expiry sweeps.

    The interval is ``presence.timing.heartbeat_interval(ttl)``.
    """

    def __init__(self, db: Database, tracker: Tracker, *, interval: float) -> None:
        self.db = db
        self.tracker = tracker
        self.interval = interval
        self.local: Counter[Key] = Counter()
        self._dirty: dict[Key, None] = {}  # an ordered set
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._next_beat = 0.0

    def join(self, key: Key) -> None:
        self.local[key] += 1
        if self.local[key] == 1:
            self._mark(key)

    def leave(self, key: Key) -> None:
        if self.local[key] <= 1:
            self.local.pop(key, None)
            self._mark(key)
        else:
            self.local[key] -= 1

    def _mark(self, key: Key) -> None:
        self._dirty.pop(key, None)
        self._dirty[key] = None
        self._idle.clear()
        self._wake.set()

    async def settle(self, seconds: float) -> None:
        """Wait (up to ``seconds``) until every queued change has been applied."""
        try:
            async with asyncio.timeout(seconds):
                await self._idle.wait()
        except TimeoutError:
            logger.warning("presence changes still pending at shutdown: %d", len(self._dirty))

    async def forget_stale(self, *, since: datetime) -> int:
        """Report offline everyone the log still shows online (one process, just started).

        Only for the in-process tracker: a process that stopped without saying
        goodbye (kill -9, power loss) left its users online in the log.
        """
        async with self.db.transaction() as session:
            stale = await online_in_log(session, since=since)
            for channel, user_id in stale:
                name = parse_channel(channel)
                if name is None or name.campaign_id is None:  # inbox channels keep no presence
                    continue
                await lock_channel(session, channel)
                await presence_log.report(session, name.campaign_id, user_id, online=False)
        return len(stale)

    async def run(self) -> None:
        """Apply changes, heartbeat and sweep until cancelled (owned by ``running``)."""
        loop = asyncio.get_running_loop()
        self._next_beat = loop.time()
        while True:
            reraise_if_cancelled()
            timeout = max(0.0, self._next_beat - loop.time())
            # asyncio.timeout, not wait_for: Python 3.11's wait_for can swallow
            # the cancellation that stops this task when both race.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await self._wake.wait()
            self._wake.clear()
            try:
                await self._apply_dirty()
                if loop.time() >= self._next_beat:
                    await self._beat()
                    await self._sweep()
            except Exception as exc:  # tracker or database away: keep the state, retry
                reraise_if_cancelled()
                logger.warning("presence update failed, retrying: %s", exc)
                await asyncio.sleep(min(1.0, self.interval))
                self._wake.set()

    async def _apply_dirty(self) -> None:
        loop = asyncio.get_running_loop()
        while self._dirty:
            batch = list(itertools.islice(self._dirty, _BATCH))
            for key in batch:
                del self._dirty[key]
            try:
                await self._apply(batch)
            except BaseException:
                for key in batch:
                    self._dirty.setdefault(key, None)
                raise
            # A long queue (thousands of senders connecting at once) must not
            # delay the heartbeat past the entries' expiry: other instances
            # would then report our connected senders offline.
            if loop.time() >= self._next_beat:
                await self._beat()
        self._idle.set()

    async def _beat(self) -> None:
        self._next_beat = asyncio.get_running_loop().time() + self.interval
        await self._heartbeat()

    async def _apply(self, keys: list[Key]) -> None:
        """Reconcile ``keys`` with the tracker: one transaction (and one lock) per campaign."""
        by_campaign: dict[int, list[int]] = {}
        for campaign_id, user_id in keys:
            by_campaign.setdefault(campaign_id, []).append(user_id)
        loop = asyncio.get_running_loop()
        for campaign_id, user_ids in by_campaign.items():
            channel = campaign_channel(campaign_id)
            async with self.db.transaction() as session:
                await lock_channel(session, channel)
                for user_id in user_ids:
                    if loop.time() >= self._next_beat:
                        await self._beat()  # see _apply_dirty
                    key = (campaign_id, user_id)
                    online = key in self.local
                    changed = await (self.tracker.join(key) if online else self.tracker.leave(key))
                    if changed:
                        await presence_log.report(session, campaign_id, user_id, online=online)

    async def _heartbeat(self) -> None:
        for key in await self.tracker.refresh(list(self.local)):
            # The tracker lost our entry (Redis restarted empty): announce it again.
            self._mark(key)

    async def _sweep(self) -> None:
        for campaign_id in await self.tracker.expiring():
            async with self.db.transaction() as session:
                await lock_channel(session, campaign_channel(campaign_id))
                for user_id in await self.tracker.expire(campaign_id):
                    if (campaign_id, user_id) in self.local:
                        self._mark((campaign_id, user_id))  # our own entry lapsed: announce again
                    await presence_log.report(session, campaign_id, user_id, online=False)
