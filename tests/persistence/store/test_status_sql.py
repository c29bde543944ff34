"""The SQL forms of the status rules and of the pick order agree with the pure rules."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Boolean, Column, DateTime, Integer, MetaData, Table, create_engine, insert, select
from sqlalchemy.engine import Engine

from persistence.rules.reassignment import PickKey, pick_key
from persistence.rules.status import STATUSES, derive_status
from persistence.store.status_sql import is_status, pick_order

# The columns the rules read, as a table of their own: the predicates only name columns.
_rows = Table(
    "rows",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("opted_out", Boolean, nullable=False),
    Column("needs_reply", Boolean, nullable=False),
    Column("has_replied", Boolean, nullable=False),
    Column("initial_sent_at", DateTime(timezone=True)),
    Column("needs_reply_since", DateTime(timezone=True)),
)
T0 = datetime(2026, 11, 1, tzinfo=UTC)


def _engine() -> Engine:
    engine = create_engine("sqlite://")
    _rows.metadata.create_all(engine)
    return engine


def test_each_status_predicate_holds_exactly_where_the_rule_derives_that_status() -> None:
    engine = _engine()
    combos = list(itertools.product([False, True], repeat=4))
    with engine.begin() as conn:
        conn.execute(
            insert(_rows),
            [
                {
                    "id": i + 1,
                    "opted_out": o,
                    "needs_reply": n,
                    "has_replied": h,
                    "initial_sent_at": T0 if s else None,
                    "needs_reply_since": None,
                }
                for i, (o, n, h, s) in enumerate(combos)
            ],
        )
        for status in STATUSES:
            found = set(conn.scalars(select(_rows.c.id).where(is_status(status, _rows.c))))
            expected = {
                i + 1
                for i, (o, n, h, s) in enumerate(combos)
                if derive_status(initial_sent=s, has_replied=h, needs_reply=n, opted_out=o) == status
            }
            assert found == expected, status


_row = st.tuples(st.booleans(), st.booleans(), st.booleans(), st.booleans(), st.none() | st.integers(0, 50))


@settings(max_examples=60, deadline=None)
@given(st.lists(_row, min_size=1, max_size=25))
def test_conversations_move_in_the_order_the_pick_rule_gives(
    rows: list[tuple[bool, bool, bool, bool, int | None]],
) -> None:
    engine = _engine()
    values = [
        {
            "id": i + 1,
            "opted_out": o,
            "needs_reply": n,
            "has_replied": h,
            "initial_sent_at": T0 if s else None,
            "needs_reply_since": None if since is None else T0 + timedelta(minutes=since),
        }
        for i, (o, n, h, s, since) in enumerate(rows)
    ]
    with engine.begin() as conn:
        conn.execute(insert(_rows), values)
        in_sql = list(conn.scalars(select(_rows.c.id).order_by(*pick_order(_rows.c))))

    def key(v: dict[str, Any]) -> PickKey:
        status = derive_status(
            initial_sent=v["initial_sent_at"] is not None,
            has_replied=bool(v["has_replied"]),
            needs_reply=bool(v["needs_reply"]),
            opted_out=bool(v["opted_out"]),
        )
        since = v["needs_reply_since"]
        assert since is None or isinstance(since, datetime)
        return pick_key(status=status, needs_reply_since=since, conversation_id=int(str(v["id"])))

    assert in_sql == [int(str(v["id"])) for v in sorted(values, key=key)]
