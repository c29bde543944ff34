"""``GET /ws``: authenticate, then read client frames until the connection ends.

Each connection runs its reader (and, only while frames queue up, a writer)
in one task group; when either ends the other is cancelled, and the endpoint
closes the socket with the code the connection was killed with.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping
from typing import Any

from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.websockets import WebSocket, WebSocketState

from ..auth import actor_and_expiry
from ..errors import ApiError
from ..outage import database_unreachable
from ..services import services
from .connection import Connection, shed_handshake
from .hub import Hub
from .protocol import (
    CLOSE_INTERNAL_ERROR,
    CLOSE_RATE_LIMITED,
    CLOSE_TOO_BIG,
    CLOSE_TRY_AGAIN,
    CLOSE_UNAUTHORIZED,
    SUBPROTOCOLS,
    Auth,
    Ping,
    ProtocolError,
    Subscribe,
    Typing,
    Unsubscribe,
    Viewing,
    WireFormat,
    parse_frame,
)
from .typing_frames import typing

__all__ = [
    "AUTH_TIMEOUT",
    "CLOSE_WAIT",
    "RATE_BURST",
    "RATE_PER_SECOND",
    "TOKEN_EXPIRED",
    "live_endpoint",
]

logger = logging.getLogger("shiftline.live")

AUTH_TIMEOUT = 10.0
# The close reason when the token runs out (the table names code 4001 so): log in, resume with since.
TOKEN_EXPIRED = "token_expired"
CLOSE_WAIT = 5.0  # seconds a closing client gets to read its last frames
# Token bucket per connection: a burst of 200 frames, then 50 a second.
RATE_BURST = 200.0
RATE_PER_SECOND = 50.0


def _choose(ws: WebSocket) -> tuple[WireFormat, str | None]:
    offered = [p.strip().lower() for p in ws.scope.get("subprotocols", [])]
    for proto in offered:
        if proto in SUBPROTOCOLS:
            fmt: WireFormat = "msgpack" if proto == "msgpack" else "json"
            return fmt, proto
    return "json", None


def _token(ws: WebSocket) -> str | None:
    token = ws.query_params.get("token")
    if token:
        return token
    scheme, _, value = ws.headers.get("authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def _data(message: Mapping[str, Any]) -> str | bytes | None:
    text = message.get("text")
    return text if text is not None else message.get("bytes")


async def _close(ws: WebSocket, code: int, reason: str = "") -> None:
    if ws.application_state == WebSocketState.CONNECTED:
        with contextlib.suppress(Exception):
            await ws.close(code, reason)


async def live_endpoint(ws: WebSocket) -> None:
    svc = services(ws)
    hub = svc.live.hub if svc.live is not None else None
    fmt, subprotocol = _choose(ws)
    await ws.accept(subprotocol=subprotocol)
    if hub is None:
        await _close(ws, CLOSE_INTERNAL_ERROR, "live updates are not running")
        return
    settings = svc.settings
    token = _token(ws)
    if token is None:
        token = await _auth_frame(ws, fmt, settings.ws_max_message_bytes)
        if token is None:
            await _close(ws, CLOSE_UNAUTHORIZED, "authenticate with ?token= or an auth frame")
            return
    try:
        actor, expires_at = await actor_and_expiry(svc, token, user_of=hub.access.user)
    except ApiError as exc:
        await _close(ws, CLOSE_UNAUTHORIZED, str(exc)[:120])
        return
    except PoolTimeout:
        # A crowd reconnecting at once took every database connection for the
        # pool's whole timeout: an overload, so the client retries after its backoff.
        logger.warning("no database connection free in time to authenticate a live connection")
        await _close(ws, CLOSE_TRY_AGAIN, "the server is busy; retry shortly")
        return
    except Exception as exc:
        if not database_unreachable(exc):
            raise
        await _close(ws, CLOSE_TRY_AGAIN, "the database is out of reach; retry shortly")
        return
    shed_handshake(ws)
    conn = Connection(ws, fmt, actor, hub.metrics, queue_limit=settings.live_queue_limit)
    hub.add(conn)
    task = asyncio.current_task()
    conn.bind(task)
    # The token's end is the connection's end: one timer, cancelled with the connection.
    expiry = asyncio.get_running_loop().call_later(
        max(0.0, expires_at - time.time()), conn.kill, CLOSE_UNAUTHORIZED, TOKEN_EXPIRED
    )
    try:
        await _read(ws, conn, hub, settings.ws_max_message_bytes)
    except asyncio.CancelledError:
        if conn.close_code is None or task is None:
            raise  # the server is stopping this task, not the connection
        task.uncancel()  # conn.kill() stopped the reading
    except Exception:
        logger.exception("live connection %r failed", conn)
        conn.close_code = conn.close_code or CLOSE_INTERNAL_ERROR
    finally:
        expiry.cancel()
        conn.bind(None)
        hub.remove(conn)
        await conn.stop()
        try:
            await hub.stop_viewing(conn)
        except Exception as exc:  # the broker is away: the others' pages see the viewer go stale
            logger.debug("%r: could not tell the end of its viewing: %s", conn, exc)
    if conn.close_code is not None:
        transport = conn._transport
        try:
            # The close frame waits behind whatever the client has not read yet.
            async with asyncio.timeout(CLOSE_WAIT):
                await _close(ws, conn.close_code, conn.close_reason)
        except TimeoutError:
            if transport is not None:
                transport.abort()
            return
        if transport is not None:
            # A client that stopped reading never answers the close: drop it.
            asyncio.get_running_loop().call_later(CLOSE_WAIT, transport.abort)


async def _auth_frame(ws: WebSocket, fmt: WireFormat, max_bytes: int) -> str | None:
    try:
        async with asyncio.timeout(AUTH_TIMEOUT):
            message = await ws.receive()
    except TimeoutError:
        return None
    data = _data(message)
    if message["type"] != "websocket.receive" or data is None or len(data) > max_bytes:
        return None
    try:
        frame = parse_frame(fmt, data)
    except ProtocolError:
        return None
    return frame.token if isinstance(frame, Auth) else None


async def _subscribe(hub: Hub, conn: Connection, frame: Subscribe) -> None:
    """``hub.subscribe``; with the database away, an ``unavailable`` error frame and no subscription."""
    try:
        await hub.subscribe(conn, frame.channel, frame.since)
    except ProtocolError:
        raise
    except Exception as exc:
        if not database_unreachable(exc):
            raise
        hub.unsubscribe(conn, frame.channel)  # a replay cut short must not stay half-attached
        raise ProtocolError(
            "unavailable", "Live updates are unavailable; retry shortly.", channel=frame.channel
        ) from None


async def _read(ws: WebSocket, conn: Connection, hub: Hub, max_bytes: int) -> None:
    """Read and handle client frames until the client leaves. Cancelled by ``conn.kill``."""
    tokens = RATE_BURST
    stamp = time.monotonic()
    while conn.close_code is None:
        message = await ws.receive()
        if message["type"] == "websocket.disconnect":
            return
        data = _data(message)
        if data is None:
            continue
        if len(data) > max_bytes:
            conn.kill(CLOSE_TOO_BIG, f"frames are limited to {max_bytes} bytes")
            return
        now = time.monotonic()
        tokens = min(RATE_BURST, tokens + (now - stamp) * RATE_PER_SECOND) - 1.0
        stamp = now
        if tokens < 0:
            hub.metrics.rate_limit_closes += 1
            conn.kill(CLOSE_RATE_LIMITED, "too many frames")
            return
        try:
            frame = parse_frame(conn.fmt, data)
            if isinstance(frame, Ping):
                conn.send_obj({"type": "pong"})
            elif isinstance(frame, Subscribe):
                await _subscribe(hub, conn, frame)
            elif isinstance(frame, Viewing):
                await hub.viewing(conn, frame.channel, frame.sender_id)
            elif isinstance(frame, Typing):
                await typing(hub, conn, frame)
            elif isinstance(frame, Unsubscribe):
                # Silent on success: the contract has no frame for it, and no
                # event of the channel follows this point.
                if not hub.unsubscribe(conn, frame.channel):
                    raise ProtocolError(
                        "not_subscribed", "You are not subscribed to this channel.", channel=frame.channel
                    )
            else:
                raise ProtocolError("invalid_frame", "Already authenticated.")
        except ProtocolError as exc:
            conn.send_obj(exc.frame())
