"""Readers never wait for a writer, on either backend."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from persistence.database import Database, async_url
from persistence.models import Organization


async def test_a_read_completes_while_a_write_transaction_is_open(db: Database) -> None:
    writing = asyncio.Event()
    release = asyncio.Event()

    async def long_write() -> None:
        async with db.transaction() as session:
            session.add(Organization(name="Slow Org"))
            await session.flush()
            writing.set()
            await release.wait()

    writer = asyncio.create_task(long_write())
    await writing.wait()
    try:
        async with asyncio.timeout(5), db.session() as session:
            # The uncommitted organization is invisible, and the read did not queue behind it.
            assert await session.scalar(select(func.count()).select_from(Organization)) == 0
    finally:
        release.set()
        await writer
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Organization)) == 1


def test_the_usual_url_forms_map_to_async_drivers() -> None:
    assert async_url("postgresql://u:p@h:5432/d") == "postgresql+asyncpg://u:p@h:5432/d"
    assert async_url("sqlite:///data/x.db") == "sqlite+aiosqlite:///data/x.db"
