"""Every figure a run collects: latency histograms, counters, errors, process samples.

Latencies go into HDR histograms (microsecond resolution, three significant
digits, up to ten minutes), so p99 and max stay exact whatever the count.
Nothing here does I/O; :mod:`loadtests.report` renders it.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from hdrh.histogram import HdrHistogram

__all__ = ["WINDOW_SECONDS", "Figures", "Latency", "ProcessFigures"]

_HIGHEST_US = 600_000_000
# A long run's latency is also kept whole per five minutes, so a soak compares
# the exact p99 of its first and last windows (per-second buckets cannot be merged).
WINDOW_SECONDS = 300


class Latency:
    """One latency distribution, recorded in seconds, reported in milliseconds."""

    def __init__(self, significant_digits: int = 3) -> None:
        self._h = HdrHistogram(1, _HIGHEST_US, significant_digits)

    def record(self, seconds: float) -> None:
        self._h.record_value(min(_HIGHEST_US, max(1, int(seconds * 1_000_000))))

    @property
    def count(self) -> int:
        return int(self._h.get_total_count())

    def percentile_ms(self, percentile: float) -> float:
        return float(self._h.get_value_at_percentile(percentile)) / 1000.0

    def summary(self) -> dict[str, float]:
        """count, mean, p50, p95, p99, p99.9 and max (milliseconds)."""
        if self.count == 0:
            return {"count": 0}
        return {
            "count": self.count,
            "mean": round(float(self._h.get_mean_value()) / 1000.0, 3),
            "p50": self.percentile_ms(50),
            "p95": self.percentile_ms(95),
            "p99": self.percentile_ms(99),
            "p99.9": self.percentile_ms(99.9),
            "max": float(self._h.get_max_value()) / 1000.0,
        }

    def distribution(self) -> list[tuple[float, float]]:
        """(percentile, milliseconds) points for a percentile-distribution chart."""
        if self.count == 0:
            return []
        points = [50.0, 75.0, 90.0, 95.0, 99.0, 99.5, 99.9, 99.95, 99.99, 100.0]
        return [(p, self.percentile_ms(p)) for p in points]


@dataclass
class ProcessFigures:
    """CPU and memory of one watched process, sampled about once a second."""

    name: str
    pid: int
    cpu_seconds: float = 0.0
    peak_rss_mb: float = 0.0
    samples: list[tuple[float, float, float]] = field(default_factory=list)  # (t, cpu %, rss MB)

    def to_json(self) -> dict[str, Any]:
        busy = [cpu for _, cpu, _ in self.samples]
        return {
            "name": self.name,
            "pid": self.pid,
            "cpu_seconds": round(self.cpu_seconds, 2),
            "cpu_percent_mean": round(sum(busy) / len(busy), 1) if busy else 0.0,
            "cpu_percent_max": round(max(busy), 1) if busy else 0.0,
            "peak_rss_mb": round(self.peak_rss_mb, 1),
        }


class Figures:
    """The figures of one run. ``now()`` is seconds since the run's measured phase began."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.latency: dict[str, Latency] = {}
        # Per-second latency (primary figure only), for the latency-over-time chart.
        self.timeline: dict[int, Latency] = {}
        self.windows: dict[int, Latency] = {}  # whole five-minute windows, same figure
        # HTTP latency per endpoint, apart for set-up, the measured phase and the end-of-run checks.
        self.phase = "setup"
        self.http_phases: dict[str, dict[str, Latency]] = {"setup": {}, "run": {}, "check": {}}
        self.errors: Counter[str] = Counter()
        self.actions: Counter[str] = Counter()
        self.actions_per_second: Counter[int] = Counter()
        self.events: Counter[str] = Counter()
        self.connections = 0
        self.peak_connections = 0
        self.reconnects = 0
        self.processes: dict[str, ProcessFigures] = {}
        self.machine_cpu: list[tuple[float, float]] = []  # (t, % of all cores)
        self.notes: dict[str, Any] = {}

    def restart_clock(self) -> None:
        """Begin the measured phase (setup before it is not counted in rates)."""
        self.started = time.monotonic()
        self.phase = "run"

    def checking(self) -> None:
        """The measured phase is over: later HTTP calls are the end-of-run checks."""
        self.phase = "check"

    @property
    def http(self) -> dict[str, Latency]:
        return self.http_phases["run"]

    def now(self) -> float:
        return time.monotonic() - self.started

    def record_latency(self, name: str, seconds: float, *, timeline: bool = False) -> None:
        hist = self.latency.get(name)
        if hist is None:
            hist = self.latency[name] = Latency()
        hist.record(seconds)
        if timeline:
            second = int(self.now())
            bucket = self.timeline.get(second)
            if bucket is None:
                bucket = self.timeline[second] = Latency(significant_digits=2)
            bucket.record(seconds)
            window = self.windows.get(second // WINDOW_SECONDS)
            if window is None:
                window = self.windows[second // WINDOW_SECONDS] = Latency()
            window.record(seconds)

    def record_http(self, endpoint: str, seconds: float) -> None:
        phase = self.http_phases[self.phase]
        hist = phase.get(endpoint)
        if hist is None:
            hist = phase[endpoint] = Latency()
        hist.record(seconds)

    def error(self, kind: str) -> None:
        self.errors[kind] += 1

    def action(self, kind: str) -> None:
        self.actions[kind] += 1
        self.actions_per_second[int(self.now())] += 1

    def connected(self) -> None:
        self.connections += 1
        self.peak_connections = max(self.peak_connections, self.connections)

    def disconnected(self) -> None:
        self.connections -= 1

    def to_json(self, elapsed: float) -> dict[str, Any]:
        """Every figure as plain JSON values (``elapsed``: seconds of measured phase)."""
        total_actions = sum(self.actions.values())
        return {
            "elapsed_seconds": round(elapsed, 2),
            "connections": {
                "peak": self.peak_connections,
                "at_end": self.connections,
                "reconnects": self.reconnects,
            },
            "actions": dict(self.actions),
            "actions_per_second": round(total_actions / elapsed, 1) if elapsed > 0 else 0.0,
            "events_received": dict(self.events),
            "latency_ms": {name: h.summary() for name, h in sorted(self.latency.items())},
            "latency_distribution_ms": {name: h.distribution() for name, h in sorted(self.latency.items())},
            "latency_timeline_ms": [{"second": s, **h.summary()} for s, h in sorted(self.timeline.items())],
            # Only windows the measured phase covered whole: a last partial one would not compare.
            "latency_windows_ms": [
                {"from_second": i * WINDOW_SECONDS, **h.summary()}
                for i, h in sorted(self.windows.items())
                if (i + 1) * WINDOW_SECONDS <= elapsed
            ],
            "actions_timeline": [
                {"second": s, "actions": n} for s, n in sorted(self.actions_per_second.items())
            ],
            "http_ms": {name: h.summary() for name, h in sorted(self.http.items())},
            "http_setup_ms": {name: h.summary() for name, h in sorted(self.http_phases["setup"].items())},
            "http_check_ms": {name: h.summary() for name, h in sorted(self.http_phases["check"].items())},
            "errors": dict(self.errors),
            "processes": [p.to_json() for p in self.processes.values()],
            "machine_cpu_percent_mean": (
                round(sum(c for _, c in self.machine_cpu) / len(self.machine_cpu), 1)
                if self.machine_cpu
                else None
            ),
            "notes": {k: v.to_json() if hasattr(v, "to_json") else v for k, v in self.notes.items()},
        }
