"""Alembic environment: runs on the connection ``persistence.store.migrate`` hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from persistence.store.models import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things in place
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:  # the alembic CLI, for writing new revisions against a sync URL
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "sqlite:///data/shiftline.db")
    with engine.connect() as conn:
        _run(conn)
