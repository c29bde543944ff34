"""Bring a database schema up to date (``shiftline migrate``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection

from persistence.store.database import Database

__all__ = ["alembic_config", "current_revision", "downgrade", "head_revision", "upgrade"]

_HERE = Path(__file__).parent / "migrations"


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(_HERE))
    return cfg


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def _upgrade(connection: Connection, cfg: Config) -> None:
    # An up-to-date schema is left alone without a word: a server started with
    # --demo (which migrates before seeding) does not log the migration twice.
    if _stamped(connection) == ScriptDirectory.from_config(cfg).get_current_head():
        return
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, "head")


def _stamped(connection: Connection) -> str | None:
    # Read without alembic's MigrationContext, which logs as it starts.
    if not inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


@asynccontextmanager
async def _migrating(db: Database) -> AsyncIterator[AsyncConnection]:
    """A connection in a transaction for migrations.

    SQLite changes a column by rebuilding its table, and dropping the old
    table would trip every row that references it (a conversation's contact).
    So on SQLite foreign keys are off while migrations run, set outside the
    transaction (the pragma is ignored inside one), and every reference is
    checked before the commit: a migration that broke one is rolled back.
    """
    async with db.engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        raw = await conn.get_raw_connection()
        if sqlite:
            await raw.driver_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
        try:
            async with conn.begin():
                yield conn
                if sqlite:
                    broken = (await conn.exec_driver_sql("PRAGMA foreign_key_check")).first()
                    if broken is not None:
                        raise RuntimeError(f"a migration left a broken reference: {tuple(broken)}")
        finally:
            if sqlite:
                await raw.driver_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]


async def upgrade(db: Database) -> None:
    """Apply every migration not yet applied; a no-op on an up-to-date schema."""
    async with _migrating(db) as conn:
        await conn.run_sync(_upgrade, alembic_config())


def _downgrade(revision: str) -> Callable[[Connection], None]:
    def run(connection: Connection) -> None:
        cfg = alembic_config()
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, revision)

    return run


async def downgrade(db: Database, revision: str) -> None:
    """Go back to ``revision`` (what a release before it expects); data newer schemas hold is dropped."""
    async with _migrating(db) as conn:
        await conn.run_sync(_downgrade(revision))


async def current_revision(db: Database) -> str | None:
    async with db.engine.connect() as conn:
        return await conn.run_sync(_current)
