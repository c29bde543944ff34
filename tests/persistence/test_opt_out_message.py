"""The opt-out message is written with the keyword's opt-out, once, even when two STOPs race."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from persistence.commands.inbound import InboundSms, receive_inbound
from persistence.outbox.outbox import open_database
from persistence.store.database import Database
from persistence.store.models import Message, Organization
from tests.support.worlds.messaging import NUMBER, build, events_of

GOODBYE = "You are unsubscribed. Reply START to resubscribe."


async def _stop(database_url: str, sms: InboundSms) -> bool:
    db = open_database(database_url)  # one connection pool per "instance"
    try:
        async with db.transaction() as session:
            return (await receive_inbound(session, sms)).opt_out_message is not None
    finally:
        await db.dispose()


async def test_two_stops_at_once_write_one_opt_out_message(db: Database, database_url: str) -> None:
    world = await build(db, assign=["Sam"] * 6)
    async with db.transaction() as session:
        (await session.get_one(Organization, world.organization_id)).opt_out_message = GOODBYE
    texts = [InboundSms(world.organization_id, world.phones[0], NUMBER, "STOP", f"SM{n}") for n in (1, 2)]
    confirmations = await asyncio.gather(*(_stop(database_url, sms) for sms in texts))
    assert sorted(confirmations) == [False, True]
    async with db.session() as session:
        automatic = list(await session.scalars(select(Message).where(Message.automatic.is_(True))))
    assert [(m.body, m.sender_id, m.delivery_status, m.direction) for m in automatic] == [
        (GOODBYE, None, "queued", "outbound")
    ]
    events = await events_of(db, f"campaign:{world.campaign_id}")
    shown = [d for kind, d in events if kind == "message" and d["message"]["automatic"]]  # type: ignore[index]
    assert len(shown) == 1


async def test_the_message_is_part_of_the_opt_out_transaction(db: Database) -> None:
    world = await build(db, assign=["Sam"] * 6)
    async with db.transaction() as session:
        (await session.get_one(Organization, world.organization_id)).opt_out_message = GOODBYE

    class Abandoned(Exception):
        pass

    try:
        async with db.transaction() as session:
            sms = InboundSms(world.organization_id, world.phones[0], NUMBER, "STOP", "SM1")
            assert (await receive_inbound(session, sms)).opt_out_message is not None
            raise Abandoned
    except Abandoned:
        pass
    async with db.session() as session:
        assert list(await session.scalars(select(Message))) == []
