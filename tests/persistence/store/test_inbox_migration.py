"""The inbox migration goes back and forth with data in place.

Campaign data survives both ways; inbox data has no place in the older schema.
"""

from __future__ import annotations

from sqlalchemy import func, select

from persistence.store.database import Database
from persistence.store.migrate import current_revision, downgrade, head_revision, upgrade
from persistence.store.models import Contact, Conversation
from tests.support.worlds.messaging import build


async def test_down_to_the_shift_schema_and_up_again(db: Database) -> None:
    world = await build(db)
    async with db.transaction() as session:
        entry = Contact(
            organization_id=world.organization_id, campaign_id=None, phone="+14155550199", extra={}
        )
        session.add(entry)
        await session.flush()
        session.add(Conversation(campaign_id=None, contact_id=entry.id, assigned_to=world.owner.user_id))
    await downgrade(db, "0006_shift")
    assert await current_revision(db) == "0006_shift"
    await upgrade(db)
    assert await current_revision(db) == head_revision()
    async with db.session() as session:
        conversations = await session.scalar(select(func.count()).select_from(Conversation))
        entries = await session.scalar(select(func.count()).where(Contact.campaign_id.is_(None)))
    assert conversations == len(world.conversations) and entries == 0
