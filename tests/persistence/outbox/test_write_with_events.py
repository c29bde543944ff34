"""A send's row changes and its events go to PostgreSQL as one statement, numbered and ordered as before."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, select, update

from persistence.commands.messaging import send_message
from persistence.commands.send_queue import record_sent
from persistence.outbox.outbox import Outbox, Subscriber
from persistence.outbox.record import emit, flush_events, write_with_events
from persistence.rules.channels import campaign_channel
from persistence.rules.events import EventRecord
from persistence.store.database import Database
from persistence.store.models import Campaign, Event, Message
from persistence.store.write import Write
from tests.support.statements import statements
from tests.support.worlds.messaging import assert_counters_true, build, events_of


def message_of(data: dict[str, object]) -> dict[str, Any]:
    message = data["message"]
    assert isinstance(message, dict)
    return message


async def test_a_send_is_two_statements_on_postgresql_and_stores_what_it_answers(db: Database) -> None:
    world = await build(db, assign=["Sam"])
    sam = world.senders["Sam"]
    # As in a server: the counts are published by the hub's feed, later.
    Outbox.of(db).subscribe(Subscriber(counts=lambda marks: None))
    with statements(db) as sent:
        async with db.transaction() as session:
            out = await send_message(session, sam, world.conversations[0], body="Hi Ada")
    if db.dialect == "postgresql":
        # The locked context (with the message's id), everything written at once,
        # and after the commit the seqs it was given.
        assert len(sent) == 3, sent
        assert sent[1].lstrip().startswith("WITH") and "FROM events" in sent[2]
    # What the answer says is what was stored.
    async with db.session() as session:
        stored = await session.get_one(Message, out.message.id)
    assert (stored.body, stored.delivery_status, stored.conversation_id) == (
        "Hi Ada",
        "queued",
        out.conversation.id,
    )
    assert stored.created_at == out.message.created_at
    await assert_counters_true(db, world.campaign_id)
    events = await events_of(db, campaign_channel(world.campaign_id))
    # The pages apply the message before the conversation's new state, as they always came.
    assert [kind for kind, _ in events if kind in ("message", "conversation")] == ["message", "conversation"]
    assert [message_of(data)["id"] for kind, data in events if kind == "message"] == [out.message.id]

    with statements(db) as recorded:
        async with db.transaction() as session:
            await record_sent(session, out.message.id, "SM" + "0" * 32)
    if db.dialect == "postgresql":
        assert len(recorded) == 3, recorded
        assert recorded[1].lstrip().startswith("WITH")
    async with db.session() as session:
        stored = await session.get_one(Message, out.message.id)
    assert (stored.delivery_status, stored.provider_message_id) == ("sent", "SM" + "0" * 32)
    statuses = [
        message_of(d)["delivery_status"]
        for k, d in await events_of(db, campaign_channel(world.campaign_id))
        if k == "message"
    ]
    assert statuses == ["queued", "sent"]


async def test_each_event_keeps_its_own_id_channel_and_seq_when_written_with_rows(db: Database) -> None:
    world = await build(db, assign=["Sam"])
    published: list[EventRecord] = []

    async def on_commit(records: list[EventRecord]) -> None:
        published.extend(records)

    Outbox.of(db).subscribe(Subscriber(events=on_commit))
    async with db.transaction() as session:
        for i in range(3):
            emit(session, "sender:9:1", "note", {"i": i})
            emit(session, "campaign:9", "note", {"i": i})
        filtering = (
            update(Campaign).where(Campaign.id == bindparam("c")).values(carrier_filtered=bindparam("n"))
        )
        await write_with_events(session, Write(filtering, {"c": world.campaign_id, "n": 7}))
        # Written at commit, after the first six.
        emit(session, "campaign:9", "note", {"i": 3})
    async with db.session() as session:
        rows = {e.id: (e.channel, e.seq, e.data["i"]) for e in await session.scalars(select(Event))}
        filtered = await session.scalar(
            select(Campaign.carrier_filtered).where(Campaign.id == world.campaign_id)
        )
    assert filtered == 7
    assert [(r.channel, r.seq, r.data["i"]) for r in published] == [rows[r.id] for r in published]
    assert [(r.channel, r.seq, r.data["i"]) for r in published] == [
        ("campaign:9", 1, 0),
        ("campaign:9", 2, 1),
        ("campaign:9", 3, 2),
        ("sender:9:1", 1, 0),
        ("sender:9:1", 2, 1),
        ("sender:9:1", 3, 2),
        ("campaign:9", 4, 3),
    ]


async def test_a_channel_that_sorts_first_but_comes_later_is_locked_before_the_commit(db: Database) -> None:
    # Two transactions must take channel locks in one order or they can deadlock;
    # PostgreSQL numbers (and locks) at commit in the order the rows went in.
    with statements(db) as seen:
        async with db.transaction() as session:
            emit(session, "sender:9:1", "note", {})
            await write_with_events(session)
            emit(session, "campaign:9", "note", {})
            emit(session, "sender:9:1", "note", {})
            await flush_events(session)
            session.info.clear()  # written already: nothing is left for the commit
    channel_locks = [s for s in seen if "channel_seqs" in s]
    if db.dialect == "postgresql":
        # campaign:9 is locked now, before the commit takes sender:9:1's lock.
        assert len(channel_locks) == 1, seen
    else:
        assert len(channel_locks) == 2, seen  # SQLite numbers as it writes
