"""A minimal WebSocket client protocol for the benchmark: cheap enough not to be the bottleneck.

It performs the opening handshake, sends masked frames, and parses the
server's unmasked frames itself (no extensions, no fragmentation), handing
each message's payload to a callback. The ``websockets`` client costs tens of
microseconds per message; this costs a few.
"""

from __future__ import annotations

import asyncio
import base64
import os
import struct
from collections.abc import Callable
from typing import cast

__all__ = ["RawClient", "open_raw"]


def _mask(payload: bytes, opcode: int) -> bytes:
    key = os.urandom(4)
    length = len(payload)
    if length < 126:
        header = struct.pack("!BB", 0x80 | opcode, 0x80 | length)
    elif length < 65536:
        header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, length)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, length)
    masked = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
    return header + key + masked


class RawClient(asyncio.Protocol):
    def __init__(self, request: bytes, on_message: Callable[[bytes], None]) -> None:
        self.request = request
        self.on_message = on_message
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.handshaken = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        self.transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if not self.handshaken:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            status = bytes(self.buffer[:12])
            del self.buffer[: end + 4]
            if b" 101" not in status:
                self.opened.set_exception(ConnectionError(f"handshake refused: {status!r}"))
                return
            self.handshaken = True
            self.opened.set_result(None)
        buf = self.buffer
        pos = 0
        size = len(buf)
        while size - pos >= 2:
            opcode = buf[pos] & 0x0F
            length = buf[pos + 1] & 0x7F
            head = 2
            if length == 126:
                if size - pos < 4:
                    break
                length = (buf[pos + 2] << 8) | buf[pos + 3]
                head = 4
            elif length == 127:
                if size - pos < 10:
                    break
                (length,) = struct.unpack_from("!Q", buf, pos + 2)
                head = 10
            if size - pos < head + length:
                break
            payload = bytes(buf[pos + head : pos + head + length])
            pos += head + length
            if opcode in (1, 2):
                self.on_message(payload)
            elif opcode == 9 and self.transport is not None:  # ping: answer
                self.transport.write(_mask(payload, 0xA))
            elif opcode == 8 and self.transport is not None:
                self.transport.close()
        if pos:
            del buf[:pos]

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.opened.done():
            self.opened.set_exception(ConnectionError("closed during handshake"))
        if not self.closed.done():
            self.closed.set_result(None)

    def send(self, payload: bytes, *, binary: bool = True) -> None:
        assert self.transport is not None
        self.transport.write(_mask(payload, 2 if binary else 1))

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


async def open_raw(
    url: str, on_message: Callable[[bytes], None], *, subprotocol: str = "msgpack"
) -> RawClient:
    """Connect to ``ws://host:port/path?query``."""
    rest = url.removeprefix("ws://")
    hostport, _, path = rest.partition("/")
    host, _, port = hostport.partition(":")
    key = base64.b64encode(os.urandom(16)).decode()
    request = (
        f"GET /{path} HTTP/1.1\r\nHost: {hostport}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
        f"Sec-WebSocket-Protocol: {subprotocol}\r\n\r\n"
    ).encode()
    loop = asyncio.get_running_loop()
    _, protocol = await loop.create_connection(lambda: RawClient(request, on_message), host, int(port or 80))
    await asyncio.wait_for(protocol.opened, 60)
    return protocol
