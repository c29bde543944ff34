"""Contacts text back: replies light the green dot, STOP opts out, replays are stored once."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from persistence.commands.inbound import InboundSms, keyword, pick_conversation, receive_inbound
from persistence.commands.messaging import send_message
from persistence.rules.status import Counts
from persistence.store.counters import stored_counts
from persistence.store.database import Database
from persistence.store.models import Conversation, Message, OptOut, UnmatchedInbound
from tests.support.worlds.messaging import NUMBER, World, add_campaign, assert_counters_true, build


async def _world(db: Database, **kw: Any) -> World:
    world = await build(db, assign=["Sam", "Sam", "Sue", "Sue", None, None], **kw)
    for i in range(4):
        sender = world.senders["Sam" if i < 2 else "Sue"]
        async with db.transaction() as session:
            await send_message(session, sender, world.conversations[i])
    return world


def _sms(world: World, phone: str, body: str, sid: str, media: list[str] | None = None) -> InboundSms:
    return InboundSms(world.organization_id, phone, NUMBER, body, sid, media or [])


async def _conv(db: Database, cid: int) -> Conversation:
    async with db.session() as session:
        return await session.get_one(Conversation, cid)


async def _count(db: Database, model: type[Message] | type[UnmatchedInbound]) -> int:
    async with db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def _needs_reply_total(db: Database, cid: int) -> int:
    async with db.session() as session:
        return sum(c.needs_reply for c in (await stored_counts(session, cid)).values())


@pytest.mark.parametrize("body", ["STOP", "stop", "  Stop  ", "end", "Quit", "CANCEL", "unsubscribe\n"])
def test_opt_out_keywords_in_any_case(body: str) -> None:
    assert keyword(body) == "opt_out"


@pytest.mark.parametrize("body", ["please stop", "STOPP", "Stop texting me!", "", "yes"])
def test_other_texts_are_not_keywords(body: str) -> None:
    assert keyword(body) is None


def test_start_and_unstop_opt_back_in() -> None:
    assert keyword(" start ") == keyword("UNSTOP") == "opt_in"


def test_routing_prefers_the_most_recently_texted() -> None:
    from datetime import UTC, datetime

    old = Conversation(id=1, last_outbound_at=datetime(2026, 1, 1, tzinfo=UTC))
    new = Conversation(id=2, last_outbound_at=datetime(2026, 3, 1, tzinfo=UTC))
    never = Conversation(id=3, last_outbound_at=None)
    assert pick_conversation([old, new, never]) is new
    assert pick_conversation([never]) is never
    assert pick_conversation([]) is None


async def test_a_reply_arrives_and_the_green_dot_appears(db: Database) -> None:
    world = await _world(db)
    async with db.transaction() as session:
        result = await receive_inbound(
            session,
            _sms(world, "(415) 555-2671", "Yes! Count me in", "SM100", ["https://media.example/1.jpg"]),
        )
    assert result.outcome == "stored" and result.conversation_id == world.conversations[0]
    conv = await _conv(db, world.conversations[0])
    assert conv.has_replied and conv.needs_reply
    assert conv.needs_reply_since == conv.last_inbound_at == conv.last_message_at
    assert await _needs_reply_total(db, world.campaign_id) == 1
    async with db.session() as session:
        message = await session.get_one(Message, result.message_id)
    assert message.direction == "inbound" and message.media_urls == ["https://media.example/1.jpg"]
    await assert_counters_true(db, world.campaign_id)


async def test_waiting_time_counts_from_the_first_unanswered_text(db: Database) -> None:
    world = await _world(db)
    for sid in ("SM1", "SM2"):
        async with db.transaction() as session:
            await receive_inbound(session, _sms(world, world.phones[0], "hello?", sid))
    conv = await _conv(db, world.conversations[0])
    assert conv.needs_reply_since is not None and conv.last_inbound_at is not None
    assert conv.needs_reply_since < conv.last_inbound_at
    # Sam answers: the dot goes out.
    async with db.transaction() as session:
        await send_message(session, world.senders["Sam"], world.conversations[0], body="Hi!")
    conv = await _conv(db, world.conversations[0])
    assert not conv.needs_reply and conv.needs_reply_since is None
    assert await _needs_reply_total(db, world.campaign_id) == 0
    await assert_counters_true(db, world.campaign_id)


async def test_replayed_webhook_is_stored_once(db: Database) -> None:
    world = await _world(db)
    for _ in range(3):
        async with db.transaction() as session:
            result = await receive_inbound(session, _sms(world, world.phones[0], "Yes", "SM-replay"))
    assert result.outcome == "duplicate"
    assert await _count(db, Message) == 4 + 1
    await assert_counters_true(db, world.campaign_id)


async def test_unmatched_text_is_kept_for_review(db: Database) -> None:
    world = await _world(db)
    async with db.transaction() as session:
        result = await receive_inbound(session, _sms(world, "+12125551234", "Who is this?", "SM-stranger"))
    assert result.outcome == "unmatched"
    async with db.session() as session:
        kept = (await session.scalars(select(UnmatchedInbound))).one()
    assert (kept.from_phone, kept.body, kept.organization_id) == (
        "+12125551234",
        "Who is this?",
        world.organization_id,
    )
    async with db.transaction() as session:
        again = await receive_inbound(session, _sms(world, "+12125551234", "Who is this?", "SM-stranger"))
    assert again.outcome == "duplicate" and await _count(db, UnmatchedInbound) == 1


async def test_a_contact_texts_stop_and_leaves_the_needs_reply_count(db: Database) -> None:
    world = await _world(db)
    async with db.transaction() as session:
        await receive_inbound(session, _sms(world, world.phones[0], "Who is this?", "SM1"))
        await receive_inbound(session, _sms(world, world.phones[2], "Maybe", "SM2"))
    assert await _needs_reply_total(db, world.campaign_id) == 2
    async with db.transaction() as session:
        result = await receive_inbound(session, _sms(world, world.phones[0], " stop ", "SM3"))
    assert result.keyword == "opt_out"
    conv = await _conv(db, world.conversations[0])
    assert conv.opted_out and not conv.needs_reply
    assert await _needs_reply_total(db, world.campaign_id) == 1
    async with db.session() as session:
        counts = await stored_counts(session, world.campaign_id)
        optout = await session.get_one(OptOut, (world.organization_id, world.phones[0]))
    assert counts[world.senders["Sam"].user_id] == Counts(assigned=2, sent=2, opted_out=1)
    assert optout.source == "keyword"
    await assert_counters_true(db, world.campaign_id)


async def test_stop_holds_in_every_campaign_of_the_organization_and_start_lifts_it(db: Database) -> None:
    world = await _world(db)
    other_cid, other_ids = await add_campaign(db, world, assign=["Sue"] * 6)
    async with db.transaction() as session:
        await receive_inbound(session, _sms(world, world.phones[0], "STOP", "SM1"))
    assert (await _conv(db, other_ids[0])).opted_out
    await assert_counters_true(db, world.campaign_id)
    await assert_counters_true(db, other_cid)
    async with db.transaction() as session:
        result = await receive_inbound(session, _sms(world, world.phones[0], "START", "SM2"))
    assert result.keyword == "opt_in"
    assert not (await _conv(db, other_ids[0])).opted_out
    assert not (await _conv(db, world.conversations[0])).opted_out
    await assert_counters_true(db, world.campaign_id)
    await assert_counters_true(db, other_cid)


async def test_another_organizations_contact_with_the_same_number_is_untouched(db: Database) -> None:
    world = await _world(db)
    rival = await build(db, name="Rivals", domain="rival.org", number="+15005550007", assign=[None] * 6)
    async with db.transaction() as session:
        await receive_inbound(session, _sms(world, world.phones[0], "STOP", "SM1"))
    assert not (await _conv(db, rival.conversations[0])).opted_out
    await assert_counters_true(db, rival.campaign_id)


async def test_ten_thousand_characters_are_stored_whole(db: Database) -> None:
    world = await _world(db)
    body = "é" * 10_000
    async with db.transaction() as session:
        result = await receive_inbound(session, _sms(world, world.phones[1], body, "SM-long"))
    async with db.session() as session:
        assert (await session.get_one(Message, result.message_id)).body == body
