"""The campaign lifecycle: which status changes are legal (pure; no I/O).

::

    draft ──launch──▶ active ◀──resume── paused
      │                 │  └────pause────▶  │
      └──────────────── ▼ ◀─────────────────┘
                      closed   (final)

Setting the status a campaign already has is a no-op, so a retried request
succeeds. Every other change not drawn above is refused with a message that
names what to do instead.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from persistence.rules.errors import Conflict, InvalidInput, Locked

__all__ = [
    "CAMPAIGN_STATES",
    "CLOSED_MESSAGE",
    "TRANSITIONS",
    "WINDOW_PASSED_MESSAGE",
    "CampaignState",
    "WindowState",
    "check_launch",
    "check_transition",
    "refusal",
    "window_state",
]

CampaignState = Literal["draft", "active", "paused", "closed"]
CAMPAIGN_STATES: tuple[CampaignState, ...] = ("draft", "active", "paused", "closed")

WindowState = Literal["open", "not_open", "passed"]

# The pages show these words as banners; the refusals carry the same words.
CLOSED_MESSAGE = "Campaign is currently closed"
WINDOW_PASSED_MESSAGE = "Initial message sending window has passed"

TRANSITIONS: dict[str, frozenset[str]] = {
    "draft": frozenset({"active", "closed"}),
    "active": frozenset({"paused", "closed"}),
    "paused": frozenset({"active", "closed"}),
    "closed": frozenset(),
}

_FIXES: dict[tuple[str, str], str] = {
    ("active", "draft"): "A launched campaign cannot go back to draft; pause it instead.",
    ("paused", "draft"): "A launched campaign cannot go back to draft; it stays paused until resumed.",
    ("draft", "paused"): "A draft cannot be paused; launch it first with status 'active'.",
}


def check_transition(current: str, new: str) -> bool:
    """Whether moving ``current`` to ``new`` changes anything.

    Returns False for a no-op (same status), True for a legal change.

    Raises:
        InvalidInput: ``new`` is not a campaign status.
        Conflict: the change is not allowed (the message says what to do).
    """
    if new not in CAMPAIGN_STATES:
        raise InvalidInput(f"'status' must be one of {', '.join(CAMPAIGN_STATES)}.", code="invalid_status")
    if new == current:
        return False
    if new in TRANSITIONS[current]:
        return True
    if current == "closed":
        message = "The campaign is closed, and closing is final; create a new campaign instead."
    else:
        message = _FIXES.get((current, new), f"A campaign cannot go from {current} to {new}.")
    raise Conflict(message, code="illegal_transition")


def check_launch(*, contact_count: int, initial_message: str) -> None:
    """Refuse to launch a campaign that could not text anyone.

    Raises:
        Conflict: no contacts, or no initial message (the message says which).
    """
    if not initial_message.strip():
        raise Conflict("Write the initial message before launching the campaign.", code="campaign_not_ready")
    if contact_count <= 0:
        raise Conflict(
            "Upload contacts before launching: the campaign has none to text.", code="campaign_not_ready"
        )


def refusal(status: str) -> Locked | None:
    """Why nothing may be sent or taken in a campaign of ``status`` right now, if anything.

    The one refusal rule for every action of a live shift (sending, self-assigning):
    a paused campaign is refused exactly like a closed one, as the pages show both
    as "Campaign is currently closed".
    """
    if status in ("paused", "closed"):
        return Locked(CLOSED_MESSAGE, code="campaign_closed")
    if status != "active":
        return Locked("Campaign has not been launched yet", code="campaign_not_active")
    return None


def window_state(start: datetime | None, end: datetime | None, now: datetime) -> WindowState:
    """Whether initial messages may go out at ``now``: ``open``, ``not_open`` or ``passed``."""
    if end is not None and now > end:
        return "passed"
    if start is not None and now < start:
        return "not_open"
    return "open"
