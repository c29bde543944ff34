"""The relay's look for unpublished events reads the unpublished rows only, however long the log.

Every instance runs that look every second, and the log keeps a day of
events: a look that read the whole log would cost more each minute of a shift.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from persistence.outbox.log import unpublished, unpublished_lag, unpublished_query
from persistence.store.database import Database
from persistence.store.models import Event
from persistence.store.types import utcnow

LOG = 20_000


async def _fill(db: Database) -> list[int]:
    """A long log of published events on one channel, then three that nobody published."""
    old = utcnow() - timedelta(minutes=30)
    async with db.transaction() as session:
        for start in range(0, LOG, 5_000):
            await session.execute(
                insert(Event),
                [
                    {"channel": "campaign:1", "seq": n, "kind": "stats", "data": {}, "created_at": old}
                    for n in range(start + 1, start + 5_001)
                ],
            )
        await session.execute(update(Event).values(published=True))
        stuck = [
            {"channel": "campaign:2", "seq": n, "kind": "conversation", "data": {"id": n}, "created_at": old}
            for n in (1, 2, 3)
        ]
        await session.execute(insert(Event), stuck)
    async with db.transaction() as session:
        await session.execute(text("ANALYZE events"))
        ids = await session.scalars(select(Event.id).where(Event.channel == "campaign:2").order_by(Event.id))
        return list(ids)


async def _plan(session: AsyncSession, statement: Any) -> str:
    dialect = session.get_bind().dialect
    sql = str(statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    if dialect.name == "postgresql":
        rows = await session.execute(text("EXPLAIN " + sql))
    else:
        rows = await session.execute(text("EXPLAIN QUERY PLAN " + sql))
    return "\n".join(str(row[-1]) for row in rows)


async def test_the_relay_reads_only_the_unpublished_rows_of_a_long_log(db: Database) -> None:
    stuck = await _fill(db)
    async with db.session() as session:
        plan = await _plan(
            session, unpublished_query(db.dialect, older_than=utcnow() - timedelta(seconds=2), limit=500)
        )
    assert "ix_events_unpublished" in plan, plan
    assert "Seq Scan" not in plan and "SCAN events\n" not in plan + "\n", plan

    async with db.transaction() as session:
        found = await unpublished(session, older_than=utcnow() - timedelta(seconds=2))
        assert [r.id for r in found] == stuck
        count, age = await unpublished_lag(session)
    assert count == 3
    assert 29 * 60 < age < 31 * 60
