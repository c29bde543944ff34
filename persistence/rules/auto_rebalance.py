"""Which senders an automatic rebalance takes waiting replies from (pure).

A campaign with ``auto_rebalance_after_minutes`` set moves the waiting
replies of a sender who has been offline at least that long. When they went
offline is their last presence change; a sender never seen online counts
from when they were added to the campaign; one whose last change says online
but whom presence no longer shows has only just left.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

__all__ = ["MAX_MINUTES", "MIN_MINUTES", "SenderState", "due_senders"]

MIN_MINUTES: Final = 1
MAX_MINUTES: Final = 1440


@dataclass(frozen=True, slots=True)
class SenderState:
    waiting: int
    added_at: datetime
    # The last presence change: (online, when), or None if never seen.
    last_change: tuple[bool, datetime] | None = None

    def offline_since(self, now: datetime) -> datetime:
        if self.last_change is None:
            return self.added_at
        online, at = self.last_change
        return now if online else at


def due_senders(
    senders: Mapping[int, SenderState], online: Collection[int], *, now: datetime, after_minutes: int
) -> frozenset[int]:
    """The offline senders with replies waiting who went offline ``after_minutes`` or more ago."""
    cutoff = now - timedelta(minutes=after_minutes)
    return frozenset(
        uid
        for uid, s in senders.items()
        if uid not in online and s.waiting > 0 and s.offline_since(now) <= cutoff
    )
