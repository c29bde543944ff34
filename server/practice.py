"""Practice mode: simulated contacts answer a practice campaign's texts.

A practice campaign's texts always go to the simulator, whatever provider
the organization has (``server/delivery.provider_for``), so training never
texts real people. Each text the simulator takes may get an answer from its
"contact" after a short delay: an ordinary reply most of the time, sometimes
``STOP``. The answer enters through :func:`server.delivery.receive`, the same
function the signed inbound webhook calls, so volunteers train on exactly
what a real night does: green dots, keyword opt-outs, the opt-out message.

The answers are tasks of one task group owned by the server process
(:func:`running`): at most ``capacity`` wait at once (more texts go
unanswered, as real contacts often do), and every one still waiting is
cancelled on shutdown.
"""

from __future__ import annotations

import asyncio
import logging
import random
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Final

from persistence.commands.inbound import InboundSms
from persistence.commands.send_queue import Claimed

from .delivery import receive
from .services import Services

__all__ = ["ANSWERS", "Practice", "running"]

logger = logging.getLogger("shiftline.practice")

ANSWERS: Final = (
    "Yes, count me in!",
    "Who is this?",
    "Maybe, what time?",
    "Where is my polling place?",
    "No thanks.",
    "Can I bring a friend?",
)


class Practice:
    """Schedules the simulated answers of one process; see the module docstring.

    Args:
        svc: the process's services (the answers are stored through them).
        group: the task group that owns the waiting answers.
        answer_share: the share of texts answered (0 to 1).
        stop_share: the share of answers that are ``STOP``.
        delay: seconds before an answer, on average (each waits 0.5 to 1.5 times it).
        capacity: the most answers waiting at once.
        seed: for a repeatable sequence of choices (tests).
    """

    def __init__(
        self,
        svc: Services,
        group: asyncio.TaskGroup,
        *,
        answer_share: float,
        stop_share: float,
        delay: float,
        capacity: int = 200,
        seed: int | None = None,
    ) -> None:
        self._svc = svc
        self._group = group
        self._answer_share = answer_share
        self._stop_share = stop_share
        self._delay = delay
        self._capacity = capacity
        self._random = random.Random(seed)
        self._waiting: set[asyncio.Task[None]] = set()

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    def consider(self, sent: Claimed) -> bool:
        """Maybe schedule the contact's answer to ``sent`` (just sent); return whether one is coming."""
        if len(self._waiting) >= self._capacity:
            return False
        if self._random.random() >= self._answer_share:
            return False
        body = "STOP" if self._random.random() < self._stop_share else self._random.choice(ANSWERS)
        sms = InboundSms(
            organization_id=sent.organization_id,
            from_=sent.to,
            to=sent.from_ or "",
            body=body,
            message_sid="SMpractice" + secrets.token_hex(12),
        )
        wait = self._delay * self._random.uniform(0.5, 1.5)
        task = self._group.create_task(self._answer(sms, wait), name="practice-answer")
        self._waiting.add(task)
        task.add_done_callback(self._waiting.discard)
        return True

    async def _answer(self, sms: InboundSms, wait: float) -> None:
        """Wait, then store the answer. Cancelled (dropped) on shutdown; errors are logged, never raised."""
        await asyncio.sleep(wait)
        try:
            await receive(self._svc, sms)
        except Exception:  # the database may be away: a practice answer is not worth a crash
            logger.exception("a practice contact could not answer")

    def cancel(self) -> None:
        for task in list(self._waiting):
            task.cancel()


@asynccontextmanager
async def running(svc: Services) -> AsyncIterator[Practice]:
    """Practice answers for the lifetime of the server process (``svc.practice`` meanwhile)."""
    settings = svc.settings
    async with asyncio.TaskGroup() as group:
        practice = Practice(
            svc,
            group,
            answer_share=settings.practice_answer_share,
            stop_share=settings.practice_stop_share,
            delay=settings.practice_delay_seconds,
        )
        svc.practice = practice
        try:
            yield practice
        finally:
            svc.practice = None
            practice.cancel()
