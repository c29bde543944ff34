"""How long a stretch of one conversation may be exported at once (pure)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from persistence.rules.errors import InvalidInput

__all__ = ["MAX_EXPORT_RANGE", "export_range"]

MAX_EXPORT_RANGE: Final = timedelta(days=7)


def export_range(start: datetime | None, end: datetime | None, now: datetime) -> tuple[datetime, datetime]:
    """The ``[start, end]`` to export: ``end`` defaults to now, ``start`` to seven days before ``end``.

    Raises:
        InvalidInput: ``range_too_long`` past seven days; ``invalid_range`` when ``end`` is before ``start``.
    """
    end = end or now
    start = start or end - MAX_EXPORT_RANGE
    if end < start:
        raise InvalidInput("'end' is before 'start'.", code="invalid_range")
    if end - start > MAX_EXPORT_RANGE:
        raise InvalidInput(
            "The start and end dates must be within 7 days of each other.", code="range_too_long"
        )
    return start, end
