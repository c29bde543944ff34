"""The SQL statements a database runs while a block runs: how tests count round trips."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from persistence.store.database import Database

__all__ = ["statements"]


@contextmanager
def statements(db: Database) -> Iterator[list[str]]:
    """Every statement ``db`` runs inside the block, each once (BEGIN and COMMIT are not statements).

    SQLite reads on an engine of their own; on PostgreSQL the read engine
    shares the writer's pool and events, and would count each statement twice.
    """
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        seen.append(statement)

    engines = [db.engine.sync_engine]
    if db.read_engine.sync_engine.pool is not db.engine.sync_engine.pool:
        engines.append(db.read_engine.sync_engine)
    for engine in engines:
        event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", record)
