"""Readers never wait for a writer, on either backend."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from persistence.outbox.outbox import open_database
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


def test_libpq_sslmode_from_a_managed_database_reaches_the_driver_as_ssl() -> None:
    assert (
        async_url("postgresql://u:p@db.example.com:5432/d?sslmode=require")
        == "postgresql+asyncpg://u:p@db.example.com:5432/d?ssl=require"
    )
    assert async_url("postgresql://u@h/d?ssl=verify-full") == "postgresql+asyncpg://u@h/d?ssl=verify-full"


async def test_sslmode_in_database_url_is_honoured_by_a_real_server(db: Database) -> None:
    """The test server speaks no TLS: ``require`` is refused by it, ``disable`` connects."""
    if db.dialect == "sqlite":
        pytest.skip("SQLite has no connections to encrypt")
    plain = make_url(db.url).set(drivername="postgresql").render_as_string(hide_password=False)
    without = open_database(plain + "?sslmode=disable")
    try:
        async with without.session() as session:
            assert await session.scalar(select(func.count()).select_from(Organization)) == 0
    finally:
        await without.dispose()
    required = open_database(plain + "?sslmode=require")
    try:
        with pytest.raises(ConnectionError, match="SSL"):
            async with required.session() as session:
                await session.scalar(select(func.count()).select_from(Organization))
    finally:
        await required.dispose()


async def test_a_database_that_never_answers_fails_a_request_after_the_connect_timeout() -> None:
    """A host that accepts the connection and then stays silent (a hung network, a dead balancer)."""
    accepted: list[asyncio.StreamWriter] = []

    async def silent(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(writer)

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    db = open_database(f"postgresql://u@127.0.0.1:{port}/d", connect_timeout=0.5)
    try:
        started = asyncio.get_running_loop().time()
        with pytest.raises(TimeoutError):
            async with db.session() as session:
                await session.scalar(select(func.count()).select_from(Organization))
        assert asyncio.get_running_loop().time() - started < 3
        assert accepted
    finally:
        await db.dispose()
        for writer in accepted:
            writer.close()
        server.close()
        await server.wait_closed()
