"""The migrations build exactly the schema the models describe."""

from __future__ import annotations

import re
import warnings
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.schema import CreateIndex

from persistence.store.database import Database
from persistence.store.migrate import current_revision, head_revision, upgrade
from persistence.store.models import LIST_INDEXES, Base

# Expression indexes, which alembic cannot compare: the test below does.
_EXPRESSION_INDEXES = {ix.name for ix in LIST_INDEXES}


def _compared(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    return not (type_ == "index" and name in _EXPRESSION_INDEXES)


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True, "include_object": _compared})
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index")
        warnings.filterwarnings("ignore", "autogenerate skipping metadata-specified expression-based index")
        return list(compare_metadata(context, Base.metadata))


async def test_migrated_schema_matches_the_models(db: Database) -> None:
    async with db.engine.connect() as conn:
        diff = await conn.run_sync(_diff)
    assert diff == []


def _definition(connection: Connection, name: str) -> str:
    if connection.dialect.name == "postgresql":
        return str(connection.scalar(text("SELECT pg_get_indexdef(CAST(:n AS regclass))"), {"n": name}))
    sql = connection.scalar(
        text("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = :n"), {"n": name}
    )
    return re.sub(r"\s+", " ", str(sql)).strip()


async def test_the_list_indexes_are_the_models_expressions(db: Database) -> None:
    """Each migrated expression index is the one the models build, as the database itself states it."""
    async with db.engine.connect() as conn:
        for index in LIST_INDEXES:
            name = str(index.name)
            migrated = await conn.run_sync(_definition, name)
            await conn.execute(text(f"DROP INDEX {name}"))
            await conn.execute(CreateIndex(index))
            assert await conn.run_sync(_definition, name) == migrated, name
        await conn.rollback()


async def test_migrate_is_idempotent(db: Database) -> None:
    await upgrade(db)
    assert await current_revision(db) == head_revision()
