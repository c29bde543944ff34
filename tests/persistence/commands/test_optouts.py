"""Opting out by hand: the phone is off-limits in every campaign of the organization."""

from __future__ import annotations

import pytest

from persistence.commands.messaging import send_message
from persistence.commands.optouts import opt_in, opt_out
from persistence.rules.channels import campaign_channel
from persistence.rules.errors import Conflict, PermissionDenied
from persistence.store.counters import stored_counts
from persistence.store.database import Database
from persistence.store.models import Conversation, OptOut
from tests.support.worlds.messaging import add_campaign, assert_counters_true, build, events_of


async def _opted(db: Database, cid: int) -> bool:
    async with db.session() as session:
        return (await session.get_one(Conversation, cid)).opted_out


async def test_opt_out_holds_across_the_organizations_campaigns(db: Database) -> None:
    world = await build(db, assign=["Sam", "Sue", None, None, None, None])
    second, second_ids = await add_campaign(db, world, assign=["Sue", "Sam"])
    third, third_ids = await add_campaign(db, world, contacts=[("Ada", "L.", world.phones[0])], assign=[None])
    async with db.transaction() as session:
        result = await opt_out(session, world.senders["Sam"], world.conversations[0])
    assert result.opted_out and result.conversations_updated == 3
    assert await _opted(db, second_ids[0]) and await _opted(db, third_ids[0])
    assert not await _opted(db, second_ids[1])
    for cid in (world.campaign_id, second, third):
        await assert_counters_true(db, cid)
    async with db.session() as session:
        counts = await stored_counts(session, second)
        assert (await session.get_one(OptOut, (world.organization_id, world.phones[0]))).source == "manual"
    assert counts[world.senders["Sue"].user_id].opted_out == 1
    # Every campaign's sweepers were told.
    for cid in (world.campaign_id, second, third):
        assert "conversation" in [k for k, _ in await events_of(db, campaign_channel(cid))]
    # Sue may not text Ada in the second campaign any more.
    with pytest.raises(Conflict):
        async with db.transaction() as session:
            await send_message(session, world.senders["Sue"], second_ids[0])


async def test_opting_out_twice_changes_nothing_more(db: Database) -> None:
    world = await build(db, assign=["Sam"] * 6)
    for _ in range(2):
        async with db.transaction() as session:
            result = await opt_out(session, world.owner, world.conversations[0])
    assert result.conversations_updated == 0
    await assert_counters_true(db, world.campaign_id)


async def test_opt_in_clears_it_everywhere(db: Database) -> None:
    world = await build(db, assign=["Sam"] * 6)
    second, second_ids = await add_campaign(db, world, assign=["Sue"] * 6)
    async with db.transaction() as session:
        await opt_out(session, world.owner, world.conversations[0])
    async with db.transaction() as session:
        result = await opt_in(session, world.senders["Sam"], world.conversations[0])
    assert result.conversations_updated == 2
    assert not await _opted(db, second_ids[0])
    async with db.session() as session:
        assert await session.get(OptOut, (world.organization_id, world.phones[0])) is None
    await assert_counters_true(db, world.campaign_id)
    await assert_counters_true(db, second)


async def test_a_sender_cannot_opt_out_someone_elses_contact(db: Database) -> None:
    world = await build(db, assign=["Sam", "Sue"])
    with pytest.raises(PermissionDenied):
        async with db.transaction() as session:
            await opt_out(session, world.senders["Sue"], world.conversations[0])
    assert not await _opted(db, world.conversations[0])
