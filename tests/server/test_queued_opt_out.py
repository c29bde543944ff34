"""A text still in the send queue when its contact opts out is not sent; only the opt-out message is."""

from __future__ import annotations

from sqlalchemy import select

from persistence.commands.inbound import InboundSms, receive_inbound
from persistence.commands.messaging import send_message
from persistence.commands.optout_list import add_opt_out
from persistence.commands.optouts import opt_out
from persistence.outbox.outbox import Outbox
from persistence.store.database import Database
from persistence.store.models import Message, Organization
from server.providers import Simulator
from server.services import Services
from server.settings import Settings
from tests.server.test_texting_hours import hand_over
from tests.support.worlds.messaging import NUMBER, build


def _services(db: Database, settings: Settings) -> tuple[Services, Simulator]:
    svc = Services(settings=settings, db=db, outbox=Outbox.of(db), secret="test-server-secret")
    simulator = Simulator()
    svc.provider = simulator
    return svc, simulator


async def _failure(db: Database, message_id: int) -> tuple[str | None, str | None]:
    async with db.session() as session:
        message = await session.get_one(Message, message_id)
        return message.delivery_status, message.error_code


async def test_texts_queued_before_an_opt_out_are_failed_not_sent(db: Database, settings: Settings) -> None:
    world = await build(db, assign=["Sam"] * 2)
    sam = world.senders["Sam"]
    async with db.transaction() as session:
        first = await send_message(session, sam, world.conversations[0])
        second = await send_message(session, sam, world.conversations[1])
    # A sweeper opts the first contact out; the second phone lands on the organization's list.
    async with db.transaction() as session:
        await opt_out(session, world.owner, world.conversations[0])
        await add_opt_out(session, world.owner, world.phones[1])
    svc, simulator = _services(db, settings)
    assert await hand_over(svc, world) == ("failed", None)
    assert await hand_over(svc, world) == ("failed", None)
    assert list(simulator.sent) == []
    assert await _failure(db, first.message.id) == ("failed", "opted_out")
    assert await _failure(db, second.message.id) == ("failed", "opted_out")


async def test_the_opt_out_message_goes_to_the_contact_who_just_opted_out(
    db: Database, settings: Settings
) -> None:
    world = await build(db, assign=["Sam"] * 2)
    async with db.transaction() as session:
        (await session.get_one(Organization, world.organization_id)).opt_out_message = "Bye."
    async with db.transaction() as session:
        await send_message(session, world.senders["Sam"], world.conversations[0])
    svc, simulator = _services(db, settings)
    assert (await hand_over(svc, world))[0] == "sent"
    async with db.transaction() as session:
        sms = InboundSms(world.organization_id, world.phones[0], NUMBER, "STOP", "SM1")
        assert (await receive_inbound(session, sms)).opt_out_message is not None
    assert (await hand_over(svc, world))[0] == "sent"
    assert [(s.to, s.body) for s in simulator.sent][-1] == (world.phones[0], "Bye.")
    async with db.session() as session:
        goodbye = await session.scalar(select(Message).where(Message.automatic.is_(True)))
    assert goodbye is not None and goodbye.delivery_status == "sent"
