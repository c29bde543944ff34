"""shiftline's load tests: a simulated texting shift against real server processes.

Run ``python -m loadtests shift|fanout|reconnect --help``; see docs/loadtests.md.
"""

from __future__ import annotations

from .cli import main, run
from .config import Config, ConfigError, parse_args
from .report import Goal, Outcome, render_markdown, write_report
from .seqcheck import Anomaly, SeqChecker
from .signature import sign_webhook

__all__ = [
    "Anomaly",
    "Config",
    "ConfigError",
    "Goal",
    "Outcome",
    "SeqChecker",
    "main",
    "parse_args",
    "render_markdown",
    "run",
    "sign_webhook",
    "write_report",
]
