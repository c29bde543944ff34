"""A text left queued by a process that died is sent by the next one, without anyone asking."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import update

from persistence.commands.messaging import send_message
from persistence.outbox.outbox import Outbox
from persistence.store.database import Database
from persistence.store.models import Message
from persistence.store.types import utcnow
from server import maintenance
from server.providers import Simulator
from server.services import Services
from server.settings import Settings
from tests.support.worlds.messaging import build


async def test_the_upkeep_task_sends_what_a_dead_process_left_queued(
    db: Database, settings: Settings
) -> None:
    world = await build(db, assign=["Sam"] * 2)
    async with db.transaction() as session:
        out = await send_message(session, world.senders["Sam"], world.conversations[0])
        await session.flush()
        await session.execute(
            update(Message)
            .where(Message.id == out.message.id)
            .values(created_at=utcnow() - timedelta(hours=1))
        )
    svc = Services(settings=settings, db=db, outbox=Outbox.of(db))
    simulator = Simulator()
    svc.provider = simulator
    async with maintenance.running(svc, every=0.05):
        for _ in range(100):
            if simulator.sent:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)  # later rounds must not send it again
    assert len(simulator.sent) == 1
    async with db.session() as session:
        assert (await session.get_one(Message, out.message.id)).delivery_status == "sent"
