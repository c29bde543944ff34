"""Bring a database schema up to date (``shiftline migrate``)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from persistence.store.database import Database

__all__ = ["alembic_config", "current_revision", "head_revision", "upgrade"]

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


async def upgrade(db: Database) -> None:
    """Apply every migration not yet applied; a no-op on an up-to-date schema."""
    async with db.engine.begin() as conn:
        await conn.run_sync(_upgrade, alembic_config())


async def current_revision(db: Database) -> str | None:
    async with db.engine.connect() as conn:
        return await conn.run_sync(_current)
