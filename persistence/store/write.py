"""A row change built once, with the values of one use: what a hot path hands over to be written."""

from __future__ import annotations

from typing import Any, NamedTuple

from sqlalchemy.sql.dml import UpdateBase

__all__ = ["Write"]


class Write(NamedTuple):
    """A statement built once (building costs more than running it) and this time's values.

    The statement names its parameters with ``bindparam``, uniquely among the
    writes it is run with (``persistence.outbox.record.write_with_events``
    runs several as one statement on PostgreSQL).
    """

    statement: UpdateBase
    params: dict[str, Any]
