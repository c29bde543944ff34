"""Simulated contacts: they answer a share of the texts they get, after a while, some with STOP.

Answers go through the signed inbound webhook exactly as the SMS provider
would post them, to any live instance.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import secrets

from .actions import ActionLog
from .api import Api, ApiFailure
from .config import Config
from .figures import Figures
from .provision import World

__all__ = ["Contacts"]

_ANSWERS = ("Yes, count me in!", "Who is this?", "Maybe, tell me more.", "Not this time.", "Sure")


class Contacts:
    """Every contact of the campaign. Call :meth:`texted` when a text to one went out."""

    def __init__(
        self, api: Api, world: World, cfg: Config, figures: Figures, actions: ActionLog, rng: random.Random
    ) -> None:
        self._api = api
        self._world = world
        self._cfg = cfg
        self._figures = figures
        self._actions = actions
        self._rng = rng
        self._answers: dict[int, int] = {}
        self._stopped: set[int] = set()
        self._sleeping: set[asyncio.Task[None]] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False

    def texted(self, conversation_id: int) -> None:
        """A text reached the contact: maybe answer it later."""
        if self._closed or conversation_id in self._stopped:
            return
        if self._answers.get(conversation_id, 0) >= self._cfg.max_replies:
            return
        if self._rng.random() >= self._cfg.reply_rate:
            return
        self._answers[conversation_id] = self._answers.get(conversation_id, 0) + 1
        stop = self._rng.random() < self._cfg.stop_rate
        if stop:
            self._stopped.add(conversation_id)
        delay = self._rng.uniform(0.2, max(0.2, self._cfg.reply_delay))
        task = asyncio.create_task(self._answer(conversation_id, delay, stop))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _answer(self, conversation_id: int, delay: float, stop: bool) -> None:
        me = asyncio.current_task()
        if me is not None:
            self._sleeping.add(me)
        try:
            await asyncio.sleep(delay)
        finally:
            if me is not None:
                self._sleeping.discard(me)
        phone, _ = self._world.contacts[conversation_id]
        body = "STOP" if stop else self._rng.choice(_ANSWERS)
        params = {
            "From": phone,
            "To": self._world.number,
            "Body": body,
            "MessageSid": "SM" + secrets.token_hex(16),
            "NumMedia": "0",
        }
        self._actions.acted(conversation_id, "opted_out" if stop else "needs_reply")
        for _attempt in range(3):
            try:
                await self._api.inbound(self._world.url(self._rng), params, self._world.webhook_token)
            except ApiFailure as exc:
                if exc.status is not None:
                    return
                continue  # transport error: the provider retries, here on another instance
            self._figures.action("stop" if stop else "inbound")
            return

    def tasks(self) -> list[asyncio.Task[None]]:
        """Answers under way (to cancel when the run is interrupted)."""
        return list(self._tasks)

    async def close(self) -> None:
        """Stop answering: drop answers not yet due, wait for those being posted."""
        self._closed = True
        for task in list(self._sleeping):
            task.cancel()
        tasks = list(self._tasks)
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
