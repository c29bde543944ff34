"""Running the live layer for the app's lifetime: its routes, tasks and shutdown.

``running(svc)`` builds the broker, presence tracker, hub and publisher,
subscribes the publisher to the outbox and sets ``svc.live``; see
docs/live.md and docs/architecture.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket

from channels import create_broker
from persistence.outbox.counts import CountsFeed
from persistence.outbox.log import unpublished_lag
from persistence.outbox.outbox import Subscriber
from persistence.store.database import Database
from persistence.store.types import utcnow
from presence import create_tracker
from presence.timing import heartbeat_interval

from ..services import Live, Services, services
from .counts import publish_forever, sweep_forever
from .endpoint import live_endpoint
from .hub import Hub
from .metrics import Metrics, render
from .presence_sync import PresenceSync
from .protocol import CLOSE_RESTART
from .relay import Publisher
from .tasks import reraise_if_cancelled

__all__ = [
    "LIVE_PATH",
    "LIVE_READ_POOL",
    "LiveFirst",
    "metrics_endpoint",
    "revoke_access",
    "routes",
    "running",
]

logger = logging.getLogger("shiftline.live")


async def metrics_endpoint(request: Request) -> Response:
    svc = services(request)
    if svc.live is None:
        return PlainTextResponse("# live hub not running\n", status_code=503)
    hub = svc.live.hub
    gauges: list[tuple[str, str, float]] = [
        ("connections", "open WebSocket connections", len(hub.connections)),
        (
            "subscriptions",
            "channel subscriptions of open connections",
            sum(len(c.subs) for c in hub.connections),
        ),
        ("channels", "channels this instance listens to", len(hub.channels)),
        ("queued_frames", "frames waiting in send queues", sum(c.pending for c in hub.connections)),
        ("broker_healthy", "1 while the broker subscription is up", 1.0 if hub.broker.healthy else 0.0),
        ("broker_reconnects", "broker reconnections since start", hub.broker.reconnects),
    ]
    try:
        async with svc.db.session() as session:
            count, age = await unpublished_lag(session)
        gauges += [
            ("event_log_unpublished", "committed events not yet published", count),
            ("event_log_lag_seconds", "age of the oldest unpublished event", age),
        ]
    except Exception as exc:  # the database is away: report what we know
        logger.warning("metrics: event-log lag unavailable: %s", exc)
    return PlainTextResponse(render(hub.metrics, gauges), media_type="text/plain; version=0.0.4")


LIVE_PATH = "/ws"


class LiveFirst:
    """Middleware: ``/ws`` goes straight to the live endpoint, past the exception layer and router.

    An idle live connection keeps its whole ASGI call chain alive for hours;
    each layer between the server and the endpoint is a suspended coroutine
    (and closures) per connection, about 3.5 KB of the memory an idle
    connection costs. The endpoint handles its own errors (close codes), so
    those layers had nothing to do for it. Anything else passes through.
    """

    __slots__ = ("app",)

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket" and scope["path"] == LIVE_PATH:
            await live_endpoint(WebSocket(scope, receive, send))
            return
        await self.app(scope, receive, send)


routes: list[BaseRoute] = [
    # Served by LiveFirst; the route names the endpoint for anything that lists routes.
    WebSocketRoute(LIVE_PATH, live_endpoint),
    Route("/metrics", metrics_endpoint, methods=["GET"]),
]


LIVE_READ_POOL = 2  # connections kept for resubscriptions' batched reads (up to 3 times as many at once)


@asynccontextmanager
async def _live_reads(svc: Services) -> AsyncIterator[Database]:
    """On PostgreSQL, a small pool of the live layer's own for its batched reads.

    When an instance dies its clients reconnect to the others all at once,
    while the requests of its users move there too: sharing one pool, the
    resubscriptions' reads waited behind those requests (up to the pool's
    30 s timeout, with 2,000 senders). SQLite serializes everything anyway.
    """
    if svc.db.dialect != "postgresql":
        yield svc.db
        return
    reads = Database(svc.settings.database_url, pool_size=LIVE_READ_POOL)
    try:
        yield reads
    finally:
        await reads.dispose()


@asynccontextmanager
async def running(svc: Services) -> AsyncIterator[None]:
    """Start the broker, presence and relay for the app's lifetime; stop them after."""
    settings = svc.settings
    metrics = Metrics()
    broker = create_broker(settings.redis_url, prefix=settings.redis_prefix)
    ttl = float(settings.presence_ttl_seconds)
    tracker = create_tracker(settings.redis_url, settings.instance_id, prefix=settings.redis_prefix, ttl=ttl)
    async with broker, tracker, contextlib.AsyncExitStack() as stack:
        presence = PresenceSync(svc.db, tracker, interval=heartbeat_interval(ttl))
        if settings.redis_url is None:
            retention = timedelta(hours=settings.event_retention_hours)
            stale = await presence.forget_stale(since=utcnow() - retention)
            if stale:
                logger.info("reported %d senders offline left online by the previous run", stale)
        svc.actor_cache.clear()  # nothing told it of revocations while no hub ran
        reads = await stack.enter_async_context(_live_reads(svc))
        hub = Hub(
            svc.db,
            broker,
            presence,
            metrics,
            max_subscriptions=settings.live_max_subscriptions,
            actors=svc.actor_cache,
            reads=reads,
        )
        publisher = Publisher(
            svc.db, broker, hub, metrics, retention=timedelta(hours=settings.event_retention_hours)
        )
        counts = CountsFeed(svc.db)
        async with asyncio.TaskGroup() as group:
            tasks = [
                group.create_task(publish_forever(counts), name="live-counts"),
                group.create_task(sweep_forever(counts), name="live-counts-sweep"),
                group.create_task(hub.listen(), name="live-hub-listen"),
                group.create_task(hub.catch_up_loop(), name="live-hub-catch-up"),
                group.create_task(presence.run(), name="live-presence"),
                group.create_task(publisher.run(), name="live-relay"),
                group.create_task(_sweep_channels(hub), name="live-channel-sweep"),
            ]
            await asyncio.sleep(0)  # let the hub subscribe before anyone connects
            subscriber = Subscriber(events=publisher.on_commit, counts=counts.add)
            try:
                with svc.outbox.subscribed(subscriber):
                    svc.live = Live(hub=hub, tracker=tracker, broker=broker)
                    # Everything imported and built so far lives as long as the process:
                    # keep it out of the cyclic collector's full passes, which otherwise
                    # stall every connection for tens of milliseconds at a time.
                    gc.freeze()
                    logger.info("live hub started (instance %s)", settings.instance_id)
                    try:
                        yield
                    finally:
                        logger.info("live hub closing")
                        hub.close_all(CLOSE_RESTART, "server restarting: reconnect with since")
                        for _ in range(50):
                            if not hub.connections:
                                break
                            await asyncio.sleep(0.05)
                        await presence.settle(3.0)
                # Unsubscribed: what committed since goes out here, or through the relay.
                with contextlib.suppress(Exception):
                    await counts.flush()
                with contextlib.suppress(Exception):
                    await publisher.flush()
            finally:
                svc.live = None
                for task in tasks:
                    task.cancel()
                await hub.close()
        logger.info("live hub closed")


async def _sweep_channels(hub: Hub) -> None:
    while True:
        reraise_if_cancelled()
        await asyncio.sleep(10.0)
        try:
            await hub.sweep_idle()
        except Exception as exc:
            reraise_if_cancelled()
            logger.warning("idle channel sweep failed: %s", exc)


async def revoke_access(svc: Services, *, user_id: int, campaign_id: int | None = None) -> None:
    """End, on every instance, the live subscriptions a user may no longer hold.

    Called after a sender is removed from a campaign (``campaign_id``) or a
    user is deactivated (``campaign_id`` None).
    """
    if svc.live is not None:
        await svc.live.hub.revoke(user_id, campaign_id)
