"""``python -m loadtests shift|fanout|reconnect [options]``: run one scenario, write its report.

Exit status: 0 when every check passed, 1 when any event was lost,
duplicated or misordered, a view disagreed with the server or the server
failed, 2 for bad options or a run that could not start.
"""

from __future__ import annotations

import asyncio
import shlex
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from .config import Config, ConfigError, parse_args
from .report import Outcome, render_markdown, write_report

__all__ = ["main", "run"]


async def run(cfg: Config, command: str) -> tuple[Outcome, Path]:
    """Run the configured scenario; return its outcome and results folder.

    SIGTERM (``timeout``, a CI runner) cancels the run like Ctrl-C: the servers
    it started are stopped and its database dropped on the way out.
    """
    main_task = asyncio.current_task()
    if main_task is not None:
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, main_task.cancel)
    name = cfg.run_name or f"{time.strftime('%Y%m%d-%H%M%S')}-{cfg.scenario}"
    directory = Path(cfg.results) / name
    directory.mkdir(parents=True, exist_ok=True)
    # Short and unique: it ends up in e-mail addresses and the database name.
    run_id = f"{int(time.time()) % 10**8:08d}"
    if cfg.scenario == "fanout":
        from .fanout_scenario import run_fanout

        outcome = await run_fanout(cfg, directory, run_id, command)
    else:
        from .shift import run_shift

        outcome = await run_shift(cfg, directory, run_id, command, kill=cfg.scenario == "reconnect")
    outcome.run_name = name
    write_report(outcome, directory)
    return outcome, directory


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        cfg = parse_args(args)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    command = "python -m loadtests " + shlex.join(args)
    try:
        outcome, directory = asyncio.run(run(cfg, command))
    except (RuntimeError, OSError, TimeoutError) as exc:
        print(f"error: the run could not complete: {exc}", file=sys.stderr)
        return 2
    except (KeyboardInterrupt, asyncio.CancelledError):
        print("interrupted: servers stopped, run's data removed", file=sys.stderr)
        return 130
    print(render_markdown(outcome))
    print(f"results: {directory}")
    return 0 if outcome.passed else 1
