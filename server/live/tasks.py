"""Helpers for the hub's long-running tasks."""

from __future__ import annotations

import asyncio

__all__ = ["reraise_if_cancelled"]


def reraise_if_cancelled() -> None:
    """Raise CancelledError if the current task is being cancelled.

    Call it at the top of every long-running loop and in its ``except
    Exception`` blocks: some client libraries (redis-py) swallow a
    cancellation or turn it into their own error, which would otherwise keep
    the loop alive and hang shutdown.
    """
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError
