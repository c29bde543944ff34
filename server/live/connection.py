"""One client connection's send side: the fast path, the bounded queue, the writer.

Sending never blocks the hub. An event is written straight to the socket when
nothing is queued for this client and its transport buffer is under
``write_limit``; otherwise it joins the client's bounded queue, drained by a
writer task that waits for the socket to drain. When the queue is full a
queued ``stats``/``sender_stats`` event is first merged into the newer one
(the newer frame lists the seqs it ``supersedes``); when ``queue_limit``
frames still wait, the connection is closed with ``CLOSE_SLOW_CONSUMER``
(4008): the client reconnects with ``since`` and loses nothing.

The fast path writes pre-built frames to uvicorn's transport (found through
the ASGI ``receive`` callable's protocol object); under any other server it
falls back to the ASGI ``websocket.send`` message.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections import deque
from typing import Any

from starlette.websockets import WebSocket

from persistence.store.scope import Actor

from .metrics import Metrics
from .protocol import CLOSE_SLOW_CONSUMER, EventFrames, WireFormat, encode, event_frame, ws_frame

__all__ = ["ConnSub", "Connection", "shed_handshake"]

logger = logging.getLogger("shiftline.live")

_ids = itertools.count(1)
_MERGEABLE = frozenset({"stats", "sender_stats"})


def _fast_path(ws: WebSocket) -> tuple[Any, Any]:
    """uvicorn's (protocol, transport) when frames may be written to the socket directly."""
    proto = getattr(ws._receive, "__self__", None)
    transport = getattr(proto, "transport", None)
    conn = getattr(proto, "conn", None)
    if (
        transport is None
        or conn is None
        or not hasattr(proto, "close_sent")
        or not hasattr(transport, "get_write_buffer_size")
        or getattr(conn, "extensions", None)  # a negotiated extension (deflate) changes framing
    ):
        return None, None
    return proto, transport


def shed_handshake(ws: WebSocket) -> None:
    """Let go of what only the opening handshake needed, for the connection's lifetime.

    uvicorn keeps the handshake's request and response objects and the scope's
    header list for as long as the socket is open (about 5 KB a connection);
    once the client is authenticated nothing reads them again (the endpoint
    took the token and subprotocol, and logs name the connection, not its
    headers).
    """
    proto = getattr(ws._receive, "__self__", None)
    for name in ("request", "response"):
        message = getattr(proto, name, None)
        if message is not None:
            # websockets' parser keeps the request too (a local of its frame): empty its headers.
            clear = getattr(getattr(message, "headers", None), "clear", None)
            if callable(clear):
                clear()
            setattr(proto, name, None)
    ws.scope["headers"] = []
    ws.scope["query_string"] = b""  # it held the token
    for cached in ("_headers", "_query_params", "_url"):
        ws.__dict__.pop(cached, None)


def _utf8(text: object) -> bool:
    try:
        return isinstance(text, str) and bool(text.encode())
    except UnicodeEncodeError:
        return False


def _encodable_error(obj: dict[str, Any]) -> dict[str, Any]:
    """An ``error`` frame saying what ``obj`` (which cannot be encoded) meant, if it can."""
    code, message = obj.get("code"), obj.get("message")
    if obj.get("type") == "error" and _utf8(code) and _utf8(message):
        return {"type": "error", "code": code, "message": message}
    return {
        "type": "error",
        "code": "invalid_frame",
        "message": "The frame holds text that cannot be encoded (a lone surrogate?).",
    }


class _Entry:
    __slots__ = ("dead", "frames", "key", "payload", "supersedes")

    def __init__(
        self, frames: EventFrames | None, payload: bytes | None, key: tuple[str, ...] | None
    ) -> None:
        self.frames = frames
        self.payload = payload
        self.key = key
        self.dead = False
        self.supersedes: list[int] | None = None


class ConnSub:
    """One connection's subscription to one channel."""

    __slots__ = ("buffer", "channel", "conn", "last", "overflowed", "presence")

    def __init__(
        self, conn: Connection, channel: str, last: int, *, presence: tuple[int, int] | None
    ) -> None:
        self.conn = conn
        self.channel = channel
        self.last = last  # the last seq this client was sent (or told about) on the channel
        self.buffer: list[Any] | None = None  # live events held back while the log is replayed
        self.overflowed = False
        self.presence = presence  # (campaign, user) this subscription makes online


class Connection:
    """A connected, authenticated client.

    The endpoint's own task reads (see :meth:`bind`); a writer task exists only
    while frames wait in the queue, owned by the connection and cancelled and
    awaited by :meth:`stop` (one task per idle connection keeps memory low).

    Args:
        ws: the accepted WebSocket.
        fmt: the wire format (subprotocol).
        actor: who the token named.
        queue_limit: frames that may wait for a slow client before it is closed.
        write_limit: transport-buffered bytes above which frames queue instead.
    """

    __slots__ = (
        "_binary",
        "_keys",
        "_pending",
        "_proto",
        "_queue",
        "_reader",
        "_room",
        "_transport",
        "_writer",
        "actor",
        "close_code",
        "close_reason",
        "fmt",
        "id",
        "metrics",
        "queue_limit",
        "subs",
        "write_limit",
        "ws",
    )

    def __init__(
        self,
        ws: WebSocket,
        fmt: WireFormat,
        actor: Actor,
        metrics: Metrics,
        *,
        queue_limit: int = 1000,
        write_limit: int = 256 * 1024,
    ) -> None:
        self.id = next(_ids)
        self.ws = ws
        self.fmt: WireFormat = fmt
        self.actor = actor
        self.metrics = metrics
        self.subs: dict[str, ConnSub] = {}
        self.queue_limit = queue_limit
        self.write_limit = write_limit
        self.close_code: int | None = None
        self.close_reason = ""
        self._binary = fmt == "msgpack"
        self._proto, self._transport = _fast_path(ws)
        if self._transport is not None:
            metrics.fast_path_connections += 1
        else:
            metrics.asgi_path_connections += 1
        self._queue: deque[_Entry] | None = None
        self._keys: dict[tuple[str, ...], _Entry] | None = None
        self._pending = 0
        self._room: asyncio.Event | None = None
        self._writer: asyncio.Task[None] | None = None
        self._reader: asyncio.Task[Any] | None = None

    def __repr__(self) -> str:
        return f"<Connection {self.id} user={self.actor.user_id} {self.fmt}>"

    @property
    def fast(self) -> bool:
        return self._transport is not None

    @property
    def pending(self) -> int:
        return self._pending

    # -- lifecycle ---------------------------------------------------------

    def bind(self, reader: asyncio.Task[Any] | None) -> None:
        """Name the task reading this connection (None once it stopped reading)."""
        self._reader = reader

    async def stop(self) -> None:
        """Cancel the writer and wait for it. Idempotent."""
        writer = self._writer
        if writer is not None:
            writer.cancel()
            # Not `await writer` under suppress(CancelledError): that would also
            # swallow a cancellation of the caller itself.
            await asyncio.wait({writer})

    def kill(self, code: int, reason: str = "") -> None:
        """Close soon with ``code``: stop reading and writing; the endpoint sends the close."""
        if self.close_code is not None:
            return
        self.close_code = code
        self.close_reason = reason
        if self._writer is not None:
            self._writer.cancel()
        reader = self._reader
        if reader is not None and reader is not asyncio.current_task():
            # The reader notices by itself when it is the one killing.
            reader.cancel()

    @property
    def dead(self) -> bool:
        if self.close_code is not None:
            return True
        proto = self._proto
        return proto is not None and (proto.close_sent or self._transport.is_closing())

    # -- sending -----------------------------------------------------------

    def send_event(self, frames: EventFrames) -> None:
        """Send one live event. Never blocks; may close a client that is too far behind."""
        if self._queue is None:
            transport = self._transport
            if transport is not None:
                if self.close_code is not None or self._proto.close_sent or transport.is_closing():
                    return
                if transport.get_write_buffer_size() <= self.write_limit:
                    transport.write(frames.frame(self.fmt))
                    return
        elif self.close_code is not None:
            return
        record = frames.record
        key = None
        if record.kind in _MERGEABLE:
            key = (record.channel, record.kind, str(record.data.get("user_id")))
        self._enqueue(_Entry(frames, None, key))

    def send_obj(self, obj: dict[str, Any]) -> None:
        """Send a control frame (subscribed, resync, error, pong) in order with events."""
        if self.close_code is not None:
            return
        try:
            payload = encode(self.fmt, obj)
        except (ValueError, TypeError, OverflowError):
            # Text the wire cannot carry, echoed from the client's own frame (a
            # lone surrogate in a JSON channel name): still answer, without it.
            payload = encode(self.fmt, _encodable_error(obj))
        transport = self._transport
        if self._queue is None and transport is not None:
            if self._proto.close_sent or transport.is_closing():
                return
            if transport.get_write_buffer_size() <= self.write_limit:
                transport.write(ws_frame(payload, binary=self._binary))
                return
        self._enqueue(_Entry(None, payload, None))

    async def wait_room(self) -> None:
        """Wait until the queue is at most half full (replays use this for backpressure).

        Cancel-safe.
        """
        while self._queue is not None and self._pending > self.queue_limit // 2:
            if self.close_code is not None:
                return
            if self._room is None:
                self._room = asyncio.Event()
            self._room.clear()
            await self._room.wait()

    def _enqueue(self, entry: _Entry) -> None:
        if self._queue is None:
            self._queue = deque()
        key = entry.key
        if key is not None:
            if self._keys is None:
                self._keys = {}
            older = self._keys.get(key)
            if older is not None and not older.dead and older.frames is not None:
                # A newer stats event makes the queued one worthless: drop it, say so.
                older.dead = True
                self._pending -= 1
                entry.supersedes = [*(older.supersedes or ()), older.frames.record.seq]
                self.metrics.merged += 1
            self._keys[key] = entry
        self._queue.append(entry)
        self._pending += 1
        if self._pending > self.queue_limit:
            self.metrics.slow_closes += 1
            self.kill(CLOSE_SLOW_CONSUMER, "send queue overflow: reconnect with since")
            return
        if self._writer is None:
            self._writer = asyncio.get_running_loop().create_task(self._write_loop())

    def _payload(self, entry: _Entry) -> bytes:
        if entry.payload is not None:
            return entry.payload
        frames = entry.frames
        assert frames is not None  # an entry has frames or a payload
        if entry.supersedes:
            return encode(self.fmt, event_frame(frames.record, entry.supersedes))
        return frames.payload(self.fmt)

    async def _write_loop(self) -> None:
        """Drain the queue in order, waiting for the socket. Cancelled by :meth:`kill`."""
        queue = self._queue
        try:
            while queue:
                entry = queue.popleft()
                if entry.dead:
                    continue
                self._pending -= 1
                if entry.key is not None and self._keys is not None and self._keys.get(entry.key) is entry:
                    del self._keys[entry.key]
                payload = self._payload(entry)
                transport = self._transport
                if transport is not None:
                    while transport.get_write_buffer_size() > self.write_limit and not transport.is_closing():
                        await self._proto.writable.wait()
                        if transport.get_write_buffer_size() > self.write_limit:
                            await asyncio.sleep(0.005)
                    if self._proto.close_sent or transport.is_closing():
                        return
                    transport.write(ws_frame(payload, binary=self._binary))
                elif self._binary:
                    await self.ws.send({"type": "websocket.send", "bytes": payload})
                else:
                    await self.ws.send({"type": "websocket.send", "text": payload.decode()})
                if self._room is not None and self._pending <= self.queue_limit // 2:
                    self._room.set()
        except Exception as exc:  # any send failure means the client is gone
            # The client went away under us; the reader sees the disconnect.
            logger.debug("%r: write failed: %s", self, exc)
        finally:
            if self._queue is queue and not queue:
                self._queue = None
                self._keys = None
            self._writer = None
            if self._room is not None:
                self._room.set()
