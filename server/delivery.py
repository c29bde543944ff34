"""Handing committed texts to the process's provider, and retrying the ones left queued.

Also the one way an inbound text enters (:func:`receive`), shared by the
webhook and the practice contacts, so that the opt-out message a keyword
queues is delivered the same way whoever sent the keyword.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy.exc import IntegrityError

from persistence.commands.inbound import InboundResult, InboundSms, receive_inbound, seen_before
from persistence.commands.messaging import Outbound, record_delivery, undelivered
from persistence.rules.texting_hours import OUTSIDE_TEXTING_HOURS, contact_zone, may_reach_now
from persistence.store.models import Message
from persistence.store.types import utcnow

from .providers import Simulator
from .services import Services

__all__ = ["deliver", "receive", "redeliver"]

logger = logging.getLogger("shiftline.sending")


async def deliver(svc: Services, out: Outbound) -> Message:
    """Hand a committed, queued message to the provider and record the outcome.

    Runs after the sending transaction, so no row is locked while the provider
    answers. If the provider fails the message is marked ``failed``; a
    campaign text whose contact's texting hours ended meanwhile is not sent
    but ``failed`` with ``outside_texting_hours``. If this coroutine is
    cancelled midway the message stays ``queued`` (never lost; see
    :func:`redeliver`). Notes are returned as they are.
    """
    if out.to is None:
        return out.message
    hours = out.texting_hours
    error: str | None = None
    provider_id: str | None = None
    if hours is not None and not may_reach_now(hours, contact_zone(out.to, hours.zone), utcnow()):
        status, error = "failed", OUTSIDE_TEXTING_HOURS
    else:
        try:
            provider_id = await svc.provider.send(out.to, out.from_, out.message.body)
            status = "sent"
        except Exception:
            logger.exception("the provider did not take message %s", out.message.id)
            status = "failed"
    async with svc.db.transaction() as session:
        message = await record_delivery(
            session, out.message.id, status=status, provider_message_id=provider_id, error_code=error
        )
    if status == "sent" and out.practice and svc.practice is not None and isinstance(svc.provider, Simulator):
        svc.practice.consider(out)
    return message or out.message


async def receive(svc: Services, sms: InboundSms) -> InboundResult:
    """Store an inbound text (one transaction), then deliver the opt-out message it queued, if any."""
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
        await deliver(svc, result.opt_out_message)
    return result


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
