"""The progress line printed while a run goes (stderr; one line a second on a terminal)."""

from __future__ import annotations

import asyncio
import sys
from typing import TextIO

from .figures import Figures

__all__ = ["Progress"]


class Progress:
    def __init__(self, figures: Figures, duration: float, stream: TextIO | None = None) -> None:
        self._figures = figures
        self._duration = duration
        self._stream = stream or sys.stderr
        self._tty = self._stream.isatty()
        self._last_actions = 0
        self._ticks = 0

    def line(self) -> str:
        f = self._figures
        actions = sum(f.actions.values())
        rate = actions - self._last_actions
        self._last_actions = actions
        lat = f.latency.get("commit→receipt") or f.latency.get("action→sender")
        p99 = f"{lat.percentile_ms(99):,.1f} ms" if lat is not None and lat.count else "-"
        done = min(1.0, f.now() / self._duration) if self._duration > 0 else 1.0
        bar = "#" * int(done * 20)
        return (
            f"[{bar:<20}] {f.now():5.0f}/{self._duration:.0f} s | conns {f.connections:,} | "
            f"actions {actions:,} ({rate:,}/s) | events {sum(f.events.values()):,} | p99 {p99} | "
            f"reconnects {f.reconnects:,} | errors {sum(f.errors.values()):,}"
        )

    async def run(self) -> None:
        """Print until cancelled. Cancel-safe."""
        try:
            while True:
                await asyncio.sleep(1.0)
                self._ticks += 1
                text = self.line()
                if self._tty:
                    self._stream.write("\r" + text[:160])
                elif self._ticks % 5 == 0:
                    self._stream.write(text + "\n")
                self._stream.flush()
        finally:
            if self._tty:
                self._stream.write("\n")
                self._stream.flush()
