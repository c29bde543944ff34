"""Handing one claimed text to its organization's provider and recording the outcome.

The send queue (``server/dispatcher.py``) claims a text at its paced moment and
calls :func:`deliver`. :func:`may_send` is asked first, right before the
provider call: the one place for a per-message "may this still be sent now?"
rule (it answers an error code to fail the text with, or None).
"""

from __future__ import annotations

import logging

import httpx

from persistence.commands.send_queue import Claimed, record_failed, record_retry, record_sent
from persistence.store.types import utcnow

from .credentials import CredentialError, Vault
from .providers import OutgoingSms, Provider, ProviderError
from .services import Services
from .twilio import TwilioProvider

__all__ = ["deliver", "may_send", "outgoing", "provider_for"]

logger = logging.getLogger("shiftline.sending")


async def may_send(svc: Services, claimed: Claimed) -> str | None:
    """Whether ``claimed`` may still go out now: None, or the error code it fails with.

    Called by :func:`deliver` just before the provider call, after the pace
    let the text through; rules that depend on the moment of sending
    (the contact's texting hours...) belong here.
    """
    return None


def provider_for(svc: Services, claimed: Claimed, client: httpx.AsyncClient, vault: Vault) -> Provider:
    """The organization's provider: Twilio with its decrypted token, else the process's simulator."""
    if claimed.provider_kind != "twilio":
        return svc.provider
    if not claimed.account_sid or not claimed.auth_token_encrypted:
        raise ProviderError(
            "The Twilio account is not fully configured.", error_code="provider_not_configured"
        )
    try:
        token = vault.decrypt(claimed.auth_token_encrypted)
    except CredentialError as exc:
        raise ProviderError(str(exc), error_code="provider_not_configured") from None
    return TwilioProvider(
        client, api_url=svc.settings.twilio_api_url, account_sid=claimed.account_sid, auth_token=token
    )


def outgoing(svc: Services, claimed: Claimed) -> OutgoingSms:
    public = svc.settings.public_url
    return OutgoingSms(
        to=claimed.to,
        from_=claimed.from_,
        body=claimed.body,
        media_urls=claimed.media_urls,
        messaging_service_sid=claimed.messaging_service_sid if claimed.provider_kind == "twilio" else None,
        status_callback=f"{public}/api/sms/status" if public else None,
    )


async def deliver(
    svc: Services, claimed: Claimed, client: httpx.AsyncClient, vault: Vault
) -> tuple[str, str | None]:
    """Send one claimed text and record what came of it: ``(outcome, provider id)``.

    ``outcome`` is ``sent``, ``retry`` (throttled or unreached: still queued,
    tried again after a backoff) or ``failed``. Cancelled during the provider
    call, the text keeps its lease and is tried again when it runs out (it may
    then go out twice: see docs/texting.md).
    """
    refusal = await may_send(svc, claimed)
    if refusal is not None:
        async with svc.db.transaction() as session:
            await record_failed(session, claimed.message_id, refusal)
        return "failed", None
    try:
        provider = provider_for(svc, claimed, client, vault)
        sid = await provider.send(outgoing(svc, claimed))
    except ProviderError as exc:
        logger.warning("the provider did not take message %s: %s", claimed.message_id, exc)
        async with svc.db.transaction() as session:
            if exc.retryable:
                message = await record_retry(
                    session,
                    claimed.message_id,
                    exc.error_code,
                    now=utcnow(),
                    backoff_base=svc.settings.send_backoff_seconds,
                )
                outcome = "retry" if message is not None and message.delivery_status == "queued" else "failed"
                return outcome, None
            await record_failed(session, claimed.message_id, exc.error_code, exc.message)
        return "failed", None
    # The duplicate window: the provider has the text; until this commit, a
    # crash leaves it queued and another instance sends it again.
    async with svc.db.transaction() as session:
        await record_sent(session, claimed.message_id, sid)
    return "sent", sid
