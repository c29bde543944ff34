"""The overview's oldest waiting reply reads the waiting rows only, through their partial index."""

from __future__ import annotations

import json

from sqlalchemy import func, select, text

from persistence.queries.overview import oldest_waiting_query
from persistence.store.database import Database
from persistence.store.list_keys import green_dot, waiting_rows
from persistence.store.models import Conversation
from tests.support.worlds.messaging import add_campaign, build

CONTACTS = tuple((f"Name{i:03d}", "Family", f"+1415555{i:04d}") for i in range(120))


async def _campaign(db: Database) -> int:
    world = await build(db)
    assign = [None if i % 4 == 0 else "Sam" if i % 2 else "Sue" for i in range(len(CONTACTS))]
    campaign_id, _ids = await add_campaign(db, world, contacts=CONTACTS, assign=assign)
    async with db.engine.begin() as conn:
        # Every mix of waiting and opted out, with waits of different ages.
        await conn.execute(
            text(
                "UPDATE conversations SET needs_reply = (id % 3 = 1), opted_out = (id % 5 = 2), "
                "needs_reply_since = CASE WHEN id % 3 = 1 THEN CURRENT_TIMESTAMP END "
                "WHERE campaign_id = :c"
            ),
            {"c": campaign_id},
        )
        await conn.execute(text("ANALYZE"))
    return campaign_id


async def test_the_index_predicate_selects_exactly_the_green_dot_rows(db: Database) -> None:
    campaign_id = await _campaign(db)
    c = Conversation
    async with db.session() as session:
        dot = set(await session.scalars(select(c.id).where(c.campaign_id == campaign_id, green_dot(c))))
        rows = set(await session.scalars(select(c.id).where(c.campaign_id == campaign_id, waiting_rows(c))))
        everyone = await session.scalar(select(func.count()).where(c.campaign_id == campaign_id))
    assert dot == rows
    assert 0 < len(dot) < int(everyone or 0)


async def test_the_oldest_waiting_reply_of_each_slot_is_read_from_the_waiting_index(db: Database) -> None:
    campaign_id = await _campaign(db)
    query = oldest_waiting_query(campaign_id)
    async with db.session() as session:
        slots = {slot for slot, _at in (await session.execute(query)).all()}
    assert None in slots and len(slots) == 3  # the pool, Sam and Sue each have a reply waiting
    async with db.engine.connect() as conn:
        compiled = query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True})
        if conn.dialect.name == "postgresql":
            await conn.execute(text("SET LOCAL enable_seqscan = off"))
            plan = json.dumps((await conn.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {compiled}")).scalar())
        else:
            # INDEXED BY fails the statement if the index cannot serve it.
            sql = str(compiled).replace(
                "FROM conversations", "FROM conversations INDEXED BY ix_conversations_waiting", 1
            )
            plan = " | ".join(
                str(r[-1]) for r in (await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}")).all()
            )
        await conn.rollback()
    assert "ix_conversations_waiting" in plan, plan
