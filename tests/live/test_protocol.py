"""The live protocol's pure parts: frames in, frames out."""

from __future__ import annotations

from datetime import UTC, datetime

import msgpack
import pytest

from persistence.rules.channels import ChannelName, parse_channel
from persistence.rules.events import EventRecord
from server.live.protocol import (
    Auth,
    EventFrames,
    Ping,
    ProtocolError,
    Subscribe,
    Unsubscribe,
    decode_event,
    encode_event,
    parse_frame,
    ws_frame,
)


def test_client_frames_parse_in_both_formats() -> None:
    assert parse_frame("json", '{"type": "subscribe", "channel": "campaign:3", "since": 9}') == Subscribe(
        "campaign:3", 9
    )
    assert parse_frame("json", '{"type": "subscribe", "channel": "campaign:3"}') == Subscribe(
        "campaign:3", None
    )
    assert parse_frame("msgpack", msgpack.packb({"type": "unsubscribe", "channel": "c"})) == Unsubscribe("c")
    assert parse_frame("json", b'{"type": "ping"}') == Ping()
    assert parse_frame("json", '{"type": "auth", "token": "t"}') == Auth("t")


@pytest.mark.parametrize(
    ("fmt", "data", "code"),
    [
        ("json", "{", "invalid_frame"),
        ("json", '"ping"', "invalid_frame"),
        ("json", '{"type": "pong"}', "unknown_type"),
        ("json", '{"type": "subscribe", "channel": 4}', "invalid_frame"),
        ("json", '{"type": "subscribe", "channel": "c", "since": true}', "invalid_frame"),
        ("json", '{"type": "subscribe", "channel": "c", "since": "1"}', "invalid_frame"),
        ("json", '{"type": "auth"}', "invalid_frame"),
        ("msgpack", '{"type": "ping"}', "invalid_frame"),
        ("msgpack", b"\xc1", "invalid_frame"),
    ],
)
def test_bad_frames_are_refused_with_a_code(fmt: str, data: str | bytes, code: str) -> None:
    with pytest.raises(ProtocolError) as refused:
        parse_frame(fmt, data)  # type: ignore[arg-type]
    assert refused.value.code == code
    assert refused.value.frame()["type"] == "error"


def test_channels_parse_strictly() -> None:
    assert parse_channel("campaign:12") == ChannelName(12, None)
    assert parse_channel("sender:12:7") == ChannelName(12, 7)
    for bad in (
        "campaign:",
        "campaign:01",
        "campaign:-1",
        "sender:1",
        "sender:1:x",
        "admin:1",
        "campaign:1:2",
    ):
        assert parse_channel(bad) is None, bad


@pytest.mark.parametrize("size", [0, 125, 126, 65535, 65536])
def test_frames_are_built_once_with_the_right_length_header(size: int) -> None:
    payload = b"x" * size
    frame = ws_frame(payload, binary=True)
    assert frame[0] == 0x82 and frame.endswith(payload)
    header = len(frame) - size
    assert header == (2 if size < 126 else 4 if size < 65536 else 10)


def test_an_event_is_encoded_once_per_format_and_travels_between_instances() -> None:
    record = EventRecord(1, "campaign:1", 5, "stats", {"total": 3}, datetime.now(UTC))
    frames = EventFrames(record)
    assert frames.frame("json") is frames.frame("json")
    assert (
        frames.payload("json")
        == b'{"type":"event","channel":"campaign:1","seq":5,"kind":"stats","data":{"total":3}}'
    )
    assert msgpack.unpackb(frames.payload("msgpack"))["seq"] == 5
    back = decode_event(encode_event(record))
    assert (back.channel, back.seq, back.kind, back.data, back.id) == (
        "campaign:1",
        5,
        "stats",
        {"total": 3},
        1,
    )
