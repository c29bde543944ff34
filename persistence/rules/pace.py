"""The send pace: when the next text of an organization may reach the provider (pure).

Texts are spaced evenly, ``(1 + PACE_MARGIN) / rate`` seconds apart, from one
shared "next slot" per organization (a generic cell rate algorithm with no
burst). Even spacing keeps any one-second window at ``rate`` texts or fewer
even when the calls reach the provider up to ``PACE_MARGIN`` seconds late or
early relative to each other (scheduling and network jitter), at the cost of
running about ``1 / (1 + PACE_MARGIN)`` of the nominal rate.
"""

from __future__ import annotations

__all__ = ["DEFAULT_RATE", "MAX_RATE", "PACE_MARGIN", "eta_seconds", "interval", "reserve"]

DEFAULT_RATE = 10
# Far above what any one sending number or Messaging Service is allowed.
MAX_RATE = 1000
# Seconds of timing jitter that never push a window over the rate. 0.1 was not
# enough on a busy 2-core host (an 11th text reached the provider inside a second
# at a rate of 10): the event loop can wake a text that much late.
PACE_MARGIN = 0.2


def interval(rate: float) -> float:
    """Seconds between two texts of an organization sending ``rate`` a second."""
    if rate <= 0:
        raise ValueError("the rate must be positive")
    return (1.0 + PACE_MARGIN) / rate


def reserve(next_at: float, now: float, rate: float) -> tuple[float, float]:
    """Take the next slot: ``(the moment the text may go, the following slot)``."""
    slot = max(next_at, now)
    return slot, slot + interval(rate)


def eta_seconds(depth: int, rate: float) -> float:
    """How long the last of ``depth`` queued texts waits, at the paced rate."""
    return round(depth * interval(rate), 1) if depth else 0.0
