"""The send queue's runner: one task per server process, owned by the app's lifespan.

Each instance runs the same loop; the database and the pace make them one
queue. For every organization with due texts a worker claims the oldest due
text (``persistence/commands/send_queue.py``), takes the organization's next
paced slot (``server/pacing.py``), waits for it and hands the text to a send
task, which calls the provider at once and records the outcome. A worker
holds one claimed text at a time while it waits, so a claim waits a few
slots at most, far inside its lease. At most ``max_in_flight`` texts are
between claim and outcome per instance.

An idle instance looks at the queue every ``send_poll_seconds``; a send on
this instance wakes it at once (:meth:`SendQueue.wake`). Once a second it also
applies receipts that raced their send's commit and publishes the queue
depths. On shutdown the workers stop claiming, sends in flight get
``drain_seconds`` to finish, and whatever is still running is cancelled.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import httpx
import redis.asyncio as aioredis
from sqlalchemy import select

from persistence.commands.queue_events import publish_depths
from persistence.commands.receipts import apply_pending
from persistence.commands.send_queue import Claimed, claim_next, due_organizations
from persistence.store.models import Organization
from persistence.store.types import utcnow

from .credentials import Vault
from .delivery import deliver, simulated
from .pacing import DatabasePacer, Pacer, RedisPacer
from .providers import Simulator
from .receipts import SimulatedReceipts
from .services import Services

__all__ = ["PROVIDER_TIMEOUT", "SendQueue", "running"]

logger = logging.getLogger("shiftline.sending")

# Seconds a provider call may take; the lease of a claimed text outlives it.
PROVIDER_TIMEOUT = 10.0


class SendQueue:
    """This instance's share of the organization-wide send queues."""

    def __init__(
        self,
        svc: Services,
        pacer: Pacer,
        client: httpx.AsyncClient,
        *,
        max_in_flight: int = 32,
        drain_seconds: float = 5.0,
    ) -> None:
        self._svc = svc
        self._pacer = pacer
        self._client = client
        self._vault = Vault(svc.secret)
        self._slots = asyncio.Semaphore(max_in_flight)
        self.drain_seconds = drain_seconds
        self._wake = asyncio.Event()
        self._stopping = False
        self._workers: dict[int, asyncio.Task[None]] = {}
        self._sends: set[asyncio.Task[None]] = set()
        settings = svc.settings
        self._lease = timedelta(seconds=max(settings.send_lease_seconds, PROVIDER_TIMEOUT + 1))
        self.receipts = SimulatedReceipts(
            svc, delay=settings.simulator_receipt_seconds, failure_share=settings.simulator_failure_share
        )

    def wake(self) -> None:
        """A text was queued here: look at the queue now rather than at the next poll."""
        self._wake.set()

    async def run(self) -> None:
        """Dispatch until cancelled; on cancellation, stop claiming and drain (see module doc)."""
        # Sends live in a group of their own so that a shutdown can let them finish.
        async with asyncio.TaskGroup() as sends:
            try:
                async with asyncio.TaskGroup() as group:
                    group.create_task(self.receipts.run(), name="simulated-receipts")
                    group.create_task(self._upkeep_forever(), name="send-queue-upkeep")
                    await self._dispatch_forever(group, sends)
            finally:
                await self._drain()

    async def _dispatch_forever(self, group: asyncio.TaskGroup, sends: asyncio.TaskGroup) -> None:
        poll = self._svc.settings.send_poll_seconds
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), poll)
            self._wake.clear()
            try:
                async with self._svc.db.session() as session:
                    organizations = await due_organizations(session, utcnow())
            except Exception:  # the database may be away for a while; look again next round
                logger.exception("reading the send queue failed")
                continue
            for organization_id in organizations:
                if organization_id not in self._workers:
                    self._workers[organization_id] = group.create_task(
                        self._work(organization_id, sends), name=f"send-queue-{organization_id}"
                    )

    async def _rate(self, organization_id: int) -> int:
        async with self._svc.db.session() as session:
            rate = await session.scalar(
                select(Organization.send_rate_per_second).where(Organization.id == organization_id)
            )
        return max(1, int(rate or 1))

    async def _work(self, organization_id: int, sends: asyncio.TaskGroup) -> None:
        """Send the organization's due texts at its pace until none is left."""
        try:
            rate, rate_read = await self._rate(organization_id), time.monotonic()
            while not self._stopping:
                if time.monotonic() - rate_read > 1.0:
                    rate, rate_read = await self._rate(organization_id), time.monotonic()
                await self._slots.acquire()
                handed = False
                try:
                    # Claim first, then wait for the slot: the database's delays come
                    # before the paced moment, not between it and the provider call.
                    async with self._svc.db.transaction() as session:
                        claimed = await claim_next(session, organization_id, now=utcnow(), lease=self._lease)
                    if claimed is None:
                        return
                    wait = await self._pacer.reserve(organization_id, rate)
                    if wait > 0:
                        await asyncio.sleep(wait)
                    task = sends.create_task(self._send(claimed), name=f"send-{claimed.message_id}")
                    self._sends.add(task)
                    task.add_done_callback(self._sends.discard)
                    handed = True
                finally:
                    if not handed:
                        self._slots.release()
        except Exception:
            logger.exception(
                "the send queue of organization %s stopped; it restarts at the next poll", organization_id
            )
        finally:
            self._workers.pop(organization_id, None)

    async def _send(self, claimed: Claimed) -> None:
        try:
            outcome, sid = await deliver(self._svc, claimed, self._client, self._vault)
            if outcome == "sent" and sid is not None and simulated(claimed):
                if isinstance(self._svc.provider, Simulator):
                    self.receipts.sent(claimed.organization_id, sid)
                practice = self._svc.practice
                if claimed.practice and not claimed.automatic and practice is not None:
                    practice.consider(claimed)
            if outcome == "retry":
                self.wake()
        except Exception:  # the text keeps its lease and is tried again when it runs out
            logger.exception("sending message %s failed", claimed.message_id)
        finally:
            self._slots.release()

    async def _upkeep_forever(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            try:
                async with self._svc.db.transaction() as session:
                    await apply_pending(session)
                async with self._svc.db.transaction() as session:
                    await publish_depths(session, now=time.time())
            except Exception:  # the database may be away; next second
                logger.exception("send queue upkeep failed")

    async def _drain(self) -> None:
        self._stopping = True
        pending = [t for t in self._sends if not t.done()]
        if pending:
            logger.info("waiting for %d texts in flight", len(pending))
            await asyncio.wait(pending, timeout=self.drain_seconds)
            for task in pending:
                task.cancel()


@asynccontextmanager
async def running(svc: Services) -> AsyncIterator[SendQueue]:
    """Run this instance's send queue for the app's lifetime (cancelled when it stops)."""
    redis_client: aioredis.Redis | None = None
    pacer: Pacer
    if svc.settings.redis_url:
        redis_client = aioredis.Redis.from_url(svc.settings.redis_url)
        pacer = RedisPacer(redis_client, svc.settings.redis_prefix)
    else:
        pacer = DatabasePacer(svc.db)
    async with httpx.AsyncClient(timeout=httpx.Timeout(PROVIDER_TIMEOUT, connect=5.0)) as client:
        queue = SendQueue(svc, pacer, client)
        task = asyncio.create_task(queue.run(), name="send-queue")
        svc.wake_queue = queue.wake
        try:
            yield queue
        finally:
            svc.wake_queue = _nothing
            task.cancel()
            # asyncio.wait, not `await task`: awaiting the task would forward every
            # further cancellation of ours into its drain and its database cleanup;
            # a host that cancels again and again until we return (anyio's cancel
            # scopes do) then keeps that cleanup from ever finishing. It is bounded
            # by the drain, and a cancellation of ours still ends the wait.
            try:
                await asyncio.wait({task}, timeout=queue.drain_seconds + 5.0)
                if not task.done():
                    logger.warning("the send queue did not stop in time; leaving it to finish")
            finally:
                if redis_client is not None:
                    await redis_client.aclose()


def _nothing() -> None:
    """No send queue runs (a script, or the app is stopping): texts wait for the next one."""
