"""Conversation status, derived from a conversation's maintained columns.

Pure functions only (no I/O): the SQL in ``counters`` and the listings must
agree with :func:`derive_status`, and the tests hold them to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["STATUSES", "Counts", "Status", "contribution", "derive_status"]

Status = Literal["not_started", "needs_reply", "sent", "replied", "opted_out"]
STATUSES: tuple[Status, ...] = ("not_started", "needs_reply", "sent", "replied", "opted_out")


def derive_status(*, initial_sent: bool, has_replied: bool, needs_reply: bool, opted_out: bool) -> Status:
    """The contract's status of one conversation.

    Opt-out wins over everything (an auto opt-out never needs a reply); then a
    waiting contact; then whether the initial message went out at all.
    """
    if opted_out:
        return "opted_out"
    if needs_reply:
        return "needs_reply"
    if not initial_sent:
        return "not_started"
    return "replied" if has_replied else "sent"


@dataclass(frozen=True, slots=True)
class Counts:
    """Counter values for one slot (a sender, or the Unassigned pool)."""

    assigned: int = 0
    not_started: int = 0
    sent: int = 0
    needs_reply: int = 0
    opted_out: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.assigned + other.assigned,
            self.not_started + other.not_started,
            self.sent + other.sent,
            self.needs_reply + other.needs_reply,
            self.opted_out + other.opted_out,
        )

    def __neg__(self) -> Counts:
        return Counts(-self.assigned, -self.not_started, -self.sent, -self.needs_reply, -self.opted_out)

    def __sub__(self, other: Counts) -> Counts:
        return self + (-other)

    def is_zero(self) -> bool:
        return self == Counts()


def contribution(*, initial_sent: bool, needs_reply: bool, opted_out: bool) -> Counts:
    """What one conversation adds to its slot's counters.

    ``sent`` is progress (the initial message went out, whatever happened
    since); ``not_started`` and ``needs_reply`` are statuses, so an opted-out
    contact counts in neither.
    """
    return Counts(
        assigned=1,
        not_started=int(not initial_sent and not opted_out),
        sent=int(initial_sent),
        needs_reply=int(needs_reply and not opted_out),
        opted_out=int(opted_out),
    )
