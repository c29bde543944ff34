"""Reading a campaign's audit log, newest first, a page at a time.

Keyset paging on the entry id (``ix_audit_log_campaign``): the cursor is the
last id of the previous page, so a page costs the same wherever it is.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from persistence.store.database import Database
from persistence.store.models import AuditEntry, User
from persistence.store.scope import Actor, campaign_for, require_sweeper

__all__ = ["AuditFilter", "AuditPage", "audit_page", "audit_rows"]


@dataclass(frozen=True, slots=True)
class AuditFilter:
    action: str | None = None
    actor_id: int | None = None


@dataclass(frozen=True, slots=True)
class AuditPage:
    entries: list[dict[str, Any]]
    # The cursor of the next page, or None on the last one.
    next_cursor: str | None

    def to_json(self) -> dict[str, Any]:
        return {"entries": self.entries, "next_cursor": self.next_cursor}


def _query(campaign_id: int, where: AuditFilter, before: int | None) -> Any:
    a, u = AuditEntry, User
    stmt = (
        select(a.id, a.created_at, a.actor_id, u.first_name, u.last_name, a.action, a.detail)
        .outerjoin(u, u.id == a.actor_id)
        .where(a.campaign_id == campaign_id)
        .order_by(a.id.desc())
    )
    if where.action is not None:
        stmt = stmt.where(a.action == where.action)
    if where.actor_id is not None:
        stmt = stmt.where(a.actor_id == where.actor_id)
    if before is not None:
        stmt = stmt.where(a.id < before)
    return stmt


def _entry(row: Any) -> dict[str, Any]:
    entry_id, at, actor_id, first, last, action, detail = row
    actor = None if actor_id is None else {"id": actor_id, "first_name": first, "last_name": last}
    return {"id": entry_id, "at": at.isoformat(), "actor": actor, "action": action, "detail": detail}


async def audit_page(
    session: AsyncSession,
    actor: Actor,
    campaign_id: int,
    where: AuditFilter,
    *,
    cursor: int | None,
    limit: int,
) -> AuditPage:
    """One page of the log, for sweepers.

    Raises:
        PermissionDenied: the actor is a sender.
        NotFound: no such campaign in the actor's organization.
    """
    require_sweeper(actor)
    await campaign_for(session, actor, campaign_id)
    rows = (await session.execute(_query(campaign_id, where, cursor).limit(limit + 1))).all()
    entries = [_entry(r) for r in rows[:limit]]
    more = len(rows) > limit
    return AuditPage(entries, str(entries[-1]["id"]) if more else None)


async def audit_rows(
    db: Database, campaign_id: int, where: AuditFilter, *, page: int = 500
) -> AsyncIterator[dict[str, Any]]:
    """Every entry that matches, newest first, read a page per short session (for the CSV)."""
    before: int | None = None
    while True:
        async with db.session() as session:
            rows = (await session.execute(_query(campaign_id, where, before).limit(page))).all()
        for row in rows:
            yield _entry(row)
        if len(rows) < page:
            return
        before = int(rows[-1][0])
