"""Fan-out benchmark of the live hub beside a bare ``websockets`` broadcast baseline.

``python -m loadtests.fanout run --n 1000 5000`` starts each server strategy in
its own process, connects the same clients to each in turn and prints one
table; ``server`` and ``clients`` run the two halves by hand. See
docs/benchmarks.md ("Live hub fan-out").
"""

from __future__ import annotations

from .clients import Result, measure
from .server import STRATEGIES

__all__ = ["STRATEGIES", "Result", "measure"]
