"""The live protocol, without I/O: frames in, frames out, close codes.

Pure functions and value objects only (no asyncio, no database): the hub and
the endpoint do the I/O. See docs/live.md for the protocol as users see it.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, TypeAlias

import msgpack

from persistence.rules.errors import ShiftlineError
from persistence.rules.events import EventRecord

from .close_codes import close_code

__all__ = [
    "CLOSE_FORBIDDEN",
    "CLOSE_GOING_AWAY",
    "CLOSE_INTERNAL_ERROR",
    "CLOSE_RATE_LIMITED",
    "CLOSE_RESTART",
    "CLOSE_SLOW_CONSUMER",
    "CLOSE_TOO_BIG",
    "CLOSE_TRY_AGAIN",
    "CLOSE_UNAUTHORIZED",
    "SUBPROTOCOLS",
    "Auth",
    "ClientFrame",
    "EventFrames",
    "Ping",
    "ProtocolError",
    "Subscribe",
    "Typing",
    "Unsubscribe",
    "Viewing",
    "WireFormat",
    "decode_event",
    "encode",
    "encode_event",
    "event_frame",
    "parse_frame",
    "ws_frame",
]

WireFormat: TypeAlias = Literal["json", "msgpack"]
SUBPROTOCOLS: tuple[WireFormat, ...] = ("json", "msgpack")

# The numbers and their meaning live in close_codes.py, which the pages read too.
CLOSE_GOING_AWAY = close_code("going_away")
CLOSE_TOO_BIG = close_code("too_big")
CLOSE_INTERNAL_ERROR = close_code("internal_error")
CLOSE_RESTART = close_code("restart")
CLOSE_TRY_AGAIN = close_code("try_again")
CLOSE_UNAUTHORIZED = close_code("token_expired")
CLOSE_FORBIDDEN = close_code("forbidden")
CLOSE_SLOW_CONSUMER = close_code("slow_consumer")
CLOSE_RATE_LIMITED = close_code("rate_limited")


class ProtocolError(ShiftlineError):
    """A client frame the server refuses; becomes an ``error`` frame."""

    def __init__(self, code: str, message: str, *, channel: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.channel = channel

    def frame(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "error", "code": self.code, "message": self.message}
        if self.channel is not None:
            out["channel"] = self.channel
        return out

    def __repr__(self) -> str:
        return f"ProtocolError({self.code!r}, {self.message!r})"


@dataclass(frozen=True, slots=True)
class Auth:
    token: str


@dataclass(frozen=True, slots=True)
class Subscribe:
    channel: str
    since: int | None


@dataclass(frozen=True, slots=True)
class Unsubscribe:
    channel: str


@dataclass(frozen=True, slots=True)
class Ping:
    pass


@dataclass(frozen=True, slots=True)
class Viewing:
    """A sweeper's page tells which sender it views (None: none) on a campaign channel."""

    channel: str
    sender_id: int | None


@dataclass(frozen=True, slots=True)
class Typing:
    """Someone types in a conversation, seen through ``channel`` (theirs: campaign or sender)."""

    channel: str
    conversation_id: int


ClientFrame: TypeAlias = Auth | Subscribe | Unsubscribe | Ping | Viewing | Typing

# Sender ids are row ids: at most 18 digits (see persistence.rules.channels).
_ID_MAX = 10**18 - 1


def _decode(fmt: WireFormat, data: str | bytes) -> Any:
    try:
        if fmt == "msgpack":
            if isinstance(data, str):
                raise ProtocolError("invalid_frame", "Send binary msgpack frames on the msgpack subprotocol.")
            return msgpack.unpackb(data, raw=False, strict_map_key=False)
        return json.loads(data)
    except ProtocolError:
        raise
    except Exception:  # every codec failure is the client's malformed frame
        raise ProtocolError("invalid_frame", f"The frame is not valid {fmt}.") from None


def parse_frame(fmt: WireFormat, data: str | bytes) -> ClientFrame:
    """Decode and validate one client frame.

    Raises:
        ProtocolError: the frame is malformed or of an unknown type.
    """
    obj = _decode(fmt, data)
    if not isinstance(obj, dict):
        raise ProtocolError("invalid_frame", "Every frame is one map with a 'type'.")
    kind = obj.get("type")
    if kind == "ping":
        return Ping()
    if kind == "auth":
        token = obj.get("token")
        if not isinstance(token, str) or not token:
            raise ProtocolError("invalid_frame", "'auth' needs a 'token' string.")
        return Auth(token)
    if kind in ("subscribe", "unsubscribe"):
        channel = obj.get("channel")
        if not isinstance(channel, str) or len(channel) > 100:
            raise ProtocolError("invalid_frame", f"'{kind}' needs a 'channel' string.")
        if kind == "unsubscribe":
            return Unsubscribe(channel)
        since = obj.get("since")
        if since is not None and (isinstance(since, bool) or not isinstance(since, int) or since < 0):
            raise ProtocolError(
                "invalid_frame", "'since' is a seq (a whole number >= 0) or null.", channel=channel
            )
        return Subscribe(channel, since)
    if kind == "viewing":
        return _viewing(obj)
    if kind == "typing":
        return _typing(obj)
    raise ProtocolError(
        "unknown_type", f"Unknown frame type {kind!r}: use subscribe, unsubscribe, viewing, typing or ping."
    )


def _typing(obj: dict[Any, Any]) -> Typing:
    channel = obj.get("channel")
    if not isinstance(channel, str) or len(channel) > 100:
        raise ProtocolError("invalid_frame", "'typing' needs a 'channel' string.")
    if set(obj) != {"type", "channel", "conversation_id"}:
        raise ProtocolError(
            "invalid_frame", "'typing' takes 'channel' and 'conversation_id' only.", channel=channel
        )
    conversation_id = obj["conversation_id"]
    if (
        isinstance(conversation_id, bool)
        or not isinstance(conversation_id, int)
        or not 0 < conversation_id <= _ID_MAX
    ):
        raise ProtocolError("invalid_frame", "'conversation_id' is a conversation id.", channel=channel)
    return Typing(channel, conversation_id)


def _viewing(obj: dict[Any, Any]) -> Viewing:
    channel = obj.get("channel")
    if not isinstance(channel, str) or len(channel) > 100:
        raise ProtocolError("invalid_frame", "'viewing' needs a 'channel' string.")
    if set(obj) - {"type", "channel", "sender_id"}:
        raise ProtocolError(
            "invalid_frame", "'viewing' takes 'channel' and 'sender_id' only.", channel=channel
        )
    if "sender_id" not in obj:
        raise ProtocolError(
            "invalid_frame", "'viewing' needs 'sender_id' (a user id or null).", channel=channel
        )
    sender_id = obj["sender_id"]
    if sender_id is not None and (
        isinstance(sender_id, bool) or not isinstance(sender_id, int) or not 0 < sender_id <= _ID_MAX
    ):
        raise ProtocolError("invalid_frame", "'sender_id' is a user id or null.", channel=channel)
    return Viewing(channel, sender_id)


def encode(fmt: WireFormat, obj: dict[str, Any]) -> bytes:
    """One server frame's payload in the wire format."""
    if fmt == "msgpack":
        packed: bytes = msgpack.packb(obj, use_bin_type=True)
        return packed
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


def ws_frame(payload: bytes, *, binary: bool) -> bytes:
    """A complete, unmasked WebSocket frame (server to client, no extensions).

    The same bytes are valid on every connection, so an event is framed once
    and written to every socket as is.
    """
    first = 0x82 if binary else 0x81
    length = len(payload)
    if length < 126:
        header = struct.pack("!BB", first, length)
    elif length < 65536:
        header = struct.pack("!BBH", first, 126, length)
    else:
        header = struct.pack("!BBQ", first, 127, length)
    return header + payload


def event_frame(record: EventRecord, supersedes: list[int] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "type": "event",
        "channel": record.channel,
        "seq": record.seq,
        "kind": record.kind,
        "data": record.data,
    }
    if supersedes:
        out["supersedes"] = supersedes
    return out


class EventFrames:
    """One event, encoded at most once per wire format and shared by every recipient."""

    __slots__ = ("_frames", "_payloads", "record")

    def __init__(self, record: EventRecord) -> None:
        self.record = record
        self._payloads: dict[str, bytes] = {}
        self._frames: dict[str, bytes] = {}

    def payload(self, fmt: WireFormat) -> bytes:
        payload = self._payloads.get(fmt)
        if payload is None:
            payload = self._payloads[fmt] = encode(fmt, event_frame(self.record))
        return payload

    def frame(self, fmt: WireFormat) -> bytes:
        frame = self._frames.get(fmt)
        if frame is None:
            frame = self._frames[fmt] = ws_frame(self.payload(fmt), binary=fmt == "msgpack")
        return frame


# Events travel between instances as msgpack [channel, seq, kind, data, id].
def encode_event(record: EventRecord) -> bytes:
    packed: bytes = msgpack.packb(
        [record.channel, record.seq, record.kind, record.data, record.id], use_bin_type=True
    )
    return packed


def decode_event(payload: bytes) -> EventRecord:
    channel, seq, kind, data, id_ = msgpack.unpackb(payload, raw=False, strict_map_key=False)
    return EventRecord(id_, channel, seq, kind, data, _EPOCH)


# Events from other instances carry no timestamp (the wire frames have none).
_EPOCH = datetime.fromtimestamp(0, UTC)
