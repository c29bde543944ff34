"""The event record: one live event as the log stores it and the hub sends it (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

__all__ = ["EventRecord"]


@dataclass(frozen=True, slots=True)
class EventRecord:
    """One committed (or about to be committed) event.

    ``seq`` is 0 until the database numbered it (PostgreSQL numbers at commit).
    """

    id: int
    channel: str
    seq: int
    kind: str
    data: dict[str, Any]
    created_at: datetime
