"""Which senders an automatic rebalance takes waiting replies from (pure).

A campaign with ``auto_rebalance_after_minutes`` set moves the waiting
replies of a sender who has been offline at least that long. A sender never
seen online counts as offline since they were added to the campaign.
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
    offline_since: datetime | None
    added_at: datetime


def due_senders(
    senders: Mapping[int, SenderState], online: Collection[int], *, now: datetime, after_minutes: int
) -> frozenset[int]:
    """The offline senders with replies waiting who went offline ``after_minutes`` or more ago."""
    cutoff = now - timedelta(minutes=after_minutes)
    return frozenset(
        uid
        for uid, s in senders.items()
        if uid not in online and s.waiting > 0 and (s.offline_since or s.added_at) <= cutoff
    )
