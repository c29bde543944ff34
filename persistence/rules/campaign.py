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

from typing import Literal

from persistence.rules.errors import Conflict, InvalidInput
from persistence.store.models import CAMPAIGN_STATES

__all__ = ["TRANSITIONS", "CampaignState", "check_transition"]

CampaignState = Literal["draft", "active", "paused", "closed"]

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
