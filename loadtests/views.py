"""What each simulated client believes, built only from snapshots and live events (pure).

Every event of the contract carries absolute state (a conversation's status,
a slot's counters, a sender's presence), so a view is a snapshot taken after
subscribing plus every later event applied in seq order; at the end of a run
it must equal the server's truth read over HTTP. The ``compare_*`` functions
return one line per difference.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "UNKNOWN",
    "AdminView",
    "SenderTruth",
    "SenderView",
    "compare_admin",
    "compare_sender",
]

# A conversation reassigned to a sender whose status the sender has not loaded yet.
UNKNOWN = "?"
_COUNTS = ("assigned", "sent", "needs_reply")


def _counts(data: Mapping[str, Any]) -> dict[str, int]:
    return {k: int(data.get(k) or 0) for k in _COUNTS}


@dataclass
class SenderView:
    """A sender's Messenger: their conversations by status, and their own counters."""

    user_id: int
    conversations: dict[int, str] = field(default_factory=dict)
    stats: dict[str, int] | None = None

    def load(self, rows: Iterable[Mapping[str, Any]]) -> None:
        """A listing snapshot (rows with ``id`` and ``status``)."""
        for row in rows:
            self.conversations[int(row["id"])] = str(row["status"])

    def learn(self, conversation_id: int, status: str) -> None:
        """The status of a conversation fetched after it arrived; events already applied win."""
        if self.conversations.get(conversation_id) == UNKNOWN:
            self.conversations[conversation_id] = status

    def apply(self, kind: str, data: Mapping[str, Any]) -> list[int]:
        """Apply one event; return the ids that arrived without a status (to fetch)."""
        if kind == "conversation":
            cid = int(data["id"])
            if data.get("sender_id") == self.user_id:
                self.conversations[cid] = str(data["status"])
            else:
                self.conversations.pop(cid, None)
        elif kind == "reassigned":
            ids = [int(i) for i in data.get("conversation_ids", [])]
            if data.get("to") == self.user_id:
                for cid in ids:
                    self.conversations.setdefault(cid, UNKNOWN)
                return [cid for cid in ids if self.conversations.get(cid) == UNKNOWN]
            if data.get("from") == self.user_id:
                for cid in ids:
                    self.conversations.pop(cid, None)
        elif kind == "sender_stats" and data.get("user_id") == self.user_id:
            self.stats = _counts(data)
        return []

    def with_status(self, *statuses: str) -> set[int]:
        return {cid for cid, s in self.conversations.items() if s in statuses}

    @property
    def green_dots(self) -> set[int]:
        return self.with_status("needs_reply")

    def derived_counts(self) -> dict[str, int]:
        """Counters as the conversation list implies them (``sent``: the initial message went out)."""
        statuses = list(self.conversations.values())
        return {
            "assigned": len(statuses),
            "sent": sum(1 for s in statuses if s not in ("not_started", UNKNOWN)),
            "needs_reply": sum(1 for s in statuses if s == "needs_reply"),
        }


@dataclass
class AdminView:
    """The Conversations Overview as an admin's page keeps it live."""

    stats: dict[str, int] = field(default_factory=dict)
    senders: dict[int | None, dict[str, int]] = field(default_factory=dict)
    online: dict[int, bool] = field(default_factory=dict)

    def load(self, overview: Mapping[str, Any]) -> None:
        self.stats = {k: int(overview[k]) for k in ("total", "not_started", "needs_reply")}
        for row in overview.get("senders", []):
            uid = row.get("user_id")
            self.senders[uid] = _counts(row)
            if uid is not None:
                self.online[int(uid)] = bool(row.get("online"))

    def apply(self, kind: str, data: Mapping[str, Any]) -> None:
        if kind == "stats":
            self.stats = {k: int(data[k]) for k in ("total", "not_started", "needs_reply")}
        elif kind == "sender_stats":
            self.senders[data.get("user_id")] = _counts(data)
        elif kind == "presence":
            self.online[int(data["user_id"])] = bool(data["online"])


@dataclass(frozen=True)
class SenderTruth:
    """What the server says about one sender at the end: their overview row and listings."""

    row: Mapping[str, Any]
    not_started: frozenset[int]
    needs_reply: frozenset[int]
    replied: frozenset[int]


def compare_admin(who: str, view: AdminView, overview: Mapping[str, Any]) -> list[str]:
    """Differences between an admin's live page and a fresh overview."""
    out: list[str] = []
    for key in ("total", "not_started", "needs_reply"):
        if view.stats.get(key) != overview.get(key):
            out.append(f"{who}: {key} shows {view.stats.get(key)}, server says {overview.get(key)}")
    for row in overview.get("senders", []):
        uid = row.get("user_id")
        mine = view.senders.get(uid)
        truth = _counts(row)
        if mine != truth:
            out.append(f"{who}: sender {uid} row shows {mine}, server says {truth}")
        if uid is not None and view.online.get(int(uid), False) != bool(row.get("online")):
            out.append(
                f"{who}: sender {uid} online shows {view.online.get(int(uid))}, "
                f"server says {row.get('online')}"
            )
    return out


def _diff(who: str, what: str, mine: set[int], truth: frozenset[int]) -> list[str]:
    if mine == truth:
        return []
    missing = sorted(truth - mine)[:5]
    extra = sorted(mine - truth)[:5]
    return [f"{who}: {what} differs (missing {missing}, extra {extra}; {len(mine)} vs {len(truth)})"]


def compare_sender(who: str, view: SenderView, truth: SenderTruth) -> list[str]:
    """Differences between a sender's Messenger and the server: counts, green dots, lists."""
    out: list[str] = []
    row = _counts(truth.row)
    derived = view.derived_counts()
    if derived != row:
        out.append(f"{who}: conversation list implies {derived}, overview says {row}")
    if view.stats is not None and view.stats != row:
        out.append(f"{who}: sender_stats show {view.stats}, overview says {row}")
    if UNKNOWN in view.conversations.values():
        out.append(f"{who}: {len(view.with_status(UNKNOWN))} conversations never loaded")
    out += _diff(who, "green dots", view.green_dots, truth.needs_reply)
    out += _diff(who, "not-started list", view.with_status("not_started"), truth.not_started)
    out += _diff(who, "replied list", view.with_status("replied"), truth.replied)
    return out
