"""The Redis pub/sub broker: one subscriber connection per process.

Every channel is the Redis pub/sub channel ``{prefix}:live:{channel}``. The
subscriber connection is owned by one task that reconnects with exponential
backoff; after each reconnect it re-subscribes everything and yields
:data:`~channels.base.GAP` to every subscription, since Redis pub/sub keeps
nothing for a listener that was away. redis-py's own retries are turned off
on that connection: a silent internal reconnect would hide exactly that loss.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from typing import Any

from .base import Broker, BrokerUnavailable, Message

try:
    import redis.asyncio as aioredis
    from redis.asyncio.retry import Retry
    from redis.backoff import NoBackoff
    from redis.exceptions import RedisError
except ImportError as exc:  # pragma: no cover - redis is a hard dependency today
    raise ImportError("the Redis broker requires redis: pip install 'redis>=5'") from exc

__all__ = ["RedisBroker"]

logger = logging.getLogger("shiftline.channels")


class RedisBroker(Broker):
    """Pub/sub over Redis.

    Args:
        url: ``redis://host:port/db``.
        prefix: prepended to every Redis channel, so deployments can share a Redis.
        ping_interval: seconds of silence after which the subscriber pings Redis,
            to notice a dead connection that the kernel has not reported.
        max_backoff: the longest wait between reconnect attempts.
    """

    def __init__(
        self, url: str, *, prefix: str = "shiftline", ping_interval: float = 5.0, max_backoff: float = 5.0
    ) -> None:
        super().__init__()
        self._prefix = f"{prefix}:live:"
        self._anchor = f"{prefix}:broker"
        self._ping_interval = ping_interval
        self._max_backoff = max_backoff
        no_retry = Retry(NoBackoff(), 0)
        self._client = aioredis.Redis.from_url(
            url, socket_connect_timeout=2, socket_timeout=5, retry=no_retry
        )
        self._sub_client = aioredis.Redis.from_url(
            url, socket_connect_timeout=2, socket_timeout=None, retry=Retry(NoBackoff(), 0)
        )
        self._pubsub: Any = None
        self._healthy = False
        self._confirm: dict[bytes, asyncio.Future[None]] = {}
        self._task: asyncio.Task[None] | None = None
        self._connected_once = asyncio.Event()
        self._backoff = 0.05

    @property
    def healthy(self) -> bool:
        return self._healthy

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="redis-broker-subscriber")
            # Give the first connection a moment, so a healthy Redis is healthy at start-up.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(3.0):
                    await self._connected_once.wait()

    async def stop(self) -> None:
        await super().stop()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self._client.aclose()
        await self._sub_client.aclose()

    async def publish(self, channel: str, payload: bytes) -> None:
        try:
            await self._client.publish(self._prefix + channel, payload)
        except (RedisError, OSError) as exc:
            raise BrokerUnavailable(f"publish to Redis failed: {exc}") from None

    async def publish_many(self, messages: Iterable[Message]) -> None:
        try:
            async with self._client.pipeline(transaction=False) as pipe:
                for channel, payload in messages:
                    pipe.publish(self._prefix + channel, payload)
                await pipe.execute()
        except (RedisError, OSError) as exc:
            raise BrokerUnavailable(f"publish to Redis failed: {exc}") from None

    async def _listen(self, channels: list[str]) -> None:
        pubsub = self._pubsub
        if pubsub is None or not self._healthy:
            return  # the reconnect subscribes every route, then reports a gap
        keys = [(self._prefix + channel).encode() for channel in channels]
        loop = asyncio.get_running_loop()
        waiters = [self._confirm.setdefault(key, loop.create_future()) for key in keys]
        try:
            # One SUBSCRIBE for them all: a crowd resubscribing after an instance
            # died waited on one round trip per channel before.
            await pubsub.subscribe(*keys)
            _, unconfirmed = await asyncio.wait(waiters, timeout=2.0)
            if unconfirmed:
                logger.warning("Redis did not confirm %d of %d subscriptions", len(unconfirmed), len(keys))
        except (RedisError, OSError) as exc:
            # The subscriber task notices the broken connection and reconnects.
            logger.warning("subscribing to %d channels failed: %s", len(keys), exc)
        finally:
            for key in keys:
                self._confirm.pop(key, None)

    async def _unlisten(self, channel: str) -> None:
        pubsub = self._pubsub
        if pubsub is None or not self._healthy:
            return
        with contextlib.suppress(RedisError, OSError):
            await pubsub.unsubscribe((self._prefix + channel).encode())

    async def _run(self) -> None:
        """Own the subscriber connection until cancelled; reconnect with backoff."""
        while True:
            pubsub = self._sub_client.pubsub()
            try:
                await self._serve(pubsub)
            except (RedisError, OSError) as exc:
                if self._healthy:
                    logger.warning("Redis subscriber connection lost: %s", exc)
            finally:
                self._healthy = False
                self._pubsub = None
                for waiter in self._confirm.values():
                    if not waiter.done():
                        waiter.set_result(None)
                with contextlib.suppress(Exception):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]
            await asyncio.sleep(self._backoff)
            self._backoff = min(self._backoff * 2, self._max_backoff)

    async def _serve(self, pubsub: Any) -> None:
        keys = [self._anchor.encode(), *((self._prefix + ch).encode() for ch in self._routes)]
        await pubsub.subscribe(*keys)
        self._pubsub = pubsub
        awaiting = set(keys)
        prefix_len = len(self._prefix)
        while True:
            message = await pubsub.get_message(timeout=self._ping_interval)
            if message is None:
                await pubsub.ping()
                continue
            kind = message["type"]
            if kind == "message":
                self._dispatch(message["channel"][prefix_len:].decode(), message["data"])
            elif kind == "subscribe":
                key = message["channel"]
                waiter = self._confirm.get(key)
                if waiter is not None and not waiter.done():
                    waiter.set_result(None)
                if awaiting:
                    awaiting.discard(key)
                    if not awaiting:
                        # Everything is listened to again: now tell consumers to catch up.
                        reconnected = self._connected_once.is_set()
                        self._healthy = True
                        self._backoff = 0.05
                        self._connected_once.set()
                        if reconnected:
                            self.reconnects += 1
                            logger.info("Redis subscriber reconnected")
                        self._gap()
