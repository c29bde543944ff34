"""How long a text held by a stopped process waits before another process sends it: a setting."""

from __future__ import annotations

from datetime import timedelta

from persistence.commands.messaging import send_message
from persistence.commands.send_queue import claim_next
from persistence.store.database import Database
from persistence.store.types import utcnow
from server.settings import Settings
from tests.support.worlds.messaging import build


async def test_a_claimed_text_waits_out_its_lease_then_another_instance_takes_it(db: Database) -> None:
    world = await build(db, assign=["Sam"] * 2)
    async with db.transaction() as session:
        out = await send_message(session, world.senders["Sam"], world.conversations[0])
    organization_id = out.message.organization_id
    lease = timedelta(seconds=Settings.from_env({"SHIFTLINE_SEND_LEASE_SECONDS": "15"}).send_lease_seconds)
    now = utcnow()
    async with db.transaction() as session:
        held = await claim_next(session, organization_id, now=now, lease=lease)
    assert held is not None and held.message_id == out.message.id
    # Its instance dies here, before the provider answered.
    async with db.transaction() as session:
        assert (
            await claim_next(session, organization_id, now=now + lease - timedelta(seconds=1), lease=lease)
            is None
        )
    async with db.transaction() as session:
        again = await claim_next(
            session, organization_id, now=now + lease + timedelta(seconds=1), lease=lease
        )
    assert again is not None and again.message_id == out.message.id


def test_the_lease_is_a_setting_with_a_documented_default() -> None:
    assert Settings.from_env({}).send_lease_seconds == 30.0
    assert Settings.from_env({"SHIFTLINE_SEND_LEASE_SECONDS": "12"}).send_lease_seconds == 12.0
