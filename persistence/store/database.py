"""Engines, sessions and the one transaction helper every command runs in.

Nothing here knows about events: the outbox (``persistence.outbox``) joins
each transaction through :class:`TransactionHooks`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

__all__ = ["Database", "TransactionHooks", "async_url"]


class TransactionHooks(Protocol):
    """What joins every write transaction (the outbox)."""

    async def before_commit(self, session: AsyncSession) -> None:
        """Inside the transaction, after the command: write what must commit with it."""

    async def after_commit(self, session: AsyncSession) -> None:
        """After the commit (not after a rollback): hand on what committed."""


def async_url(url: str) -> str:
    """Map the usual ``postgresql://`` and ``sqlite:///`` forms to async drivers.

    libpq's ``sslmode=`` (what managed databases print) becomes asyncpg's
    ``ssl=``, which takes the same values; asyncpg refuses ``sslmode``.
    """
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "postgresql":
        if "sslmode" in parsed.query:
            query = {k: v for k, v in parsed.query.items() if k != "sslmode"}
            parsed = parsed.set(query={**query, "ssl": parsed.query["sslmode"]})
        return parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)
    if backend == "sqlite":
        return parsed.set(drivername="sqlite+aiosqlite").render_as_string(hide_password=False)
    raise ValueError(f"unsupported DATABASE_URL scheme {parsed.drivername!r}: use postgresql:// or sqlite://")


def _sqlite_setup(engine: AsyncEngine, *, writer: bool) -> None:
    # SQLite: WAL so readers never wait on the writer, and (for the engine that
    # writes) BEGIN IMMEDIATE so a transaction takes the write lock up front
    # instead of failing with SQLITE_BUSY when it upgrades from reading to
    # writing. Reads get a deferred BEGIN on an engine of their own, so a crowd
    # of readers never queues on the write lock.
    @event.listens_for(engine.sync_engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if writer else "BEGIN")


def _skip_closed_connections(engine: AsyncEngine) -> None:
    # When PostgreSQL restarts it closes every connection, and asyncpg notices
    # the closed socket by itself. Checking that on checkout replaces the pool's
    # pre-ping, which costs three round trips (BEGIN, a query, ROLLBACK) on every
    # checkout, i.e. on every transaction and read.
    @event.listens_for(engine.sync_engine, "checkout")
    def _checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        if dbapi_connection.driver_connection.is_closed():
            raise DisconnectionError("the database closed this connection")


class Database:
    """An engine, its session factories and the hooks every write transaction runs.

    ``connect_timeout``: seconds to wait for a new PostgreSQL connection.
    """

    def __init__(
        self, url: str, *, echo: bool = False, pool_size: int = 10, connect_timeout: float = 5.0
    ) -> None:
        self.url = async_url(url)
        parsed = make_url(self.url)
        self.dialect = parsed.get_backend_name()
        kwargs: dict[str, Any] = {"echo": echo}
        if self.dialect == "postgresql":
            # asyncpg waits 60 s for a connection by default: a database out of
            # reach would hold every request that long instead of failing fast.
            kwargs.update(
                pool_size=pool_size, max_overflow=pool_size * 2, connect_args={"timeout": connect_timeout}
            )
        elif parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        self.engine = create_async_engine(self.url, **kwargs)
        if self.dialect == "sqlite":
            _sqlite_setup(self.engine, writer=True)
            self.read_engine = create_async_engine(self.url, **kwargs)
            _sqlite_setup(self.read_engine, writer=False)
        else:
            _skip_closed_connections(self.engine)
            # Reads on PostgreSQL run without BEGIN/ROLLBACK: under READ
            # COMMITTED every statement sees its own snapshot either way, and
            # the two round trips a read session would spend on them are saved.
            self.read_engine = self.engine.execution_options(isolation_level="AUTOCOMMIT")
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)
        self.read_sessionmaker = async_sessionmaker(self.read_engine, expire_on_commit=False)
        self.hooks: list[TransactionHooks] = []

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session for reads; nothing is committed (use ``transaction`` to write)."""
        async with self.read_sessionmaker() as session:
            yield session

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """Run a command in one transaction, with the hooks before and after the commit.

        On an exception everything is rolled back and no after-commit hook runs.
        """
        async with self.sessionmaker() as session, session.begin():
            yield session
            for hook in self.hooks:
                await hook.before_commit(session)
        for hook in self.hooks:
            await hook.after_commit(session)

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self.dialect == "sqlite":
            await self.read_engine.dispose()
