"""One simulated browser tab's WebSocket: subscribe, check every seq, reconnect with ``since``.

A :class:`LiveClient` holds one connection to one of the instances. When the
connection breaks (instance killed, closed for being slow, network error) it
reconnects to the next instance and resubscribes each channel with the last
seq it received, as the contract asks clients to. Every frame passes through a
:class:`~loadtests.seqcheck.SeqChecker`; only new events reach the handler.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import msgpack
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import WebSocketException
from websockets.typing import Subprotocol

from .figures import Figures
from .seqcheck import SeqChecker

try:
    import orjson

    _loads: Callable[[str | bytes], Any] = orjson.loads
    _dumps: Callable[[Any], bytes] = orjson.dumps
except ImportError:  # pragma: no cover - orjson is in the loadtest extra
    import json

    _loads = json.loads

    def _dumps(value: Any) -> bytes:
        return json.dumps(value).encode()


__all__ = ["LATENCY", "EventHandler", "LiveClient", "close_all", "event_time"]

# The primary latency figure: from the change's commit (the time the server
# stamped on it) to this client's receipt.
LATENCY = "commit→receipt"

EventHandler = Callable[[str, int, str, dict[str, Any], float], None]


def _epoch(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value) / 1000.0 if value > 1e11 else float(value)
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value).timestamp()
        except ValueError:
            return None
    return None


_UPDATED_STATUSES = frozenset({"sent", "delivered", "undelivered", "failed"})


def event_time(frame: dict[str, Any]) -> float | None:
    """When the event was committed, as a Unix time, if the frame says so.

    The event log's own time (a frame-level ``created_at``/``ts``) is preferred;
    a ``message`` event's message ``created_at`` is the fallback. Both come
    from the same host clock as ``time.time()`` here when the servers run on
    this host, which is what makes commit-to-receipt latency meaningful.
    """
    for key in ("created_at", "ts", "committed_at"):
        if key in frame:
            t = _epoch(frame[key])
            if t is not None:
                return t
    data = frame.get("data")
    if frame.get("kind") == "message" and isinstance(data, dict):
        message = data.get("message")
        source = message if isinstance(message, dict) else data
        return _epoch(source.get("created_at"))
    return None


class LiveClient:
    """A WebSocket connection that survives instance deaths. Run :meth:`run` as a task."""

    def __init__(
        self,
        name: str,
        urls: Sequence[str],
        token: str,
        channels: Sequence[str],
        figures: Figures,
        on_event: EventHandler,
        *,
        wire: str = "json",
        first: int = 0,
        clock_safe: bool = True,
    ) -> None:
        self.name = name
        self._urls = list(urls)
        self.instance = first % len(self._urls)
        self._token = token
        self.channels = list(channels)
        self._figures = figures
        self._on_event = on_event
        self._wire = wire
        self._clock_safe = clock_safe
        self.checker = SeqChecker()
        self.ready = asyncio.Event()
        self.errors: list[str] = []
        self.last_event_at = 0.0
        # [monotonic time the connection broke, time every channel had caught up again,
        #  time every channel was subscribed again] (None: not yet)
        self.outages: list[list[float | None]] = []
        self._ws: ClientConnection | None = None
        self._stopping = False
        self._pending_subscribed: set[str] = set()
        self._seen_messages: OrderedDict[Any, None] = OrderedDict()

    def _encode(self, frame: dict[str, Any]) -> str | bytes:
        if self._wire == "msgpack":
            packed: bytes = msgpack.packb(frame)
            return packed
        return _dumps(frame).decode()

    def _decode(self, raw: str | bytes) -> dict[str, Any]:
        if self._wire == "msgpack" and isinstance(raw, bytes):
            value = msgpack.unpackb(raw, raw=False)
        else:
            value = _loads(raw)
        if not isinstance(value, dict):
            raise ValueError("frame is not a map")
        return value

    async def run(self) -> None:
        """Connect, subscribe and read until :meth:`stop`; reconnect on any break. Cancel-safe."""
        attempt = 0
        while not self._stopping:
            # The contract's query-string form; a browser cannot set headers on a WebSocket.
            url = self._urls[self.instance].replace("http", "ws", 1) + "/ws?token=" + self._token
            t0 = time.perf_counter()
            try:
                async with connect(
                    url,
                    subprotocols=[Subprotocol(self._wire)],
                    open_timeout=60,
                    max_size=2**24,
                    compression=None,
                    ping_interval=None,
                    close_timeout=2,
                ) as ws:
                    self._figures.record_http("WS connect", time.perf_counter() - t0)
                    self._ws = ws
                    self._figures.connected()
                    attempt = 0
                    try:
                        await self._session(ws)
                    finally:
                        self._ws = None
                        self._figures.disconnected()
            except (OSError, WebSocketException, TimeoutError) as exc:
                if self._stopping:
                    return
                self._figures.error(f"ws {type(exc).__name__}")
            if self._stopping:
                return
            if not self.outages or self.outages[-1][1] is not None:
                self.outages.append([time.monotonic(), None, None])
            self._figures.reconnects += 1
            attempt += 1
            # Another instance next, after a short jittered backoff.
            self.instance = (self.instance + 1) % len(self._urls)
            await asyncio.sleep(min(2.0, 0.05 * 2**attempt) * random.uniform(0.5, 1.0))

    async def _session(self, ws: ClientConnection) -> None:
        self._pending_subscribed = set(self.channels)
        for channel in self.channels:
            await ws.send(
                self._encode({"type": "subscribe", "channel": channel, "since": self.checker.last(channel)})
            )
        async for raw in ws:
            received = time.time()
            try:
                frame = self._decode(raw)
            except ValueError as exc:
                self._figures.error("ws undecodable frame")
                self.errors.append(f"undecodable frame: {exc}")
                continue
            self._handle(frame, received)

    def _first_sight(self, kind: str, data: Any) -> bool:
        """False for a repeat of a message this client saw (its delivery-status update)."""
        if kind != "message" or not isinstance(data, dict):
            return True
        message = data.get("message")
        if not isinstance(message, dict):
            return True
        # A later delivery status is an update of a message seen (or missed) before,
        # not its commit: timing it would measure the send queue and the provider.
        if message.get("delivery_status") in _UPDATED_STATUSES:
            return False
        mid = message.get("id")
        if mid is None:
            return True
        if mid in self._seen_messages:
            return False
        self._seen_messages[mid] = None
        if len(self._seen_messages) > 512:
            self._seen_messages.popitem(last=False)
        return True

    def _handle(self, frame: dict[str, Any], received: float) -> None:
        kind = frame.get("type")
        channel = str(frame.get("channel", ""))
        if kind == "event":
            seq = int(frame["seq"])
            if not self.checker.accept(channel, seq, frame.get("supersedes") or ()):
                return
            event_kind = str(frame.get("kind"))
            self._figures.events[event_kind] += 1
            self.last_event_at = time.monotonic()
            data = frame.get("data")
            if self._clock_safe and self._first_sight(event_kind, data):
                committed = event_time(frame)
                if committed is not None:
                    self._figures.record_latency(LATENCY, max(0.0, received - committed), timeline=True)
            self._on_event(channel, seq, event_kind, data if isinstance(data, dict) else {}, received)
        elif kind == "subscribed":
            self.checker.subscribed(channel, int(frame.get("seq") or 0))
            self._pending_subscribed.discard(channel)
            if not self._pending_subscribed:
                self.ready.set()
                if self.outages and self.outages[-1][2] is None:
                    self.outages[-1][2] = time.monotonic()
        elif kind == "resync":
            self._figures.error("ws resync")
            resync_seq = frame.get("seq")
            self.checker.resync(channel, int(resync_seq) if resync_seq is not None else None)
        elif kind == "error":
            self._figures.error(f"ws error frame {frame.get('code', '')}".strip())
            self.errors.append(f"error frame: {frame}")
        outage_open = self.outages and self.outages[-1][1] is None
        if outage_open and not self._pending_subscribed and self.checker.caught_up():
            self.outages[-1][1] = time.monotonic()

    async def stop(self) -> None:
        """Close the connection and end :meth:`run`."""
        self._stopping = True
        ws = self._ws
        if ws is not None:
            await ws.close()


async def close_all(clients: Sequence[LiveClient], tasks: Sequence[asyncio.Task[None]]) -> None:
    """Close every client at once (a jammed server must not make this take minutes), then end their tasks."""
    try:
        async with asyncio.timeout(15):
            await asyncio.gather(*(c.stop() for c in clients), return_exceptions=True)
    except TimeoutError:
        pass
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
