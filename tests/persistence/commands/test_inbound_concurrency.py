"""The provider delivers the same text twice at the same instant: it is stored once."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from persistence.commands.inbound import InboundResult, InboundSms, receive_inbound
from persistence.commands.messaging import send_message
from persistence.outbox.outbox import open_database
from persistence.store.database import Database
from persistence.store.models import Message, UnmatchedInbound
from tests.support.worlds.messaging import NUMBER, assert_counters_true, build


async def _deliver(database_url: str, sms: InboundSms) -> InboundResult | str:
    db = open_database(database_url)  # one connection pool per "instance"
    try:
        async with db.transaction() as session:
            return await receive_inbound(session, sms)
    except IntegrityError:
        return "integrity_error"  # the webhook answers this as a duplicate
    finally:
        await db.dispose()


async def test_simultaneous_replays_store_one_message(db: Database, database_url: str) -> None:
    world = await build(db, assign=["Sam"] * 6)
    async with db.transaction() as session:
        await send_message(session, world.senders["Sam"], world.conversations[0])
    sms = InboundSms(world.organization_id, world.phones[0], NUMBER, "Yes!", "SM-twice")
    results = await asyncio.gather(*(_deliver(database_url, sms) for _ in range(3)))
    outcomes = sorted(r.outcome if isinstance(r, InboundResult) else r for r in results)
    assert outcomes == ["duplicate", "duplicate", "stored"]
    async with db.session() as session:
        inbound = await session.scalar(
            select(func.count()).select_from(Message).where(Message.direction == "inbound")
        )
    assert inbound == 1
    await assert_counters_true(db, world.campaign_id)


async def test_simultaneous_unmatched_replays_keep_one(db: Database, database_url: str) -> None:
    world = await build(db, assign=["Sam"] * 6)
    sms = InboundSms(world.organization_id, "+12125551234", NUMBER, "Who?", "SM-stranger")
    results = await asyncio.gather(*(_deliver(database_url, sms) for _ in range(3)))
    assert sum(isinstance(r, InboundResult) and r.outcome == "unmatched" for r in results) == 1
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(UnmatchedInbound)) == 1
