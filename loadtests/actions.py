"""Action-to-receipt latency: from the moment a simulated person acts to each client's receipt.

This needs no server clock at all (both ends are this process's clock), so it
also holds against remote targets; it includes the HTTP request's own time
before the commit, so it is an upper bound of commit-to-receipt latency.
"""

from __future__ import annotations

import time

from .figures import Figures

__all__ = ["ActionLog"]

# An action older than this is not matched any more (its events have long arrived).
_HORIZON = 60.0


class ActionLog:
    """The latest action per conversation and the status it should lead to."""

    def __init__(self, figures: Figures) -> None:
        self._figures = figures
        self._latest: dict[int, tuple[float, frozenset[str]]] = {}

    def acted(self, conversation_id: int, *expected: str) -> None:
        """A person starts an action on a conversation that leads to one of ``expected`` statuses."""
        self._latest[conversation_id] = (time.time(), frozenset(expected))

    def observe(self, conversation_id: int, status: str, received: float, audience: str) -> None:
        """A client saw a ``conversation`` event; record its latency if it is the action's effect."""
        entry = self._latest.get(conversation_id)
        if entry is None or status not in entry[1]:
            return
        elapsed = received - entry[0]
        if 0 <= elapsed <= _HORIZON:
            self._figures.record_latency(f"action→{audience}", elapsed)
