"""Counter events follow the changes: coalesced by the server's feed, never stale, never lost."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from persistence.commands.messaging import send_message
from persistence.outbox import counts as countsfeed
from persistence.outbox.counts import CountsFeed
from persistence.outbox.outbox import Outbox, Subscriber
from persistence.outbox.record import emit
from persistence.rules.channels import campaign_channel, sender_channel
from persistence.store.counters import recount
from persistence.store.database import Database
from tests.support.worlds.messaging import World, build, events_of


async def _world(db: Database) -> World:
    return await build(db, assign=["Sam", "Sam", "Sam", "Sue", None, None])


async def _interleavable_world(db: Database) -> World:
    """A world where another transaction can commit while a publication is open."""
    if db.dialect == "sqlite":
        pytest.skip("SQLite runs one writer at a time: nothing can commit between the read and the commit")
    return await _world(db)


async def _kinds(db: Database, channel: str) -> list[str]:
    return [kind for kind, _ in await events_of(db, channel)]


async def _last(db: Database, channel: str, kind: str) -> dict[str, Any]:
    found = [data for k, data in await events_of(db, channel) if k == kind]
    assert found, f"no {kind} on {channel}"
    return found[-1]


async def _totals(db: Database, campaign_id: int) -> dict[str, int]:
    """The campaign's totals counted from the conversations themselves."""
    async with db.session() as session:
        truth = (await recount(session, campaign_id)).values()
    return {
        "total": sum(c.assigned for c in truth),
        "not_started": sum(c.not_started for c in truth),
        "needs_reply": sum(c.needs_reply for c in truth),
    }


async def test_a_burst_of_sends_gives_one_stats_event_with_the_final_totals(db: Database) -> None:
    world = await _world(db)
    cid = world.campaign_id
    sam = world.senders["Sam"]
    before = (await _kinds(db, campaign_channel(cid))).count("stats")
    feed = CountsFeed(db, interval=0.05)
    Outbox.of(db).subscribe(Subscriber(counts=feed.add))
    for conversation_id in world.conversations[:3]:
        async with db.transaction() as session:
            await send_message(session, sam, conversation_id)
    # Noted, not yet published: the sends' own events are there, their counts follow.
    assert (await _kinds(db, campaign_channel(cid))).count("stats") == before
    await feed.gather()  # the server's loop: wait for notes and the interval after them
    await feed.flush()
    assert (await _kinds(db, campaign_channel(cid))).count("stats") == before + 1
    assert await _last(db, campaign_channel(cid), "stats") == await _totals(db, cid)
    own = await _last(db, sender_channel(cid, sam.user_id), "sender_stats")
    assert own == {"user_id": sam.user_id, "assigned": 3, "sent": 3, "needs_reply": 0}
    # Only the slot that changed is announced: Sue's counts did not move.
    announced = [d["user_id"] for k, d in await events_of(db, campaign_channel(cid)) if k == "sender_stats"]
    assert announced[-1] == sam.user_id


async def test_without_a_feed_counts_are_published_right_after_the_commit(db: Database) -> None:
    world = await _world(db)
    async with db.transaction() as session:
        await send_message(session, world.senders["Sue"], world.conversations[3])
    stats = await _last(db, campaign_channel(world.campaign_id), "stats")
    assert stats == await _totals(db, world.campaign_id)


async def test_notes_survive_a_failed_publication(db: Database) -> None:
    world = await _world(db)
    feed = CountsFeed(db)
    Outbox.of(db).subscribe(Subscriber(counts=feed.add))
    async with db.transaction() as session:
        await send_message(session, world.senders["Sue"], world.conversations[3])
    healthy = db.transaction

    def broken() -> Any:
        raise ConnectionError("database away")

    db.transaction = broken  # type: ignore[method-assign]
    with pytest.raises(ConnectionError):
        await feed.flush()
    db.transaction = healthy  # type: ignore[method-assign]
    await feed.flush()
    own = await _last(db, sender_channel(world.campaign_id, world.senders["Sue"].user_id), "sender_stats")
    assert own["sent"] == 1


async def test_a_publication_overtaken_by_a_change_is_published_again(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = await _interleavable_world(db)
    cid = world.campaign_id
    read = countsfeed._emit_counts
    interleaved: list[bool] = []

    async def read_then_a_send_commits(session: AsyncSession, campaign_id: int, slots: Any) -> int:
        seen = await read(session, campaign_id, slots)
        if not interleaved:
            interleaved.append(True)
            # Sue's send, and its own counts, commit after the totals were read, before they are published.
            async with db.transaction() as other:
                await send_message(other, world.senders["Sue"], world.conversations[3])
        return seen

    monkeypatch.setattr(countsfeed, "_emit_counts", read_then_a_send_commits)
    again = await countsfeed.publish_counts(db, {cid: {world.senders["Sam"].user_id}})
    # The totals went out stale; Sam's own numbers did not move, so only the totals go again.
    assert again == {cid: set()}
    # The stale numbers went out, and the next publication (not overtaken) sets them right.
    assert (await _last(db, campaign_channel(cid), "stats"))["not_started"] != (await _totals(db, cid))[
        "not_started"
    ]
    monkeypatch.setattr(countsfeed, "_emit_counts", read)
    assert await countsfeed.publish_counts(db, again) == {}
    assert await _last(db, campaign_channel(cid), "stats") == await _totals(db, cid)


async def test_events_that_publish_no_counts_do_not_make_a_publication_stale(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = await _interleavable_world(db)
    cid = world.campaign_id
    read = countsfeed._emit_counts

    async def read_then_a_message_commits(session: AsyncSession, campaign_id: int, slots: Any) -> int:
        seen = await read(session, campaign_id, slots)
        async with db.transaction() as other:
            emit(other, campaign_channel(cid), "message", {"conversation_id": world.conversations[0]})
        return seen

    monkeypatch.setattr(countsfeed, "_emit_counts", read_then_a_message_commits)
    assert await countsfeed.publish_counts(db, {cid: {world.senders["Sue"].user_id}}) == {}


async def test_counts_a_stopped_process_never_published_are_published_by_another(db: Database) -> None:
    world = await _world(db)
    cid = world.campaign_id
    sue = world.senders["Sue"]
    dying = CountsFeed(db)
    Outbox.of(db).subscribe(Subscriber(counts=dying.add))
    async with db.transaction() as session:
        await send_message(session, sue, world.conversations[3])
    # The process stops before its feed publishes: the notes die with it.
    del dying
    survivor = CountsFeed(db)
    Outbox.of(db).unsubscribe()
    Outbox.of(db).subscribe(Subscriber(counts=survivor.add))
    assert await survivor.sweep() == 0  # unreported, but perhaps its owner is about to publish
    assert await survivor.sweep() == 1  # still unreported with the same changes: taken over
    await survivor.flush()
    own = await _last(db, sender_channel(cid, sue.user_id), "sender_stats")
    assert own == {"user_id": sue.user_id, "assigned": 1, "sent": 1, "needs_reply": 0}
    assert await _last(db, campaign_channel(cid), "stats") == await _totals(db, cid)
    # Reported now: nothing left for the next sweeps.
    assert await survivor.sweep() == 0
    assert await survivor.sweep() == 0
