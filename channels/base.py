"""The broker interface: fan a message out to every instance listening on a channel.

A :class:`Broker` carries opaque bytes on named channels. Consumers open a
:class:`Subscription` (an async context manager and an async iterator) and add
or remove channels on it; the broker reference-counts channels over all its
subscriptions, so the backend listens to a channel once per process however
many local consumers want it.

Delivery is at-most-once: a broker that loses its connection, or a consumer
that falls too far behind, yields :data:`GAP` so the consumer can catch up
from its own source of truth (shiftline's event log). Exceptions::

    BrokerError
     └── BrokerUnavailable   (the backend cannot be reached right now)
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections import Counter, deque
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from types import TracebackType
from typing import NamedTuple

__all__ = ["GAP", "Broker", "BrokerError", "BrokerUnavailable", "Message", "Subscription"]


class BrokerError(Exception):
    """Root of the broker's errors."""


class BrokerUnavailable(BrokerError):
    """The backend could not be reached; the operation did not happen."""


class Message(NamedTuple):
    channel: str
    payload: bytes


# Yielded when messages may have been lost (reconnect, overflow): catch up.
GAP = Message("", b"")


class Subscription:
    """One consumer's channels and its bounded inbox.

    Iterating yields :class:`Message` s in arrival order. When the inbox holds
    ``maxsize`` messages the broker drops them all and queues :data:`GAP`
    instead: a consumer that far behind must catch up from its log anyway.
    """

    def __init__(self, broker: Broker, *, maxsize: int = 10_000) -> None:
        self._broker = broker
        self._maxsize = maxsize
        self._inbox: deque[Message] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self._counts: Counter[str] = Counter()
        self.closed = False

    @property
    def channels(self) -> set[str]:
        return set(self._counts)

    async def add(self, *channels: str) -> None:
        """Listen to each of ``channels`` (again: adds are counted). Returns once the backend listens.

        The channels new to the process are listened to together, in one
        backend round trip however many there are.
        """
        if self.closed:
            raise BrokerError("This subscription is closed: open a new one with broker.subscribe().")
        new = []
        for channel in channels:
            self._counts[channel] += 1
            if self._counts[channel] == 1:
                new.append(channel)
        if new:
            try:
                await self._broker._add_routes(new, self)
            except BaseException:
                for channel in new:
                    del self._counts[channel]
                raise

    async def remove(self, channel: str) -> None:
        """Undo one :meth:`add`; the channel is dropped when its count reaches zero."""
        if self._counts[channel] <= 0:
            self._counts.pop(channel, None)
            return
        self._counts[channel] -= 1
        if self._counts[channel] == 0:
            del self._counts[channel]
            await self._broker._remove_route(channel, self)

    def _deliver(self, message: Message) -> None:
        if len(self._inbox) >= self._maxsize:
            self._inbox.clear()
            message = GAP
        self._inbox.append(message)
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> Message:
        """The next message. Cancel-safe: nothing is lost if the wait is cancelled."""
        while not self._inbox:
            if self.closed:
                raise StopAsyncIteration
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self._inbox.popleft()

    async def _close(self) -> None:
        self.closed = True
        channels = list(self._counts)
        self._counts.clear()
        for channel in channels:
            await self._broker._remove_route(channel, self)
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)


class Broker(ABC):
    """Publish bytes on channels; deliver them to every subscribed instance.

    Use as ``async with broker:`` for its lifetime. ``healthy`` is False while
    the backend is unreachable; ``reconnects`` counts recoveries.
    """

    def __init__(self) -> None:
        self._routes: dict[str, set[Subscription]] = {}
        self._lock = asyncio.Lock()
        self._subscriptions: set[Subscription] = set()
        self.reconnects = 0

    @property
    @abstractmethod
    def healthy(self) -> bool: ...

    async def __aenter__(self) -> Broker:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    async def start(self) -> None:  # noqa: B027 - backends without a connection need nothing
        """Connect. Idempotent."""

    async def stop(self) -> None:
        """Close every subscription and disconnect. Idempotent."""
        for sub in list(self._subscriptions):
            await sub._close()

    @abstractmethod
    async def publish(self, channel: str, payload: bytes) -> None:
        """Send ``payload`` to the channel's subscribers on every instance.

        Raises:
            BrokerUnavailable: the backend could not take it.
        """

    async def publish_many(self, messages: Iterable[Message]) -> None:
        """Publish several messages, in order (backends may pipeline them)."""
        for channel, payload in messages:
            await self.publish(channel, payload)

    @asynccontextmanager
    async def subscribe(self, *channels: str, maxsize: int = 10_000) -> AsyncIterator[Subscription]:
        """A subscription to ``channels`` (more may be added), closed on exit."""
        sub = Subscription(self, maxsize=maxsize)
        self._subscriptions.add(sub)
        try:
            await sub.add(*channels)
            yield sub
        finally:
            self._subscriptions.discard(sub)
            await sub._close()

    def _dispatch(self, channel: str, payload: bytes) -> None:
        routes = self._routes.get(channel)
        if routes:
            message = Message(channel, payload)
            for sub in routes:
                sub._deliver(message)

    def _gap(self) -> None:
        """Tell every subscription that messages may have been lost."""
        for sub in self._subscriptions:
            sub._deliver(GAP)

    async def _add_routes(self, channels: list[str], sub: Subscription) -> None:
        async with self._lock:
            first = []
            for channel in channels:
                routes = self._routes.setdefault(channel, set())
                if not routes:
                    first.append(channel)
                routes.add(sub)
            if first:
                try:
                    await self._listen(first)
                except BaseException:
                    for channel in channels:
                        routes = self._routes[channel]
                        routes.discard(sub)
                        if not routes:
                            del self._routes[channel]
                    raise

    async def _remove_route(self, channel: str, sub: Subscription) -> None:
        async with self._lock:
            routes = self._routes.get(channel)
            if routes is None:
                return
            routes.discard(sub)
            if not routes:
                del self._routes[channel]
                await self._unlisten(channel)

    @abstractmethod
    async def _listen(self, channels: list[str]) -> None:
        """Start receiving ``channels`` from the backend (their first local subscriber), together."""

    @abstractmethod
    async def _unlisten(self, channel: str) -> None:
        """Stop receiving ``channel`` (last local subscriber gone)."""
