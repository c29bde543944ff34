"""The hub: this process's channels, fan-out in seq order, resume and catch-up.

Every event reaches the hub twice at most: straight from a local commit and
back through the broker. Per channel the hub keeps the last seq it fanned
out; it drops what it has seen, holds back what comes early and fills any gap
from the event log, so clients receive each channel's events in seq order,
each once. A broker gap (reconnect, overflow) catches every channel up from
the log.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from typing import Any

import msgpack

from channels import GAP, Broker, BrokerUnavailable, Subscription
from persistence.outbox.log import catch_up, history, pages, positions, replayable
from persistence.rules.channels import parse_channel
from persistence.rules.events import EventRecord
from persistence.store.database import Database

from ..actor_cache import ActorCache
from .access import Access
from .batching import Batcher
from .connection import Connection, ConnSub
from .metrics import Metrics
from .presence_sync import PresenceSync
from .protocol import CLOSE_FORBIDDEN, EventFrames, ProtocolError, decode_event
from .sequencer import Sequencer
from .tasks import reraise_if_cancelled

__all__ = ["CONTROL_CHANNEL", "Hub", "HubChannel"]

logger = logging.getLogger("shiftline.live")

CONTROL_CHANNEL = "_control"
_REPLAY_PAGE = 500
_BUFFER_LIMIT = 2000  # live events held for one subscription while it replays
_CATCH_UP_CHUNK = 200  # channels per catch-up query


class HubChannel:
    """A channel with (or recently with) local subscribers."""

    __slots__ = ("idle_since", "name", "ready", "seq", "subs")

    def __init__(self, name: str) -> None:
        self.name = name
        self.subs: set[ConnSub] = set()
        self.seq = Sequencer()  # not positioned while the channel is being set up
        self.ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.idle_since: float | None = None


class Hub:
    """Owns the channels and connections of this process."""

    def __init__(
        self,
        db: Database,
        broker: Broker,
        presence: PresenceSync,
        metrics: Metrics,
        *,
        max_subscriptions: int,
        actors: ActorCache | None = None,
        reads: Database | None = None,
    ) -> None:
        self.db = db
        # Token users this process remembers (server/actor_cache.py): forgotten on
        # every revocation this hub hears of, and wholesale after a broker gap.
        self.actors = actors if actors is not None else ActorCache()
        # Where resubscriptions' batched reads go: a pool of their own keeps a
        # reconnecting crowd from queueing behind the requests for ``db``'s.
        self.reads = reads or db
        self.broker = broker
        self.presence = presence
        self.metrics = metrics
        self.max_subscriptions = max_subscriptions
        self.channels: dict[str, HubChannel] = {}
        self.connections: set[Connection] = set()
        self._by_user: dict[int, set[Connection]] = {}
        self._sub: Subscription | None = None
        self._catch_up: set[str] = set()
        self._catch_up_wake = asyncio.Event()
        # What each sweeper's connection last said it views: (channel, sender id).
        self._viewing: dict[Connection, tuple[str, int | None]] = {}
        # A crowd that resubscribes at once (an instance died) asks in batches,
        # a few queries at a time, instead of one pooled connection per question.
        self.access = Access(self.reads)
        self._listens: Batcher[str, None] = Batcher(self._listen_to)
        self._positions: Batcher[str, int] = Batcher(self._read_positions)
        self._pages: Batcher[tuple[str, int], tuple[int, list[EventRecord]]] = Batcher(self._read_pages)

    async def _listen_to(self, channels: list[str]) -> dict[str, None]:
        """Have the broker listen to new channels, many in one round trip."""
        if self._sub is None:
            raise BrokerUnavailable("the hub is not listening")
        await self._sub.add(*channels)
        return dict.fromkeys(channels)

    async def _read_positions(self, channels: list[str]) -> dict[str, int]:
        async with self.reads.session() as session:
            return await positions(session, channels)

    async def _read_pages(
        self, wants: list[tuple[str, int]]
    ) -> dict[tuple[str, int], tuple[int, list[EventRecord]]]:
        """Each (channel, after)'s next page of the log, with the channel's current seq.

        The position is read first: on PostgreSQL each read sees its own
        snapshot, and an event committed between the page and a later position
        read made a resumable client look out of date (told to resync).
        """
        async with self.reads.session() as session:
            current = await positions(session, {channel for channel, _ in wants})
            read = await pages(session, wants, limit=_REPLAY_PAGE)
        return {want: (current[want[0]], records) for want, records in read.items()}

    @property
    def listening(self) -> bool:
        """True while the hub receives the broker's messages (other instances' revocations among them)."""
        return self._sub is not None

    async def close(self) -> None:
        """Cancel the batched reads under way (the server is stopping)."""
        await self.access.close()
        await self._listens.close()
        await self._positions.close()
        await self._pages.close()

    # -- running -----------------------------------------------------------

    async def listen(self) -> None:
        """Receive the broker's messages until cancelled (owned by ``running``)."""
        async with self.broker.subscribe(CONTROL_CHANNEL) as sub:
            self._sub = sub
            try:
                async for message in sub:
                    try:
                        if message is GAP or message.channel == "":
                            self.actors.clear()  # a revocation may be among the lost
                            self.request_catch_up(self.channels)
                        elif message.channel == CONTROL_CHANNEL:
                            self._control(message.payload)
                        else:
                            self.dispatch(decode_event(message.payload))
                    except Exception:
                        reraise_if_cancelled()
                        logger.exception("dropping a broker message that could not be handled")
            finally:
                self._sub = None

    async def catch_up_loop(self) -> None:
        """Fill gaps from the event log whenever asked (owned by ``running``)."""
        while True:
            reraise_if_cancelled()
            await self._catch_up_wake.wait()
            self._catch_up_wake.clear()
            await asyncio.sleep(0.02)  # let publications already in flight land first
            names, self._catch_up = self._catch_up, set()
            try:
                await self._fill(names)
            except Exception as exc:  # the database is away: try again shortly
                reraise_if_cancelled()
                logger.warning("catch-up from the event log failed: %s", exc)
                self._catch_up |= names
                await asyncio.sleep(1.0)
                self._catch_up_wake.set()

    def request_catch_up(self, names: Iterable[str]) -> None:
        self._catch_up.update(names)
        if self._catch_up:
            self._catch_up_wake.set()

    async def _fill(self, names: set[str]) -> None:
        ordered = sorted(names)
        for start in range(0, len(ordered), _CATCH_UP_CHUNK):
            chunk = ordered[start : start + _CATCH_UP_CHUNK]
            while True:
                lasts = {
                    n: ch.seq.last
                    for n in chunk
                    if (ch := self.channels.get(n)) is not None and ch.seq.positioned
                }
                if not lasts:
                    break
                async with self.db.session() as session:
                    rows = await catch_up(session, lasts, limit=5000)
                self.metrics.catch_ups += 1
                for record in rows:
                    self.dispatch(record)
                if len(rows) < 5000:
                    break
            for name in chunk:
                ch = self.channels.get(name)
                if ch is not None and ch.seq.waiting:
                    await self._settle_gap(ch)

    async def _settle_gap(self, ch: HubChannel) -> None:
        """Events still wait behind a gap after a catch-up read.

        Seqs are gapless and allocated under a lock held until commit, so a
        seq below a published one is committed: if the log still keeps it, it
        was committed after the read began (its publication raced the query),
        and another read finds it. Only seqs older than the log's oldest were
        pruned; then subscribers are told to resync instead of silently
        missing them.
        """
        async with self.db.session() as session:
            hist = await history(session, ch.name)
        if hist.oldest is not None and hist.oldest <= ch.seq.last + 1:
            self.request_catch_up((ch.name,))
            return
        gone_from = ch.seq.last + 1
        resync_at, ready = ch.seq.skip_gap()
        logger.warning("%s: seqs %d..%d are gone from the log", ch.name, gone_from, resync_at)
        for sub in tuple(ch.subs):
            sub.conn.send_obj({"type": "resync", "channel": ch.name, "seq": resync_at})
        for record in ready:
            self._deliver(ch, record)

    async def sweep_idle(self, *, linger: float = 30.0) -> None:
        """Stop listening to channels nobody here has watched for ``linger`` seconds.

        Also to channels whose set-up was given up (its client left) after the
        broker had begun listening for it.
        """
        now = time.monotonic()
        for name, ch in list(self.channels.items()):
            if not ch.subs and ch.idle_since is not None and now - ch.idle_since > linger:
                del self.channels[name]
                if self._sub is not None:
                    await self._sub.remove(name)
        if self._sub is not None:
            for name in self._sub.channels - self.channels.keys() - {CONTROL_CHANNEL}:
                await self._sub.remove(name)

    # -- fan-out -----------------------------------------------------------

    def dispatch_records(self, records: Iterable[EventRecord]) -> None:
        for record in records:
            self.dispatch(record)

    def dispatch(self, record: EventRecord) -> None:
        """Fan one event out in seq order; hold early ones, ask for gaps to be filled."""
        ch = self.channels.get(record.channel)
        if ch is None:
            return
        offer = ch.seq.offer(record)
        if offer.gap:
            self.request_catch_up((ch.name,))
        for ready in offer.ready:
            self._deliver(ch, ready)

    def _deliver(self, ch: HubChannel, record: EventRecord) -> None:
        self.metrics.events_dispatched += 1
        if not ch.subs:
            return
        frames = EventFrames(record)
        seq = record.seq
        sent = 0
        for sub in tuple(ch.subs):
            buffer = sub.buffer
            if buffer is not None:
                if len(buffer) >= _BUFFER_LIMIT:
                    buffer.clear()
                    sub.overflowed = True
                buffer.append(frames)
                continue
            if seq <= sub.last:
                continue
            sub.last = seq
            sub.conn.send_event(frames)
            sent += 1
        self.metrics.deliveries += sent

    # -- channels ----------------------------------------------------------

    async def _channel(self, name: str) -> HubChannel:
        """The channel, listening on the broker and positioned at the log's current seq."""
        ch = self.channels.get(name)
        if ch is not None:
            ch.idle_since = None
            await asyncio.shield(ch.ready)
            return ch
        ch = self.channels[name] = HubChannel(name)
        try:
            await self._listens.get(name)
            # Read the position only once the broker listens: anything committed
            # later arrives through it, anything before is in the log.
            start = await self._positions.get(name)
        except BaseException as exc:
            if self.channels.get(name) is ch:
                del self.channels[name]
            ch.ready.set_exception(
                exc if isinstance(exc, Exception) else BrokerUnavailable("set-up cancelled")
            )
            ch.ready.exception()  # retrieved: waiters re-raise it themselves
            raise
        ch.ready.set_result(None)
        for record in ch.seq.start_at(start):
            self._deliver(ch, record)
        return ch

    # -- connections -------------------------------------------------------

    def add(self, conn: Connection) -> None:
        self.connections.add(conn)
        self._by_user.setdefault(conn.actor.user_id, set()).add(conn)
        self.metrics.connections_total += 1

    def remove(self, conn: Connection) -> None:
        for channel in list(conn.subs):
            self._detach(conn, channel)
        self.connections.discard(conn)
        conns = self._by_user.get(conn.actor.user_id)
        if conns is not None:
            conns.discard(conn)
            if not conns:
                del self._by_user[conn.actor.user_id]

    def _detach(self, conn: Connection, channel: str) -> ConnSub | None:
        sub = conn.subs.pop(channel, None)
        if sub is None:
            return None
        ch = self.channels.get(channel)
        if ch is not None:
            ch.subs.discard(sub)
            if not ch.subs:
                ch.idle_since = time.monotonic()
        if sub.presence is not None:
            self.presence.leave(sub.presence)
        return sub

    async def subscribe(self, conn: Connection, channel: str, since: int | None) -> None:
        """Authorize, then subscribe ``conn``; replay from ``since`` with no gap or duplicate.

        Raises:
            ProtocolError: the subscription is refused (the connection stays open).
        """
        if channel not in conn.subs and len(conn.subs) >= self.max_subscriptions:
            raise ProtocolError(
                "too_many_subscriptions",
                f"At most {self.max_subscriptions} channels per connection.",
                channel=channel,
            )
        name = await self.access.authorize(conn.actor, channel)
        self._detach(conn, channel)  # subscribing again restarts from the new `since`
        try:
            ch = await self._channel(channel)
        except (BrokerUnavailable, OSError):
            raise ProtocolError(
                "unavailable", "Live updates are unavailable; retry shortly.", channel=channel
            ) from None
        if conn.dead:
            return
        # Presence is per campaign: an inbox channel makes nobody online anywhere.
        presence = (
            (name.campaign_id, conn.actor.user_id)
            if name.campaign_id is not None and name.user_id == conn.actor.user_id
            else None
        )
        if since is None:
            self._attach(conn, ch, ConnSub(conn, channel, ch.seq.last, presence=presence))
            conn.send_obj({"type": "subscribed", "channel": channel, "seq": ch.seq.last})
            return
        # Attached (holding live events back) before the log is read: what
        # commits after the read arrives live, what committed before is read.
        sub = ConnSub(conn, channel, since, presence=presence)
        sub.buffer = []
        self._attach(conn, ch, sub)
        current, first = await self._pages.get((channel, since))
        if conn.subs.get(channel) is not sub or conn.dead:
            return  # unsubscribed or closed meanwhile
        if not replayable(since, current, first):
            # The held events are below ch.seq.last: the client reloads a snapshot instead.
            sub.buffer = None
            sub.last = ch.seq.last
            conn.send_obj({"type": "subscribed", "channel": channel, "seq": ch.seq.last})
            conn.send_obj({"type": "resync", "channel": channel, "seq": ch.seq.last})
            return
        conn.send_obj({"type": "subscribed", "channel": channel, "seq": max(ch.seq.last, since)})
        await self._replay(sub, first)

    def _attach(self, conn: Connection, ch: HubChannel, sub: ConnSub) -> None:
        conn.subs[ch.name] = sub
        ch.subs.add(sub)
        ch.idle_since = None
        if sub.presence is not None:
            self.presence.join(sub.presence)

    async def _replay(self, sub: ConnSub, first: list[EventRecord]) -> None:
        """Send the log after ``sub.last`` (``first``: its first page, read already),
        then what arrived meanwhile, then go live."""
        conn = sub.conn
        page: list[EventRecord] | None = first
        while True:
            while True:
                if page is None:
                    _, page = await self._pages.get((sub.channel, sub.last))
                for record in page:
                    if conn.subs.get(sub.channel) is not sub or conn.dead:
                        return  # unsubscribed or closed meanwhile
                    conn.send_event(EventFrames(record))
                    sub.last = record.seq
                    await conn.wait_room()
                if len(page) < _REPLAY_PAGE:
                    break
                page = None
            page = None
            # Hand over to live delivery with no await between the last check and the switch.
            while True:
                if sub.overflowed:
                    sub.overflowed = False
                    sub.buffer = []
                    break  # read the log again
                held = sub.buffer or []
                if not held:
                    sub.buffer = None
                    return
                sub.buffer = []
                for frames in held:
                    if frames.record.seq > sub.last:
                        conn.send_event(frames)
                        sub.last = frames.record.seq
                await conn.wait_room()
                if conn.subs.get(sub.channel) is not sub or conn.dead:
                    return

    def unsubscribe(self, conn: Connection, channel: str) -> bool:
        return self._detach(conn, channel) is not None

    # -- revocation --------------------------------------------------------

    async def revoke(self, user_id: int, campaign_id: int | None) -> None:
        """End a user's subscriptions here and, through the broker, everywhere."""
        self._revoke_local(user_id, campaign_id)
        payload = msgpack.packb(["revoke", user_id, campaign_id])
        try:
            await self.broker.publish(CONTROL_CHANNEL, payload)
        except BrokerUnavailable:
            logger.warning("could not tell other instances to revoke user %d's access", user_id)

    def _control(self, payload: bytes) -> None:
        message: list[Any] = msgpack.unpackb(payload)
        if message and message[0] == "revoke":
            self._revoke_local(int(message[1]), None if message[2] is None else int(message[2]))
        elif message and message[0] == "viewing":
            self._viewing_local(str(message[1]), int(message[2]), message[3])
        elif message and message[0] == "ephemeral":
            self._ephemeral_local([str(c) for c in message[1]], int(message[2]), str(message[3]), message[4])

    # -- ephemeral events (no seq, not logged) --------------------------------

    async def publish_ephemeral(
        self, channels: list[str], user_id: int, kind: str, data: dict[str, Any]
    ) -> None:
        """Show an event with no seq to everyone but ``user_id`` on ``channels``, on every instance.

        A connection on several of the channels gets it once, through the first.
        Lost with the broker (this instance's connections still get it).
        """
        payload = msgpack.packb(["ephemeral", channels, user_id, kind, data])
        try:
            await self.broker.publish(CONTROL_CHANNEL, payload)
        except BrokerUnavailable:
            self._ephemeral_local(channels, user_id, kind, data)

    def _ephemeral_local(self, channels: list[str], user_id: int, kind: str, data: dict[str, Any]) -> None:
        told: set[Connection] = set()
        for channel in channels:
            ch = self.channels.get(channel)
            if ch is None:
                continue
            frame = {"type": "event", "channel": channel, "seq": None, "kind": kind, "data": data}
            for sub in tuple(ch.subs):
                conn = sub.conn
                if conn.actor.user_id != user_id and sub.buffer is None and conn not in told:
                    told.add(conn)
                    conn.send_obj(frame)

    # -- who views what (not logged) ----------------------------------------

    async def viewing(self, conn: Connection, channel: str, sender_id: int | None) -> None:
        """Tell the others on ``channel``, on every instance, which sender ``conn`` views.

        Not an event of the log: it has no seq, is not replayed and is lost
        with the broker; a page sends it again when it (re)subscribes.

        Raises:
            ProtocolError: ``conn`` may not watch the campaign channel.
        """
        name = await self.access.authorize(conn.actor, channel)
        if name.user_id is not None:
            raise ProtocolError(
                "invalid_channel", "'viewing' goes to a campaign:{id} channel.", channel=channel
            )
        if sender_id is None:
            self._viewing.pop(conn, None)
        else:
            self._viewing[conn] = (channel, sender_id)
        await self._publish_viewing(channel, conn.actor.user_id, sender_id)

    async def stop_viewing(self, conn: Connection) -> None:
        """A connection that viewed a sender ended: the others see it view nothing."""
        last = self._viewing.pop(conn, None)
        if last is not None and not any(
            other.actor.user_id == conn.actor.user_id and view[0] == last[0]
            for other, view in self._viewing.items()
        ):
            await self._publish_viewing(last[0], conn.actor.user_id, None)

    async def _publish_viewing(self, channel: str, user_id: int, sender_id: int | None) -> None:
        payload = msgpack.packb(["viewing", channel, user_id, sender_id])
        try:
            await self.broker.publish(CONTROL_CHANNEL, payload)
        except BrokerUnavailable:
            self._viewing_local(channel, user_id, sender_id)  # this instance at least

    def _viewing_local(self, channel: str, user_id: int, sender_id: int | None) -> None:
        ch = self.channels.get(channel)
        if ch is None:
            return
        frame = {
            "type": "event",
            "channel": channel,
            "seq": None,
            "kind": "viewing",
            "data": {"user_id": user_id, "sender_id": sender_id},
        }
        for sub in tuple(ch.subs):
            if sub.conn.actor.user_id != user_id and sub.buffer is None:
                sub.conn.send_obj(frame)

    def _revoke_local(self, user_id: int, campaign_id: int | None) -> None:
        self.access.forget(user_id, campaign_id)
        self.actors.forget(user_id)
        for conn in list(self._by_user.get(user_id, ())):
            if campaign_id is None:
                conn.kill(CLOSE_FORBIDDEN, "access revoked")
                continue
            if conn.actor.is_sweeper:
                continue  # sweepers see every campaign of their organization
            for channel in list(conn.subs):
                parsed = parse_channel(channel)
                if parsed is not None and parsed.campaign_id == campaign_id:
                    self._detach(conn, channel)
                    conn.send_obj(
                        ProtocolError(
                            "access_revoked", "You are no longer a sender of this campaign.", channel=channel
                        ).frame()
                    )

    def close_all(self, code: int, reason: str = "") -> None:
        for conn in list(self.connections):
            conn.kill(code, reason)
