"""A text's way to the contact, and what the provider's answers mean (pure).

An outbound message's ``delivery_status`` only moves forward::

    queued ──▶ sent ──▶ delivered | undelivered | failed
       └───────────────────────────────────────────▶ failed

``queued``: in shiftline's send queue. ``sent``: the provider accepted it and
its id is stored. The last three are final. The provider's own intermediate
statuses (``accepted``, ``sending``...) all mean ``sent`` here.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "FAILING_CODES",
    "FILTERED_CODE",
    "FINAL_STATES",
    "MAX_TRIES",
    "OPTED_OUT",
    "OPT_OUT_CODE",
    "THROTTLING_CODES",
    "Outcome",
    "backoff_seconds",
    "describe_error",
    "is_throttling",
    "moves_forward",
    "receipt_outcome",
    "status_of",
]

FINAL_STATES = frozenset({"delivered", "undelivered", "failed"})
_RANK = {"queued": 0, "sent": 1, "delivered": 2, "undelivered": 2, "failed": 2}

# Twilio's message statuses -> shiftline's.
_PROVIDER_STATUS = {
    "accepted": "sent",
    "scheduled": "sent",
    "queued": "sent",
    "sending": "sent",
    "sent": "sent",
    "delivered": "delivered",
    "read": "delivered",
    "undelivered": "undelivered",
    "failed": "failed",
    "canceled": "failed",
}

# The recipient unsubscribed at the carrier (replied STOP to the number).
OPT_OUT_CODE = "21610"
# Carrier filtering: the texts look like spam to the carrier.
FILTERED_CODE = "30007"
# Unreachable, unknown or landline: the text can never arrive.
FAILING_CODES = frozenset({"30003", "30005", "30006"})
# Answers that mean "too fast, try later": the message stays queued.
THROTTLING_CODES = frozenset({"429", "20429", "30001"})
MAX_TRIES = 5
# Not sent: the contact opted out while the text waited in the queue.
OPTED_OUT = "opted_out"

_DESCRIPTIONS = {
    "429": "The provider asked us to slow down.",
    "20429": "The provider asked us to slow down.",
    "30001": "The provider's queue for this number was full.",
    "21211": "The phone number is not a valid number.",
    "21408": "The provider account may not text this region.",
    "21610": "The person unsubscribed at their carrier (they replied STOP to the number).",
    "21614": "The number cannot receive texts.",
    "30003": "The phone is unreachable (off or out of coverage).",
    "30004": "The carrier blocked the text for this person.",
    "30005": "The number is unknown or no longer in service.",
    "30006": "The number is a landline or cannot receive texts.",
    "30007": "The carrier filtered the text as spam.",
    "30008": "The carrier could not deliver the text (unknown error).",
    "timeout": "The provider did not answer in time; the text may or may not have gone out.",
    "provider_unavailable": "The provider could not be reached.",
    "provider_refused": "The provider refused the text.",
    OPTED_OUT: "Not sent: the contact opted out while the text waited in the queue.",
    "outside_texting_hours": "Not sent: the contact's texting hours ended while it waited in the queue.",
}


def describe_error(code: str | None) -> str | None:
    """A plain-words description of a provider error code (None for no code)."""
    if not code:
        return None
    return _DESCRIPTIONS.get(code, f"The provider reported error {code}.")


def is_throttling(code: str | None) -> bool:
    return code in THROTTLING_CODES


def backoff_seconds(tries: int, *, base: float = 1.0, cap: float = 60.0) -> float:
    """How long to wait after the ``tries``-th throttled try: base, twice base, four times base... capped."""
    return float(min(cap, base * 2 ** max(0, tries - 1)))


def status_of(provider_status: str) -> str | None:
    """shiftline's status for a provider's status word; None for a word it does not know."""
    return _PROVIDER_STATUS.get(provider_status.strip().lower())


def moves_forward(current: str | None, new: str) -> bool:
    """Whether ``new`` is a step forward from ``current`` (never back, never sideways)."""
    if current not in _RANK or new not in _RANK:
        return False
    return _RANK[new] > _RANK[current]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one status callback does to its message."""

    status: str
    error_code: str | None
    error_message: str | None
    opt_out: bool
    filtered: bool


def receipt_outcome(status: str, error_code: str | None) -> Outcome:
    """The effect of a (known) status with its error code, carrier errors included."""
    code = error_code or None
    if code in FAILING_CODES and status in FINAL_STATES:
        status = "failed"
    error = code if status in ("undelivered", "failed") else None
    return Outcome(
        status=status,
        error_code=error,
        error_message=describe_error(error),
        opt_out=code == OPT_OUT_CODE,
        filtered=code == FILTERED_CODE,
    )
