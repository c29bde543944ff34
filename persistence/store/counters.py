"""Per-sender conversation counters, kept in the transaction of each change.

Every command that adds, moves or changes conversations adjusts the counters
of the slots it touched through :func:`apply_deltas`; :func:`recount` gives the
truth from scratch (tests, and repair after a manual database edit).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any, cast

from sqlalchemy import Table, bindparam, case, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.dml import Insert
from sqlalchemy.sql.elements import ColumnElement

from persistence.rules.channels import UNASSIGNED
from persistence.rules.status import Counts
from persistence.store.models import Conversation, ConversationCount
from persistence.store.status_sql import needs_reply
from persistence.store.write import Write

__all__ = [
    "apply_deltas",
    "counts_by_slot",
    "deltas_write",
    "recount",
    "slot_counts_query",
    "stored_counts",
]


def _flag(condition: ColumnElement[bool] | InstrumentedAttribute[bool]) -> ColumnElement[Any]:
    return func.sum(case((condition, 1), else_=0))


def slot_counts_query(*where: ColumnElement[bool]) -> Any:
    """SELECT slot, assigned, not_started, sent, needs_reply, opted_out, grouped by slot.

    Mirrors :func:`persistence.rules.status.contribution` in SQL.
    """
    c = Conversation
    slot = func.coalesce(c.assigned_to, UNASSIGNED).label("slot")
    started = c.initial_sent_at.is_not(None)
    return (
        select(
            slot,
            func.count().label("assigned"),
            _flag(~started & ~c.opted_out),
            _flag(started),
            _flag(needs_reply(c)),
            _flag(c.opted_out),
        )
        .where(*where)
        .group_by(slot)
    )


async def counts_by_slot(session: AsyncSession, *where: ColumnElement[bool]) -> dict[int, Counts]:
    """Aggregate the conversations matching ``where`` by slot, in one query."""
    rows = await session.execute(slot_counts_query(*where))
    return {int(r[0]): Counts(*(int(v or 0) for v in r[1:])) for r in rows}


async def apply_deltas(session: AsyncSession, campaign_id: int, deltas: Mapping[int, Counts]) -> None:
    """Add ``deltas`` (slot -> change) to the stored counters, in one round trip."""
    values = _rows(campaign_id, deltas)
    if values:
        await session.execute(_upsert(session.get_bind().dialect.name), values)


def deltas_write(dialect: str, campaign_id: int, deltas: Mapping[int, Counts]) -> Write | None:
    """The same as one statement of its own (None: nothing to add), for a few slots.

    For ``record.write_with_events``: a send changes one or two slots.
    """
    values = _rows(campaign_id, deltas)
    if not values:
        return None
    params = {f"counts{i}_{column}": value for i, row in enumerate(values) for column, value in row.items()}
    return Write(_upsert_of(dialect, len(values)), params)


@functools.cache
def _upsert_of(dialect: str, count: int) -> Insert:
    """The add-to upsert of ``count`` rows with named parameters, built once."""
    table = cast(Table, ConversationCount.__table__)
    rows: list[dict[str, Any]] = [
        {column: bindparam(f"counts{i}_{column}", type_=table.c[column].type) for column in _ROW_COLUMNS}
        for i in range(count)
    ]
    stmt: Insert = _upsert(dialect).values(rows)
    return stmt


# A counters row as both forms of the upsert write it. "published" is given,
# not left to the column's default: no default runs inside a CTE.
_ROW_COLUMNS = (
    "campaign_id",
    "slot",
    "assigned",
    "not_started",
    "sent",
    "needs_reply",
    "opted_out",
    "changes",
    "published",
)


def _rows(campaign_id: int, deltas: Mapping[int, Counts]) -> list[dict[str, int]]:
    # Listed in slot order, so concurrent transactions lock the rows in the
    # same order and cannot deadlock.
    return [
        dict(
            zip(
                _ROW_COLUMNS,
                (campaign_id, slot, d.assigned, d.not_started, d.sent, d.needs_reply, d.opted_out, 1, 0),
                strict=True,
            )
        )
        for slot, d in sorted(deltas.items())
        if not d.is_zero()
    ]


@functools.cache
def _upsert(dialect: str) -> Any:
    """The counters' add-to upsert, built once: building it costs more than running it.

    On the table, not the mapped class: the ORM's bulk machinery would only add cost.
    """
    table = cast(Table, ConversationCount.__table__)
    upsert = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
    excluded, column = upsert.excluded, table.c
    return upsert.on_conflict_do_update(
        index_elements=[column.campaign_id, column.slot],
        set_={
            "assigned": column.assigned + excluded.assigned,
            "not_started": column.not_started + excluded.not_started,
            "sent": column.sent + excluded.sent,
            "needs_reply": column.needs_reply + excluded.needs_reply,
            "opted_out": column.opted_out + excluded.opted_out,
            "changes": column.changes + 1,
        },
    )


async def stored_counts(session: AsyncSession, campaign_id: int) -> dict[int, Counts]:
    rows = await session.execute(
        select(
            ConversationCount.slot,
            ConversationCount.assigned,
            ConversationCount.not_started,
            ConversationCount.sent,
            ConversationCount.needs_reply,
            ConversationCount.opted_out,
        ).where(ConversationCount.campaign_id == campaign_id)
    )
    return {int(r[0]): Counts(*(int(v) for v in r[1:])) for r in rows}


async def recount(session: AsyncSession, campaign_id: int, *, repair: bool = False) -> dict[int, Counts]:
    """Count a campaign's slots from the conversations themselves.

    With ``repair`` the stored counters are replaced by the recount. A repair
    announces nothing (no counter events follow it): open pages show the
    repaired numbers on their next snapshot.
    """
    truth = await counts_by_slot(session, Conversation.campaign_id == campaign_id)
    if repair:
        c = ConversationCount
        await session.execute(delete(c).where(c.campaign_id == campaign_id))
        await apply_deltas(session, campaign_id, truth)
        await session.execute(update(c).where(c.campaign_id == campaign_id).values(published=c.changes))
    return truth
