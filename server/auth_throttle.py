"""Slowing down repeated failed logins."""

from __future__ import annotations

import time
from collections import OrderedDict

__all__ = ["LoginThrottle"]


class LoginThrottle:
    """Slows down repeated failed logins per key (an email, or a client address).

    After ``free`` failures within ``window`` seconds, each further attempt
    must wait twice as long as the last, up to ``max_delay``. State is per
    process and bounded to ``max_keys`` entries (oldest forgotten first).
    """

    def __init__(
        self, *, free: int = 5, window: float = 900.0, max_delay: float = 300.0, max_keys: int = 100_000
    ) -> None:
        self.free = free
        self.window = window
        self.max_delay = max_delay
        self.max_keys = max_keys
        self._failures: OrderedDict[str, tuple[int, float]] = OrderedDict()

    def retry_after(self, key: str, now: float | None = None) -> float:
        """Seconds the key must still wait before it may try again (0: go ahead)."""
        now = time.monotonic() if now is None else now
        count, last = self._failures.get(key, (0, 0.0))
        if count == 0 or now - last > self.window:
            return 0.0
        if count < self.free:
            return 0.0
        delay = min(self.max_delay, 2.0 ** (count - self.free))
        return max(0.0, last + delay - now)

    def failed(self, key: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        count, last = self._failures.pop(key, (0, 0.0))
        if now - last > self.window:
            count = 0
        self._failures[key] = (count + 1, now)
        while len(self._failures) > self.max_keys:
            self._failures.popitem(last=False)

    def succeeded(self, key: str) -> None:
        self._failures.pop(key, None)
