"""Outbound SMS providers: one small interface, and the local simulator.

A provider is anything with ``async send(to, from_, body) -> provider_message_id``.
The default is :class:`Simulator`, which sends nothing and remembers what it
was asked to send (bounded), so a self-hosted server works end to end and
tests can read what went out. A real provider is set in
``services.extras["provider"]`` at start-up.
"""

from __future__ import annotations

import logging
import secrets
from collections import deque
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from persistence.commands.messaging import Outbound, record_delivery, undelivered
from persistence.store.models import Message
from persistence.store.types import utcnow

from .services import Services

__all__ = ["Provider", "ProviderError", "SentSms", "Simulator", "deliver", "provider_for", "redeliver"]

logger = logging.getLogger("shiftline.sending")


class ProviderError(Exception):
    """The provider refused or could not take the message."""


class Provider(Protocol):
    async def send(self, to: str, from_: str | None, body: str) -> str:
        """Hand one text to the provider; return its message id.

        Raises:
            ProviderError: the provider did not accept the message.
        """
        ...


@dataclass(frozen=True, slots=True)
class SentSms:
    to: str
    from_: str | None
    body: str
    provider_message_id: str


class Simulator:
    """Records what it would have sent; keeps the last ``capacity`` messages."""

    def __init__(self, *, capacity: int = 10_000) -> None:
        self.sent: deque[SentSms] = deque(maxlen=capacity)

    async def send(self, to: str, from_: str | None, body: str) -> str:
        sid = "SM" + secrets.token_hex(16)
        self.sent.append(SentSms(to, from_, body, sid))
        return sid


def provider_for(svc: Services) -> Provider:
    """The process's provider; the simulator unless one was configured."""
    provider: Provider = svc.extras.setdefault("provider", Simulator())
    return provider


async def deliver(svc: Services, out: Outbound) -> Message:
    """Hand a committed, queued message to the provider and record the outcome.

    Runs after the sending transaction, so no row is locked while the provider
    answers. If the provider fails the message is marked ``failed``; if this
    coroutine is cancelled midway the message stays ``queued`` (never lost;
    see :func:`redeliver`). Notes are returned as they are.
    """
    if out.to is None:
        return out.message
    try:
        provider_id: str | None = await provider_for(svc).send(out.to, out.from_, out.message.body)
        status = "sent"
    except Exception:
        logger.exception("the provider did not take message %s", out.message.id)
        provider_id, status = None, "failed"
    async with svc.db.transaction() as session:
        message = await record_delivery(
            session, out.message.id, status=status, provider_message_id=provider_id
        )
    return message or out.message


async def redeliver(svc: Services, *, older_than: timedelta = timedelta(minutes=5)) -> int:
    """Send again messages left ``queued`` for longer than ``older_than``; return how many.

    For a process that stopped between commit and provider. At least once: a
    text the provider took just before the stop may go out twice.
    """
    async with svc.db.transaction() as session:
        stuck = await undelivered(session, older_than=utcnow() - older_than, claim=True)
    for out in stuck:
        await deliver(svc, out)
    return len(stuck)
