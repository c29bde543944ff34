"""The hub's counters and their Prometheus text rendering (``GET /metrics``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields

__all__ = ["Metrics", "render"]


@dataclass
class Metrics:
    """Monotonic counters of one process; gauges are read when rendering."""

    connections_total: int = 0
    fast_path_connections: int = 0
    asgi_path_connections: int = 0
    events_published: int = 0
    publish_failures: int = 0
    events_relayed: int = 0
    events_dispatched: int = 0
    deliveries: int = 0
    merged: int = 0
    slow_closes: int = 0
    rate_limit_closes: int = 0
    catch_ups: int = 0
    events_pruned: int = 0


_HELP = {
    "connections_total": "WebSocket connections accepted",
    # The fast path reads uvicorn internals: this shows an upgrade of uvicorn did not silently lose it.
    "fast_path_connections": "connections whose frames are written straight to uvicorn's transport",
    "asgi_path_connections": "connections whose frames go through ASGI websocket.send (no fast path)",
    "events_published": "events published to the broker after commit",
    "publish_failures": "publications that failed (the relay sends them later)",
    "events_relayed": "committed events the relay published late",
    "events_dispatched": "events fanned out on this instance",
    "deliveries": "event frames sent to clients",
    "merged": "queued stats events merged into a newer one for a slow client",
    "slow_closes": "connections closed because their send queue overflowed (4008)",
    "rate_limit_closes": "connections closed for sending too many frames (4029)",
    "catch_ups": "event-log reads that filled a gap (reconnect, out-of-order arrival)",
    "events_pruned": "events deleted from the log after the retention period",
}


def render(metrics: Metrics, gauges: Iterable[tuple[str, str, float]]) -> str:
    """Prometheus text exposition: counters, then ``(name, help, value)`` gauges."""
    lines: list[str] = []
    for field in fields(metrics):
        name = f"shiftline_live_{field.name}"
        if not name.endswith("_total"):
            name += "_total"
        lines += [f"# HELP {name} {_HELP[field.name]}", f"# TYPE {name} counter"]
        lines.append(f"{name} {getattr(metrics, field.name)}")
    for gname, help_text, value in gauges:
        name = f"shiftline_live_{gname}"
        lines += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge", f"{name} {value:g}"]
    return "\n".join(lines) + "\n"
