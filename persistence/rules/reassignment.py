"""The rules of a reassignment, without I/O.

The server checks the body of ``POST /api/campaigns/{cid}/reassign`` into a
:class:`ReassignRequest` (``server/api/reassign.py``); :func:`plan_move` resolves it against
the campaign's senders into a :class:`Plan` (which slots give, which receive,
which statuses move, how many). :func:`divide` and :func:`target_index` are the
even-division rule the SQL in ``reassignment`` implements: the picked
conversations, numbered 0, 1, 2... in pick order, go round-robin to the targets
in the order given, so counts differ by at most one and the extra ones go to the
first targets.

Decisions where the contract is silent (documented in docs/sweeping.md):

- ``from`` may be ``null`` (the Unassigned pool) or a list whose items are
  sender ids or ``null`` (the pool), so "the pool and Ana" is ``[null, 12]``.
- With ``from`` left out, the sources are every sender and the pool *except the
  targets*: a conversation is never "moved" to the sender who already has it.
- An explicit source that is also a target is refused (``source_is_target``).
- ``to`` = ``"all_senders"`` is every sender of the campaign not named in
  ``from``; with ``from`` left out that is every sender, so the move hands out
  the Unassigned pool.
- ``unassign_all`` takes ``to`` left out or ``"unassigned"`` and ignores
  ``status`` (it always moves any status); ``count`` is only read by
  ``reassign_some``, and a count above what is available moves what is there.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, TypeAlias

from persistence.rules.channels import UNASSIGNED_KEY, Slot
from persistence.rules.errors import InvalidInput
from persistence.rules.status import Status

__all__ = [
    "ACTIONS",
    "MAX_COUNT",
    "PICK_BUCKETS",
    "STATUS_FILTERS",
    "Action",
    "PickKey",
    "Plan",
    "ReassignRequest",
    "Sources",
    "StatusFilter",
    "divide",
    "pick_key",
    "plan_move",
    "target_index",
]

Action = Literal["unassign_all", "reassign_some", "reassign_all"]
StatusFilter = Literal["any", "needs_reply", "not_started"]
ACTIONS: tuple[Action, ...] = ("unassign_all", "reassign_some", "reassign_all")
STATUS_FILTERS: tuple[StatusFilter, ...] = ("any", "needs_reply", "not_started")

# A sender id, or None for the Unassigned pool.

# "Huge is fine": a count above this (up to the 64-bit limit the API takes) is
# the same as "all of them" (and stays inside a 64-bit SQL LIMIT).
MAX_COUNT = 2**62


@dataclass(frozen=True, slots=True)
class Sources:
    """Where conversations are taken from: some senders and/or the pool."""

    senders: frozenset[int]
    pool: bool

    def __contains__(self, slot: object) -> bool:
        return self.pool if slot is None else slot in self.senders


@dataclass(frozen=True, slots=True)
class ReassignRequest:
    """A checked request body, before it is matched against the campaign."""

    action: Action
    # None: the key was left out (every sender and the pool).
    sources: Sources | None
    status: StatusFilter
    count: int | None
    # A list of sender ids, or one of the two keywords.
    to: tuple[int, ...] | Literal["unassigned", "all_senders"]


@dataclass(frozen=True, slots=True)
class Plan:
    """A move ready to run: every name checked against the campaign."""

    # None: every slot except the targets.
    sources: Sources | None
    targets: tuple[Slot, ...]
    status: StatusFilter
    # None: everything that matches.
    limit: int | None


def _invalid(message: str, code: str = "invalid_input") -> InvalidInput:
    return InvalidInput(message, code=code)


def plan_move(request: ReassignRequest, campaign_senders: Collection[int]) -> Plan:
    """Resolve ``request`` against the campaign's sender ids.

    Raises:
        InvalidInput: a source or target that is not a sender of the campaign
            (``not_a_sender``), no target left (``no_targets``), or a slot that
            is both a source and a target (``source_is_target``).
    """
    members = set(campaign_senders)
    sources = request.sources
    if sources is not None:
        strangers = sorted(sources.senders - members)
        if strangers:
            raise _invalid(f"Not senders of this campaign: {', '.join(map(str, strangers))}.", "not_a_sender")
    targets: tuple[Slot, ...]
    if request.to == UNASSIGNED_KEY:
        targets = (None,)
    elif request.to == "all_senders":
        named = sources.senders if sources is not None else frozenset()
        targets = tuple(sorted(members - named))
        if not targets:
            raise _invalid("There is no other sender in this campaign to move to.", "no_targets")
    else:
        strangers = [t for t in request.to if t not in members]
        if strangers:
            raise _invalid(f"Not senders of this campaign: {', '.join(map(str, strangers))}.", "not_a_sender")
        targets = request.to
    if sources is not None:
        both = [t for t in targets if t in sources]
        if both:
            names = ", ".join("the Unassigned pool" if t is None else str(t) for t in both)
            raise _invalid(
                f"Cannot move conversations to where they already are: {names}.", "source_is_target"
            )
    return Plan(sources=sources, targets=targets, status=request.status, limit=request.count)


def target_index(rank: int, targets: int) -> int:
    """The target (by position) of the conversation ranked ``rank`` (0-based) in pick order."""
    return rank % targets


def divide(total: int, targets: int) -> list[int]:
    """How many of ``total`` conversations each of ``targets`` targets gets, in target order."""
    share, extra = divmod(total, targets)
    return [share + (1 if i < extra else 0) for i in range(targets)]


# Which conversations move first, as data: the statuses whose conversations go
# before all others, in this order; within needs-reply the longest waiting
# first; everything else (not-started included: upload order) by id. The SQL
# form (``store.status_sql.pick_order``) is generated from this tuple, and a
# property test holds it equal to :func:`pick_key`.
PICK_BUCKETS: tuple[Status, ...] = ("needs_reply", "not_started")


def pick_key(*, status: Status, needs_reply_since: datetime | None, conversation_id: int) -> PickKey:
    """Sort key of one conversation in a move: smaller moves first."""
    rank = PICK_BUCKETS.index(status) if status in PICK_BUCKETS else len(PICK_BUCKETS)
    waited = needs_reply_since if status == "needs_reply" else None
    # None last: a (False, t) pair sorts before any (True, _).
    return (rank, (waited is None, waited or _EPOCH), conversation_id)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
PickKey: TypeAlias = tuple[int, tuple[bool, datetime], int]
