"""Handing committed texts to the process's provider, and retrying the ones left queued."""

from __future__ import annotations

import logging
from datetime import timedelta

from persistence.commands.messaging import Outbound, record_delivery, undelivered
from persistence.store.models import Message
from persistence.store.types import utcnow

from .services import Services

__all__ = ["deliver", "redeliver"]

logger = logging.getLogger("shiftline.sending")


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
        provider_id: str | None = await svc.provider.send(out.to, out.from_, out.message.body)
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
