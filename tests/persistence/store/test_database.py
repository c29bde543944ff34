"""Readers never wait for a writer, on either backend."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from persistence.store.database import Database, async_url
from persistence.store.models import Organization


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


async def test_connections_the_database_closed_are_replaced_not_used(db: Database) -> None:
    """A PostgreSQL restart closes every connection: the next request gets a fresh one."""
    if db.dialect == "sqlite":
        pytest.skip("SQLite has no connections to lose")
    async with db.transaction() as session:
        session.add(Organization(name="Before"))
    database = make_url(db.url).database
    admin = await asyncpg.connect(_admin_dsn(db.url))
    try:
        killed = await admin.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = $1 AND pid <> pg_backend_pid()",
            database,
        )
    finally:
        await admin.close()
    assert killed >= 1  # the pooled connection of the write above
    await asyncio.sleep(0.2)  # the closed sockets are noticed by the event loop, not by a query
    async with db.transaction() as session:
        session.add(Organization(name="After"))
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Organization)) == 2


def _admin_dsn(url: str) -> str:
    return (
        make_url(url).set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    )
