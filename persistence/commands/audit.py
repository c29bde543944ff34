"""Writing the campaign audit log, in the transaction of the change it records.

Every reassignment (bulk, single, rebalance, automatic, "done for today"),
opt-out and opt-in (by hand, by keyword, by list), campaign state change,
sender removal and conversation deletion adds one
:class:`~persistence.store.models.AuditEntry` through :func:`record`. Because
the entry is added to the same session, it commits with the change or not at
all; it is never pruned (unlike the event log).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from sqlalchemy.ext.asyncio import AsyncSession

from persistence.store.models import AuditEntry

__all__ = ["ACTIONS", "record"]

ACTIONS: Final = (
    "reassign",
    "reassign_one",
    "rebalance",
    "auto_rebalance",
    "release",
    "sender_removed",
    "opt_out",
    "opt_in",
    "status_changed",
    "conversation_deleted",
)


def record(
    session: AsyncSession,
    campaign_id: int | None,
    actor_id: int | None,
    action: str,
    detail: Mapping[str, Any],
) -> None:
    """Add an audit entry to the session's transaction. ``actor_id`` None: the system.

    ``campaign_id`` None: an inbox conversation's entry (its detail names the organization).
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action: {action!r}")
    session.add(AuditEntry(campaign_id=campaign_id, actor_id=actor_id, action=action, detail=dict(detail)))
