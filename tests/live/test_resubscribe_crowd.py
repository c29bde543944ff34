"""A crowd that resubscribes at once (its instance died) is answered in a few batched queries.

Each client still gets exactly what it missed, in order; a sender whose
access was revoked is asked about again, not answered from memory; sweepers
watching their senders' inboxes are checked together too, and another
organization's inbox stays not found.
"""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from typing import Any

import pytest
from sqlalchemy import delete

from channels import create_broker
from persistence.outbox.log import pages
from persistence.outbox.outbox import Outbox, Subscriber
from persistence.outbox.record import emit
from persistence.rules.channels import campaign_channel, inbox_channel, sender_channel
from persistence.store.database import Database
from persistence.store.models import CampaignSender
from persistence.store.scope import Actor
from presence import create_tracker
from server.live.batching import Batcher
from server.live.hub import Hub
from server.live.metrics import Metrics
from server.live.presence_sync import PresenceSync
from server.live.protocol import EventFrames, ProtocolError
from tests.support.statements import statements
from tests.support.worlds.messaging import build

CROWD = 40


class Client:
    """What the hub needs of a connection: it records the frames it is sent."""

    def __init__(self, actor: Actor) -> None:
        self.actor = actor
        self.subs: dict[str, Any] = {}
        self.dead = False
        self.frames: list[dict[str, Any]] = []

    def send_obj(self, frame: dict[str, Any]) -> None:
        self.frames.append(frame)

    def send_event(self, frames: EventFrames) -> None:
        r = frames.record
        self.frames.append({"type": "event", "channel": r.channel, "seq": r.seq, "data": r.data})

    async def wait_room(self) -> None:
        return None

    def kill(self, code: int, reason: str = "") -> None:
        self.dead = True


async def _running_hub(db: Database, stack: AsyncExitStack, *, reads: Database | None = None) -> Hub:
    broker = await stack.enter_async_context(create_broker(None))
    tracker = await stack.enter_async_context(create_tracker(None, "test"))
    presence = PresenceSync(db, tracker, interval=5)
    hub = Hub(db, broker, presence, Metrics(), max_subscriptions=10, reads=reads)
    for coro in (hub.listen(), hub.catch_up_loop()):
        task = asyncio.create_task(coro)
        stack.callback(task.cancel)
    stack.push_async_callback(hub.close)
    for _ in range(500):  # the hub subscribes to its control channel first
        if hub._sub is not None:
            break
        await asyncio.sleep(0.01)
    return hub


async def test_forty_resubscriptions_at_once_take_a_few_queries_and_miss_nothing(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = await build(db)
    cid = world.campaign_id
    # Forty channels of the campaign, each with three events; the clients saw the first.
    channels = [sender_channel(cid, 1000 + i) for i in range(CROWD - 1)] + [campaign_channel(cid)]
    with Outbox.of(db).subscribed(Subscriber(events=_ignore)):
        async with db.transaction() as session:
            for channel in channels:
                for n in range(3):
                    emit(session, channel, "stats", {"n": n})

    async with AsyncExitStack() as stack:
        hub = await _running_hub(db, stack)
        listens: list[list[str]] = []
        listen = hub.broker._listen

        async def _listen(names: list[str]) -> None:
            listens.append(names)
            await listen(names)

        monkeypatch.setattr(hub.broker, "_listen", _listen)
        clients = [Client(world.owner) for _ in channels]
        with statements(db) as seen:
            async with asyncio.timeout(30):
                await asyncio.gather(
                    *(hub.subscribe(c, ch, since=1) for c, ch in zip(clients, channels, strict=True))  # type: ignore[arg-type]
                )

        for client, channel in zip(clients, channels, strict=True):
            assert [(f["type"], f.get("seq")) for f in client.frames] == [
                ("subscribed", 3),
                ("event", 2),
                ("event", 3),
            ], channel
        # One by one this was five statements a subscription (access, position,
        # history twice, the log): 200. Batched: a few for the whole crowd.
        assert len(seen) <= 12, seen
        # And the broker listened to the forty channels in a call or two, not one call (round trip) each.
        assert sorted(n for names in listens for n in names) == sorted(channels)
        assert len(listens) <= 2, listens


async def test_forty_inbox_resubscriptions_at_once_take_a_few_queries(db: Database) -> None:
    names = tuple((f"S{i}", "Sender") for i in range(CROWD))
    world = await build(db, sender_names=names)
    elsewhere = await build(db, name="Elsewhere", domain="elsewhere.org", number=None, webhook_token=None)
    stranger = elsewhere.owner
    # The owner watches every sender's inbox; each inbox has two events, the client saw the first.
    inboxes = [inbox_channel(actor.user_id) for actor in world.senders.values()]
    with Outbox.of(db).subscribed(Subscriber(events=_ignore)):
        async with db.transaction() as session:
            for channel in inboxes:
                for n in range(2):
                    emit(session, channel, "message", {"n": n})

    async with AsyncExitStack() as stack:
        hub = await _running_hub(db, stack)
        clients = [Client(world.owner) for _ in inboxes]
        outsider = Client(world.owner)
        with statements(db) as seen:
            async with asyncio.timeout(30):
                answers = await asyncio.gather(
                    *(hub.subscribe(c, ch, since=1) for c, ch in zip(clients, inboxes, strict=True)),  # type: ignore[arg-type]
                    hub.subscribe(outsider, inbox_channel(stranger.user_id), since=None),  # type: ignore[arg-type]
                    return_exceptions=True,
                )

        refused = answers[-1]
        assert isinstance(refused, ProtocolError) and refused.code == "not_found"
        assert all(a is None for a in answers[:-1]), answers
        for client, channel in zip(clients, inboxes, strict=True):
            frames = [(f["type"], f.get("seq")) for f in client.frames]
            assert frames == [("subscribed", 2), ("event", 2)], channel
        # One session a check, this was forty statements for the checks alone.
        assert len(seen) <= 10, seen


async def test_a_revoked_sender_is_asked_about_again(db: Database) -> None:
    world = await build(db)
    sam = world.senders["Sam"]
    channel = sender_channel(world.campaign_id, sam.user_id)
    async with AsyncExitStack() as stack:
        hub = await _running_hub(db, stack)
        first = Client(sam)
        hub.add(first)  # type: ignore[arg-type]
        await hub.subscribe(first, channel, since=None)  # type: ignore[arg-type]
        assert first.frames[0]["type"] == "subscribed"

        await _remove_sender(db, world.campaign_id, sam.user_id)
        hub._revoke_local(sam.user_id, world.campaign_id)
        assert any(f.get("code") == "access_revoked" for f in first.frames)
        with pytest.raises(ProtocolError) as refused:
            await hub.subscribe(Client(sam), channel, since=None)  # type: ignore[arg-type]
        assert refused.value.code == "forbidden"


async def test_a_client_that_leaves_while_its_channel_is_set_up_leaves_no_listening_behind(
    db: Database,
) -> None:
    world = await build(db)
    channel = campaign_channel(world.campaign_id)
    async with AsyncExitStack() as stack:
        hub = await _running_hub(db, stack)
        positioned = asyncio.Event()

        async def _never(channels: list[str]) -> dict[str, int]:
            positioned.set()
            await asyncio.Event().wait()  # the database is slow to say where the channel is
            raise AssertionError("unreachable")

        hub._positions = Batcher(_never)
        leaving = asyncio.create_task(hub.subscribe(Client(world.owner), channel, since=None))  # type: ignore[arg-type]
        await asyncio.wait_for(positioned.wait(), 10)
        leaving.cancel()
        with pytest.raises(asyncio.CancelledError):
            await leaving
        assert hub._sub is not None
        assert channel not in hub.channels
        assert channel in hub._sub.channels  # the broker had begun listening for it

        await hub.sweep_idle()
        assert channel not in hub._sub.channels


async def test_resubscriptions_are_served_while_every_request_connection_is_taken(
    db: Database, database_url: str
) -> None:
    if db.dialect != "postgresql":
        pytest.skip("SQLite has one writer and no pool to share")
    world = await build(db)
    channels = [sender_channel(world.campaign_id, 2000 + i) for i in range(CROWD)]
    requests = Database(database_url, pool_size=1)  # three connections at most
    reads = Database(database_url, pool_size=1)
    async with AsyncExitStack() as stack:
        stack.push_async_callback(requests.dispose)
        stack.push_async_callback(reads.dispose)
        for _ in range(3):  # the requests of the killed instance's users hold every connection
            session = await stack.enter_async_context(requests.session())
            await session.connection()
        hub = await _running_hub(requests, stack, reads=reads)
        clients = [Client(world.owner) for _ in channels]
        async with asyncio.timeout(10):  # the shared pool would have made them wait 30 s, then fail
            await asyncio.gather(
                *(hub.subscribe(c, ch, since=None) for c, ch in zip(clients, channels, strict=True))  # type: ignore[arg-type]
            )
        assert all(c.frames[0]["type"] == "subscribed" for c in clients)


async def test_an_event_committed_while_the_log_is_read_does_not_force_a_resync(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = await build(db)
    channel = campaign_channel(world.campaign_id)
    with Outbox.of(db).subscribed(Subscriber(events=_ignore)):
        async with db.transaction() as session:
            emit(session, channel, "stats", {"n": 1})

        async def _pages_then_a_commit(session: Any, wants: Any, *, limit: int) -> Any:
            read = await pages(session, wants, limit=limit)
            async with db.transaction() as other:  # another instance's change lands meanwhile
                emit(other, channel, "stats", {"n": 2})
            return read

        async with AsyncExitStack() as stack:
            hub = await _running_hub(db, stack)
            monkeypatch.setattr("server.live.hub.pages", _pages_then_a_commit)
            client = Client(world.owner)
            await hub.subscribe(client, channel, since=1)  # type: ignore[arg-type]
            # The client saw everything up to the read: it resumes, it is not told to reload.
            assert [f["type"] for f in client.frames] == ["subscribed"], client.frames


async def _remove_sender(db: Database, campaign_id: int, user_id: int) -> None:
    async with db.transaction() as session:
        await session.execute(
            delete(CampaignSender).where(
                CampaignSender.campaign_id == campaign_id, CampaignSender.user_id == user_id
            )
        )


async def _ignore(records: Any) -> None:
    return None
