"""Outbound SMS providers: one small interface, the local simulator and Twilio.

A provider is anything with ``async send(sms) -> provider_message_id``. The
default is :class:`Simulator`, which sends nothing and remembers what it was
asked to send (bounded), so a self-hosted server works end to end and tests
can read what went out; an organization may connect Twilio instead
(``server/twilio.py``). The send queue (``server/dispatcher.py``) hands them
the texts, at the organization's pace.
"""

from __future__ import annotations

import secrets
from collections import deque
from dataclasses import dataclass, field
from typing import Protocol

from persistence.rules.delivery import THROTTLING_CODES, describe_error
from persistence.rules.errors import ShiftlineError

__all__ = ["OutgoingSms", "Provider", "ProviderError", "SentSms", "Simulator", "refused"]


class ProviderError(ShiftlineError):
    """The provider refused or could not take the message.

    ``error_code`` is the provider's code (Twilio's ``code``, or the HTTP
    status when it gave none); ``maybe_sent`` is true when the request may
    have reached the provider (a timeout while waiting for its answer).
    """

    code = "provider_error"

    def __init__(
        self, message: str, *, error_code: str = "provider_refused", maybe_sent: bool = False
    ) -> None:
        super().__init__(message)
        self.message = message
        self.error_code = error_code
        self.maybe_sent = maybe_sent

    @property
    def throttled(self) -> bool:
        """Too fast: try again later (HTTP 429, 20429, 30001)."""
        return self.error_code in THROTTLING_CODES

    @property
    def retryable(self) -> bool:
        """Throttled, or the provider was not reached at all: the text stays queued."""
        return self.throttled or self.error_code == "provider_unavailable"

    def __str__(self) -> str:
        return f"{self.message} ({self.error_code})"


@dataclass(frozen=True, slots=True)
class OutgoingSms:
    """One text as the provider gets it."""

    to: str
    from_: str | None
    body: str
    media_urls: tuple[str, ...] = ()
    messaging_service_sid: str | None = None
    status_callback: str | None = None


class Provider(Protocol):
    async def send(self, sms: OutgoingSms) -> str:
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
    media_urls: tuple[str, ...] = field(default=())


class Simulator:
    """Records what it would have sent; keeps the last ``capacity`` messages.

    Its delivery receipts are made by the send queue (``server/receipts_sim.py``),
    through the same code path as a real provider's status callbacks.
    """

    def __init__(self, *, capacity: int = 10_000) -> None:
        self.sent: deque[SentSms] = deque(maxlen=capacity)

    async def send(self, sms: OutgoingSms) -> str:
        sid = "SM" + secrets.token_hex(16)
        self.sent.append(SentSms(sms.to, sms.from_, sms.body, sid, sms.media_urls))
        return sid


def refused(error_code: str, message: str | None = None) -> ProviderError:
    """A :class:`ProviderError` with the plain-words description of its code."""
    return ProviderError(
        message or describe_error(error_code) or "The provider refused the text.", error_code=error_code
    )
