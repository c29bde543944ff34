"""When automatic texts may be set to go: a scheduled text's time, a drip's steps (pure).

A drip step's ``after_seconds`` counts from the moment the drip is applied,
not from the step before (steps of 1, 3 and 5 days send one, three and five
days later), so the steps go in ascending order; equal times keep their order.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Final

from persistence.rules.errors import InvalidInput

__all__ = ["MAX_AHEAD", "MAX_STEPS", "check_send_at", "check_step_times", "step_times"]

# How far ahead a text may be set to go (a drip's last step included).
MAX_AHEAD: Final = timedelta(days=366)
MAX_STEPS: Final = 20


def check_send_at(send_at: datetime, now: datetime) -> datetime:
    """``send_at`` if it is after ``now`` and at most MAX_AHEAD away.

    Raises:
        InvalidInput: ``send_at_past``; ``send_at_too_far``.
    """
    if send_at <= now:
        raise InvalidInput("'send_at' is in the past; pick a later time.", code="send_at_past")
    if send_at - now > MAX_AHEAD:
        raise InvalidInput(f"'send_at' may be at most {MAX_AHEAD.days} days ahead.", code="send_at_too_far")
    return send_at


def check_step_times(after_seconds: Sequence[int]) -> None:
    """Refuse a drip's step times unless 1..MAX_STEPS, each 0..MAX_AHEAD and ascending.

    Raises:
        InvalidInput: ``invalid_steps``, ``send_at_too_far`` or ``steps_out_of_order``.
    """
    if not 1 <= len(after_seconds) <= MAX_STEPS:
        raise InvalidInput(f"A drip has 1 to {MAX_STEPS} steps.", code="invalid_steps")
    previous = 0
    for number, seconds in enumerate(after_seconds, start=1):
        if seconds < 0:
            raise InvalidInput(f"Step {number} has a negative 'after_seconds'.", code="invalid_steps")
        if seconds > MAX_AHEAD.total_seconds():
            raise InvalidInput(f"A step may be at most {MAX_AHEAD.days} days ahead.", code="send_at_too_far")
        if seconds < previous:
            raise InvalidInput(
                f"Step {number} comes before step {number - 1}: each step's 'after_seconds' counts "
                "from when the drip is applied, so they go in ascending order.",
                code="steps_out_of_order",
            )
        previous = seconds


def step_times(after_seconds: Sequence[int], applied_at: datetime) -> list[datetime]:
    """When each step goes for a drip applied at ``applied_at``."""
    return [applied_at + timedelta(seconds=s) for s in after_seconds]
