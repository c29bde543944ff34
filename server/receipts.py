"""Taking a delivery receipt: stored raw in one transaction, applied in the next.

The one path for every status callback: the signed webhook
(``server/api/sms_status.py``) and the simulator's receipts
(:class:`SimulatedReceipts`) both end in :func:`take_receipt`.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import logging
import random
import time
from dataclasses import dataclass, field

from persistence.commands.receipts import apply_receipts, store_receipt

from .services import Services

__all__ = ["SimulatedReceipts", "take_receipt"]

logger = logging.getLogger("shiftline.sending")

# Real error codes for the simulator's undelivered and failed texts.
_SIMULATED_ERRORS = (
    ("undelivered", "30003"),
    ("failed", "30005"),
    ("failed", "30006"),
    ("undelivered", "30007"),
)


async def take_receipt(
    svc: Services,
    organization_id: int,
    provider_message_id: str,
    status: str,
    error_code: str | None,
    raw: dict[str, str],
) -> None:
    """Keep the callback, then apply it (or leave it for the send's answer to apply)."""
    async with svc.db.transaction() as session:
        await store_receipt(session, organization_id, provider_message_id, status, error_code, raw)
    async with svc.db.transaction() as session:
        await apply_receipts(session, organization_id, provider_message_id)


@dataclass(order=True)
class _Due:
    at: float
    organization_id: int = field(compare=False)
    sid: str = field(compare=False)
    status: str = field(compare=False)
    error_code: str | None = field(compare=False)


class SimulatedReceipts:
    """The simulator's status callbacks: ``delivered`` after ``delay`` seconds, or (a
    ``failure_share`` of them) undelivered or failed with a real carrier error code.

    Bounded: past ``capacity`` waiting receipts, new ones are dropped (the
    texts stay ``sent``) and a warning is logged. :meth:`run` is owned by the
    send queue's task group and cancelled with it.
    """

    def __init__(self, svc: Services, *, delay: float, failure_share: float, capacity: int = 100_000) -> None:
        self._svc = svc
        self._delay = delay
        self._failure_share = failure_share
        self._capacity = capacity
        self._heap: list[_Due] = []
        self._changed = asyncio.Event()
        self._random = random.Random()

    def sent(self, organization_id: int, sid: str) -> None:
        """A simulated text went out: schedule its receipt."""
        if len(self._heap) >= self._capacity:
            logger.warning("simulated receipts are %d behind; dropping one", len(self._heap))
            return
        status, code = "delivered", None
        if self._random.random() < self._failure_share:
            status, code = self._random.choice(_SIMULATED_ERRORS)
        heapq.heappush(self._heap, _Due(time.monotonic() + self._delay, organization_id, sid, status, code))
        self._changed.set()

    async def run(self) -> None:
        """Deliver the receipts as they fall due, forever (cancel to stop)."""
        while True:
            if not self._heap:
                self._changed.clear()
                await self._changed.wait()
                continue
            wait = self._heap[0].at - time.monotonic()
            if wait > 0:
                self._changed.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), wait)
                continue
            due = heapq.heappop(self._heap)
            raw = {"MessageSid": due.sid, "MessageStatus": due.status, "ErrorCode": due.error_code or ""}
            try:
                await take_receipt(self._svc, due.organization_id, due.sid, due.status, due.error_code, raw)
            except Exception:  # the database may be away; this receipt is lost, the text stays sent
                logger.exception("applying a simulated receipt failed")
