"""Outbound SMS providers: one small interface, and the local simulator.

A provider is anything with ``async send(to, from_, body) -> provider_message_id``.
The default is :class:`Simulator`, which sends nothing and remembers what it
was asked to send (bounded), so a self-hosted server works end to end and
tests can read what went out. The process's provider is
``Services.provider``; ``server.delivery`` hands it the texts.
"""

from __future__ import annotations

import logging
import secrets
from collections import deque
from dataclasses import dataclass
from typing import Protocol

from persistence.rules.errors import ShiftlineError

__all__ = ["Provider", "ProviderError", "SentSms", "Simulator"]

logger = logging.getLogger("shiftline.sending")


class ProviderError(ShiftlineError):
    """The provider refused or could not take the message."""

    code = "provider_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


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
