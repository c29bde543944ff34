"""How long a text left queued by a stopped process waits before another process sends it: a setting."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta

import pytest
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


async def _left_queued(db: Database, age: timedelta) -> int:
    """A text committed as queued ``age`` ago whose process stopped before the provider answered."""
    world = await build(db, assign=["Sam"] * 2)
    async with db.transaction() as session:
        out = await send_message(session, world.senders["Sam"], world.conversations[0])
        await session.flush()
        await session.execute(
            update(Message).where(Message.id == out.message.id).values(created_at=utcnow() - age)
        )
    return out.message.id


async def _status(db: Database, message_id: int) -> str | None:
    async with db.session() as session:
        return (await session.get_one(Message, message_id)).delivery_status


async def _run_upkeep(
    svc: Services, db: Database, message_id: int, seconds: float, *, every: float = 60.0
) -> Simulator:
    """Run one instance's upkeep for up to ``seconds``, until the text's send is recorded."""
    simulator = Simulator()
    svc.provider = simulator
    async with maintenance.running(svc, every=every):
        for _ in range(int(seconds / 0.05)):
            if await _status(db, message_id) != "queued":
                break
            await asyncio.sleep(0.05)
    return simulator


async def test_a_short_setting_sends_a_stranded_text_within_seconds(db: Database, settings: Settings) -> None:
    message_id = await _left_queued(db, timedelta(seconds=2))
    svc = Services(
        settings=dataclasses.replace(settings, queued_retry_seconds=1), db=db, outbox=Outbox.of(db)
    )
    simulator = await _run_upkeep(svc, db, message_id, 5.0)  # the upkeep's own defaults: no test-only knobs
    assert len(simulator.sent) == 1
    assert await _status(db, message_id) == "sent"


async def test_a_long_setting_leaves_a_recent_text_alone(db: Database, settings: Settings) -> None:
    message_id = await _left_queued(db, timedelta(minutes=10))  # past the default five minutes
    svc = Services(
        settings=dataclasses.replace(settings, queued_retry_seconds=3600), db=db, outbox=Outbox.of(db)
    )
    assert not (await _run_upkeep(svc, db, message_id, 0.5, every=0.05)).sent
    assert await _status(db, message_id) == "queued"


def test_the_wait_comes_from_the_environment_and_is_at_least_a_second() -> None:
    assert Settings.from_env({}).queued_retry_seconds == 300
    assert Settings.from_env({"SHIFTLINE_QUEUED_RETRY_SECONDS": "30"}).queued_retry_seconds == 30
    with pytest.raises(ValueError, match="SHIFTLINE_QUEUED_RETRY_SECONDS must be at least 1"):
        Settings.from_env({"SHIFTLINE_QUEUED_RETRY_SECONDS": "0"})
