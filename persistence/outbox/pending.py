"""What one transaction has for the outbox: its events and count marks, typed.

Commands add to it while they run (``record.emit``, ``notify.emit_counts``);
the :class:`~persistence.outbox.outbox.Outbox` writes and hands it on at
commit. It rides on the session, as the session is the one thing every
command of a transaction shares.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeAlias

from sqlalchemy.ext.asyncio import AsyncSession

from persistence.rules.events import EventRecord

__all__ = ["CountMarks", "Pending", "QueuedEvent", "pending"]

# campaign id -> the counter slots (sender ids, UNASSIGNED) whose counters changed.
CountMarks: TypeAlias = dict[int, set[int]]
# (channel, kind, data) of an event not yet written.
QueuedEvent: TypeAlias = tuple[str, str, dict[str, Any]]

_KEY = "shiftline.outbox"


@dataclass(slots=True)
class Pending:
    """The outbox's part of one transaction."""

    events: list[QueuedEvent] = field(default_factory=list)
    counts: CountMarks = field(default_factory=dict)
    # Written before commit (``record.write_with_events``), with their channels.
    written: list[EventRecord] = field(default_factory=list)
    written_channels: set[str] = field(default_factory=set)
    # After commit: the events as written and numbered.
    committed: list[EventRecord] = field(default_factory=list)

    def mark_counts(self, campaign_id: int, slots: set[int]) -> None:
        self.counts.setdefault(campaign_id, set()).update(slots)


def pending(session: AsyncSession) -> Pending:
    """The transaction's :class:`Pending`, made on first use."""
    found = session.info.get(_KEY)
    if found is None:
        found = session.info[_KEY] = Pending()
    assert isinstance(found, Pending)  # only this module writes the key
    return found
