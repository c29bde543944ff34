"""Handing one claimed text to its organization's provider and recording the outcome.

The send queue (``server/dispatcher.py``) claims a text at its paced moment and
calls :func:`deliver`. :func:`may_send` is asked first, right before the
provider call: the one place for a per-message "may this still be sent now?"
rule (it answers an error code to fail the text with, or None).

Also the one way an inbound text enters (:func:`receive`), shared by the
signed webhook (``server/api/inbound.py``) and the practice contacts, so that
the opt-out message a keyword queues goes out the same way whoever sent the
keyword.
"""

from __future__ import annotations

import logging

import httpx
from sqlalchemy.exc import IntegrityError

from persistence.commands.inbound import InboundResult, InboundSms, receive_inbound, seen_before
from persistence.commands.send_queue import Claimed, record_failed, record_retry, record_sent
from persistence.rules.delivery import OPTED_OUT
from persistence.rules.texting_hours import OUTSIDE_TEXTING_HOURS, TextingHours, contact_zone, may_reach_now
from persistence.store.types import utcnow

from .credentials import CredentialError, Vault
from .media_links import media_path
from .providers import OutgoingSms, Provider, ProviderError
from .services import Services
from .twilio import TwilioProvider

__all__ = ["deliver", "may_send", "media_urls", "outgoing", "provider_for", "receive", "simulated"]

logger = logging.getLogger("shiftline.sending")


async def may_send(svc: Services, claimed: Claimed) -> str | None:
    """Whether ``claimed`` may still go out now: None, or the error code it fails with.

    Called by :func:`deliver` just before the provider call, after the pace
    let the text through; rules that depend on the moment of sending
    (the contact's texting hours...) belong here.

    A contact who opted out after the text was queued does not get it, except
    the opt-out message itself (``automatic``), which confirms the opt-out. A
    text the contact's hours apply to (not an answer to a contact who wrote,
    not the opt-out message) fails once their hours are over.
    """
    if claimed.automatic:
        return None
    if claimed.opted_out:
        return OPTED_OUT
    if claimed.answering or claimed.texting_hours is None:
        return None
    hours = TextingHours.from_json(claimed.texting_hours)
    if hours is not None and not may_reach_now(hours, contact_zone(claimed.to, hours.zone), utcnow()):
        return OUTSIDE_TEXTING_HOURS
    return None


def simulated(claimed: Claimed) -> bool:
    """Whether ``claimed`` goes to the process's simulator: no Twilio, or a practice campaign."""
    return claimed.practice or claimed.provider_kind != "twilio"


def provider_for(svc: Services, claimed: Claimed, client: httpx.AsyncClient, vault: Vault) -> Provider:
    """The organization's provider: Twilio with its decrypted token, else the process's simulator.

    A practice campaign's texts always go to the simulator, so training never
    texts real people, whatever provider the organization has.
    """
    if simulated(claimed):
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


def media_urls(svc: Services, claimed: Claimed) -> tuple[str, ...]:
    """Where the provider fetches the text's uploaded media: fresh signed links (server/media_links.py).

    Raises:
        ProviderError: media to send to Twilio but no ``SHIFTLINE_PUBLIC_URL``
            to reach this server at (``no_public_url``: the text fails, it cannot work).
    """
    public = svc.settings.public_url
    if claimed.media_ids and public is None and not simulated(claimed):
        raise ProviderError(
            "Pictures need SHIFTLINE_PUBLIC_URL: the provider fetches them from this server.",
            error_code="no_public_url",
        )
    links = tuple(f"{public or ''}{media_path(svc.secret, i)}" for i in claimed.media_ids)
    return claimed.media_urls + links


def outgoing(svc: Services, claimed: Claimed) -> OutgoingSms:
    public = svc.settings.public_url
    return OutgoingSms(
        to=claimed.to,
        from_=claimed.from_,
        body=claimed.body,
        media_urls=media_urls(svc, claimed),
        messaging_service_sid=None if simulated(claimed) else claimed.messaging_service_sid,
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


async def receive(svc: Services, sms: InboundSms) -> InboundResult:
    """Store an inbound text (one transaction); wake the send queue for the opt-out message it queued."""
    try:
        async with svc.db.transaction() as session:
            result = await receive_inbound(session, sms)
    except IntegrityError:
        # The same MessageSid committed by a concurrent delivery: a duplicate.
        async with svc.db.session() as session:
            if not await seen_before(session, sms.organization_id, sms.message_sid):
                raise
        return InboundResult("duplicate")
    if result.opt_out_message is not None:
        svc.wake_queue()
    return result
