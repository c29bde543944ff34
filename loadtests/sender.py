"""A simulated sender: one Messenger tab, working their conversations at a human pace.

They connect, subscribe to their own channel, load their list, then alternate
as a volunteer does: answer a contact who replied (after reading it) or else
send the next initial message, one click every few seconds. Conversations
reassigned to them are loaded when the notice arrives; those taken away drop
out of their list.
"""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any

from .api import ApiFailure
from .contacts import Contacts
from .provision import Person, iter_pages
from .simulated import Shared, Simulated
from .views import SenderView

__all__ = ["SimSender"]

_REPLIES = ("Thanks so much!", "Great, I'll put you down.", "No problem, have a good evening.")


def _status_of(detail: dict[str, Any]) -> str | None:
    """A conversation's status from ``GET /api/conversations/{id}``."""
    status = detail.get("status")
    if isinstance(status, str):
        return status
    inner = detail.get("conversation")
    if isinstance(inner, dict) and isinstance(inner.get("status"), str):
        return str(inner["status"])
    return None


class SimSender(Simulated):
    def __init__(
        self, index: int, person: Person, shared: Shared, contacts: Contacts, rng: random.Random
    ) -> None:
        self.channel = f"sender:{shared.world.campaign_id}:{person.user_id}"
        super().__init__("sender", index, person, shared, self.channel, rng)
        self._contacts = contacts
        self.view = SenderView(person.user_id)
        # needs-reply conversation -> when the sender will have read it and answers
        self._due: dict[int, float] = {}
        # conversations a send was refused for (moved away, opted out): not tried again
        self._skip: set[int] = set()
        self._fetches: set[asyncio.Task[None]] = set()
        self.working = True

    def _on_event(self, channel: str, seq: int, kind: str, data: dict[str, Any], received: float) -> None:
        for cid in self.view.apply(kind, data):
            task = asyncio.create_task(self._fetch(cid))
            self._fetches.add(task)
            task.add_done_callback(self._fetches.discard)
        if kind == "conversation":
            cid, status = int(data["id"]), str(data.get("status"))
            self._actions.observe(cid, status, received, "sender")
            if status == "needs_reply":
                self._due.setdefault(cid, time.monotonic() + self._rng.uniform(0.0, self._cfg.answer_delay))
            else:
                self._due.pop(cid, None)

    async def _fetch(self, cid: int) -> None:
        """Open a conversation that was just reassigned to this sender."""
        try:
            detail = await self._api.call(
                "GET",
                f"{self._world.url(self._rng)}/api/conversations/{cid}",
                "/api/conversations/{id}",
                token=self.person.token,
            )
        except ApiFailure:
            return  # moved on again meanwhile (403): the next event says where
        status = _status_of(detail)
        if status is not None:
            self.view.learn(cid, status)
        if cid not in self._world.contacts and isinstance(detail.get("contact"), dict):
            contact = detail["contact"]
            self._world.contacts[cid] = (str(contact.get("phone")), str(contact.get("first_name", "")))

    async def load(self) -> None:
        """The Messenger's first screen: every not-started conversation of this sender."""
        rows = await iter_pages(
            self._api,
            self._world.url(self._rng),
            self._world.owner.token,
            self._world.campaign_id,
            {"sender": self.person.user_id, "tab": "initial"},
        )
        self.view.load(rows)

    def _next(self) -> tuple[int, bool] | None:
        """The conversation to act on next and whether it is a reply."""
        now = time.monotonic()
        for cid, due in self._due.items():
            if due <= now and self.view.conversations.get(cid) == "needs_reply":
                return cid, True
        # The Messenger's Initial Messages tab, in upload order.
        waiting = self.view.with_status("not_started") - self._skip
        return (min(waiting), False) if waiting else None

    async def work(self, stop: asyncio.Event) -> None:
        """Act until ``stop`` is set. Cancel-safe (an interrupted send is just not counted)."""
        while not stop.is_set():
            pause = min(self._rng.expovariate(1.0 / self._cfg.pace), 5 * self._cfg.pace)
            try:
                await asyncio.wait_for(stop.wait(), pause)
                return
            except TimeoutError:
                pass
            choice = self._next()
            if choice is None:
                continue
            cid, reply = choice
            self._due.pop(cid, None)
            await self._send(cid, reply)

    async def _send(self, cid: int, reply: bool) -> None:
        body: dict[str, Any] = {"body": self._rng.choice(_REPLIES)} if reply else {}
        self._actions.acted(cid, "replied" if reply else "sent")
        try:
            await self._api.call(
                "POST",
                f"{self._world.url(self._rng)}/api/conversations/{cid}/messages",
                "/api/conversations/{id}/messages",
                token=self.person.token,
                json=body,
            )
        except ApiFailure:
            # Opted out or moved away in the meantime: people see the notice and move on.
            self._skip.add(cid)
            return
        self._figures.action("reply" if reply else "initial")
        self._contacts.texted(cid)

    def tasks(self) -> list[asyncio.Task[None]]:
        """Conversation loads under way (to cancel when the run is interrupted)."""
        return list(self._fetches)

    async def settle(self) -> None:
        """Wait for conversation loads still under way."""
        while self._fetches:
            await asyncio.gather(*list(self._fetches), return_exceptions=True)
