"""Per-sender conversation counters, kept in the transaction of each change.

Every command that adds, moves or changes conversations adjusts the counters
of the slots it touched through :func:`apply_deltas`; :func:`recount` gives the
truth from scratch (tests, and repair after a manual database edit).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from sqlalchemy import case, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.elements import ColumnElement

from persistence.rules.channels import UNASSIGNED
from persistence.rules.status import Counts
from persistence.store.models import Conversation, ConversationCount
from persistence.store.status_sql import needs_reply

__all__ = [
    "apply_deltas",
    "counts_by_slot",
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
    """Add ``deltas`` (slot -> change) to the stored counters, in one round trip.

    Rows are listed in slot order, so concurrent transactions lock them in the
    same order and cannot deadlock.
    """
    values = [
        {
            "campaign_id": campaign_id,
            "slot": slot,
            "assigned": d.assigned,
            "not_started": d.not_started,
            "sent": d.sent,
            "needs_reply": d.needs_reply,
            "opted_out": d.opted_out,
            "changes": 1,
        }
        for slot, d in sorted(deltas.items())
        if not d.is_zero()
    ]
    if not values:
        return
    await session.execute(_upsert(session.get_bind().dialect.name), values)


@functools.cache
def _upsert(dialect: str) -> Any:
    """The counters' add-to upsert, built once: building it costs more than running it."""
    table = ConversationCount
    upsert = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
    excluded = upsert.excluded
    return upsert.on_conflict_do_update(
        index_elements=[table.campaign_id, table.slot],
        set_={
            "assigned": table.assigned + excluded.assigned,
            "not_started": table.not_started + excluded.not_started,
            "sent": table.sent + excluded.sent,
            "needs_reply": table.needs_reply + excluded.needs_reply,
            "opted_out": table.opted_out + excluded.opted_out,
            "changes": table.changes + 1,
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
