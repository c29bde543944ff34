"""A sender texts their contacts: the initial message, replies, follow-ups, notes, and every refusal."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from persistence.commands.messaging import MAX_BODY_CHARS, fill_template, send_message
from persistence.commands.send_queue import record_sent
from persistence.rules.channels import campaign_channel, sender_channel
from persistence.rules.errors import Conflict, InvalidInput, Locked, PermissionDenied
from persistence.store.counters import recount
from persistence.store.database import Database
from persistence.store.models import Campaign, Contact, Conversation, Message, User
from persistence.store.types import utcnow
from tests.support.worlds.messaging import World, assert_counters_true, build, events_of


async def _world(db: Database, **kw: Any) -> World:
    return await build(db, assign=["Sam", "Sam", "Sue", None, None, None], **kw)


async def _conversation(db: Database, cid: int) -> Conversation:
    async with db.session() as session:
        return await session.get_one(Conversation, cid)


async def _message_count(db: Database) -> int:
    async with db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(Message)) or 0)


def test_template_placeholders_are_filled() -> None:
    sender = User(first_name="Sam", last_name="Sender")
    contact = Contact(first_name="Ada", last_name="Lovelace")
    text = fill_template(
        "Hi %ContactFirstName%! %SenderFirstName% %SenderLastName% here. %Other%",
        sender=sender,
        contact=contact,
    )
    assert text == "Hi Ada! Sam Sender here. %Other%"


async def test_sender_sends_the_initial_message_from_the_template(db: Database) -> None:
    world = await _world(db)
    sam = world.senders["Sam"]
    async with db.transaction() as session:
        out = await send_message(session, sam, world.conversations[0])
    assert out.kind == "initial"
    assert out.to == "+14155552671"
    assert out.from_ == "+15005550006"
    assert out.message.body == "Hi Ada, it's Sam Sender with Texters United. Can you vote Tuesday?"
    assert out.message.delivery_status == "queued"
    conv = await _conversation(db, world.conversations[0])
    assert conv.initial_sent_at is not None and conv.last_outbound_at == conv.last_message_at
    assert not conv.needs_reply
    await assert_counters_true(db, world.campaign_id)
    # The campaign's sweepers and Sam hear about it, live.
    kinds = [k for k, _ in await events_of(db, campaign_channel(world.campaign_id))]
    assert {"message", "conversation", "stats", "sender_stats"} <= set(kinds)
    own = await events_of(db, sender_channel(world.campaign_id, sam.user_id))
    message_events = [data for kind, data in own if kind == "message"]
    assert message_events[0]["conversation_id"] == world.conversations[0]


async def test_delivery_outcome_is_recorded_and_announced(db: Database) -> None:
    world = await _world(db)
    async with db.transaction() as session:
        out = await send_message(session, world.senders["Sam"], world.conversations[0])
    async with db.transaction() as session:
        delivered = await record_sent(session, out.message.id, "SM1")
    assert delivered is not None and delivered.delivery_status == "sent"
    events = await events_of(db, campaign_channel(world.campaign_id))
    statuses = [d["message"]["delivery_status"] for k, d in events if k == "message"]  # type: ignore[index]
    assert statuses == ["queued", "sent"]


async def test_second_message_is_a_reply_and_needs_a_body(db: Database) -> None:
    world = await _world(db)
    sam = world.senders["Sam"]
    async with db.transaction() as session:
        await send_message(session, sam, world.conversations[0])
    with pytest.raises(InvalidInput) as refused:
        async with db.transaction() as session:
            await send_message(session, sam, world.conversations[0])
    assert refused.value.code == "empty_body"
    async with db.transaction() as session:
        out = await send_message(session, sam, world.conversations[0], body="  Polls open at 7am!  ")
    assert out.kind == "reply" and out.message.body == "Polls open at 7am!"
    assert await _message_count(db) == 2
    await assert_counters_true(db, world.campaign_id)


async def test_a_sender_may_only_text_their_own_contacts(db: Database) -> None:
    world = await _world(db)
    with pytest.raises(PermissionDenied):
        async with db.transaction() as session:
            await send_message(session, world.senders["Sue"], world.conversations[0])
    # An admin may text anyone's contact, and unassigned ones.
    async with db.transaction() as session:
        out = await send_message(session, world.owner, world.conversations[4])
    assert "Olive Owner" in out.message.body  # unassigned: the sweeper signs it
    assert await _message_count(db) == 1


async def test_a_sweeper_texting_an_assigned_contact_signs_with_the_assigned_senders_name(
    db: Database,
) -> None:
    world = await _world(db)
    # Ada has been Sam's contact: the owner sending her initial message still says it's Sam.
    async with db.transaction() as session:
        out = await send_message(session, world.owner, world.conversations[0])
    assert out.message.body == "Hi Ada, it's Sam Sender with Texters United. Can you vote Tuesday?"
    assert out.message.sender_id == world.owner.user_id  # who pressed Send is still recorded


@pytest.mark.parametrize("state", ["paused", "closed"])
async def test_paused_or_closed_campaign_refuses_with_campaign_is_currently_closed(
    db: Database, state: str
) -> None:
    world = await _world(db, status=state)
    with pytest.raises(Locked) as refused:
        async with db.transaction() as session:
            await send_message(session, world.senders["Sam"], world.conversations[0])
    assert refused.value.message == "Campaign is currently closed"
    assert await _message_count(db) == 0
    assert (await _conversation(db, world.conversations[0])).initial_sent_at is None


async def test_draft_campaign_refuses(db: Database) -> None:
    world = await _world(db, status="draft")
    with pytest.raises(Locked) as refused:
        async with db.transaction() as session:
            await send_message(session, world.senders["Sam"], world.conversations[0])
    assert refused.value.code == "campaign_not_active"


async def test_initial_message_after_the_window_is_refused_but_replies_are_not(db: Database) -> None:
    now = utcnow()
    world = await _world(db, window=(now - timedelta(days=2), now + timedelta(hours=1)))
    sam = world.senders["Sam"]
    async with db.transaction() as session:
        await send_message(session, sam, world.conversations[0])
    async with db.transaction() as session:
        campaign = await session.get_one(Campaign, world.campaign_id)
        campaign.window_end = now - timedelta(minutes=1)
    with pytest.raises(Locked) as refused:
        async with db.transaction() as session:
            await send_message(session, sam, world.conversations[1])
    assert refused.value.message == "Initial message sending window has passed"
    async with db.transaction() as session:
        out = await send_message(session, sam, world.conversations[0], body="Still there?")
    assert out.kind == "reply"
    assert await _message_count(db) == 2


async def test_window_not_open_yet(db: Database) -> None:
    now = utcnow()
    world = await _world(db, window=(now + timedelta(hours=1), now + timedelta(hours=5)))
    with pytest.raises(Locked) as refused:
        async with db.transaction() as session:
            await send_message(session, world.senders["Sam"], world.conversations[0])
    assert refused.value.code == "window_not_open"


@pytest.mark.parametrize("body", ["", "   ", "x" * (MAX_BODY_CHARS + 1)])
async def test_empty_or_too_long_body_is_refused(db: Database, body: str) -> None:
    world = await _world(db)
    with pytest.raises(InvalidInput):
        async with db.transaction() as session:
            await send_message(session, world.senders["Sam"], world.conversations[0], body=body)
    assert await _message_count(db) == 0
    await assert_counters_true(db, world.campaign_id)


async def test_opted_out_contact_is_not_texted(db: Database) -> None:
    world = await _world(db)
    async with db.transaction() as session:
        conv = await session.get_one(Conversation, world.conversations[0])
        conv.opted_out = True
    async with db.transaction() as session:
        await recount(session, world.campaign_id, repair=True)
    with pytest.raises(Conflict) as refused:
        async with db.transaction() as session:
            await send_message(session, world.senders["Sam"], world.conversations[0])
    assert refused.value.code == "opted_out"
    assert await _message_count(db) == 0


async def test_follow_up_goes_to_a_contact_who_never_replied_once(db: Database) -> None:
    world = await _world(db)
    sam = world.senders["Sam"]
    with pytest.raises(Conflict) as early:
        async with db.transaction() as session:
            await send_message(session, sam, world.conversations[0], follow_up=True)
    assert early.value.code == "not_started"
    async with db.transaction() as session:
        await send_message(session, sam, world.conversations[0])
    async with db.transaction() as session:
        out = await send_message(session, sam, world.conversations[0], follow_up=True)
    assert out.kind == "follow_up"
    assert out.message.body == "Hi Ada, just checking in: can we count on you Tuesday?"
    assert (await _conversation(db, world.conversations[0])).follow_up_sent_at is not None
    with pytest.raises(Conflict) as twice:
        async with db.transaction() as session:
            await send_message(session, sam, world.conversations[0], follow_up=True)
    assert twice.value.code == "follow_up_sent"
    await assert_counters_true(db, world.campaign_id)


async def test_notes_are_kept_never_sent_and_change_no_status(db: Database) -> None:
    world = await _world(db, status="closed")
    async with db.transaction() as session:
        out = await send_message(
            session, world.owner, world.conversations[0], body="Called back by phone", note=True
        )
    assert out.to is None and out.message.direction == "note" and out.message.delivery_status is None
    assert (await _conversation(db, world.conversations[0])).initial_sent_at is None
    with pytest.raises(PermissionDenied):
        async with db.transaction() as session:
            await send_message(session, world.senders["Sam"], world.conversations[0], body="hm", note=True)
    await assert_counters_true(db, world.campaign_id)
