"""A stand-in for ``/ws`` on loopback that speaks the live protocol and closes on demand."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from websockets.asyncio.server import ServerConnection, serve

__all__ = ["FakeLive", "fake_live"]


@dataclass
class FakeLive:
    """Confirms each subscription at ``seq`` 5 (or its ``since``) and sends one event on a fresh one.

    The first connection after ``close_next_with(code)`` is then closed with
    that code; later ones stay open. ``subscribes`` records every subscribe
    frame as ``(channel, since)``.
    """

    url: str = ""
    subscribes: list[tuple[str, int | None]] = field(default_factory=list)
    connections: int = 0
    _close_with: int | None = None

    def close_next_with(self, code: int) -> None:
        self.subscribes.clear()
        self.connections = 0
        self._close_with = code

    async def handle(self, ws: ServerConnection) -> None:
        self.connections += 1
        async for raw in ws:
            frame = json.loads(raw)
            if frame.get("type") != "subscribe":
                continue
            channel, since = frame["channel"], frame.get("since")
            self.subscribes.append((channel, since))
            seq = 5 if since is None else since
            await ws.send(json.dumps({"type": "subscribed", "channel": channel, "seq": seq}))
            if since is None:
                event = {"type": "event", "channel": channel, "seq": seq + 1, "kind": "stats", "data": {}}
                await ws.send(json.dumps(event))
            code, self._close_with = self._close_with, None
            if code is not None:
                await ws.close(code, "closed by the test")
                return


@asynccontextmanager
async def fake_live() -> AsyncIterator[FakeLive]:
    fake = FakeLive()
    async with serve(fake.handle, "127.0.0.1", 0, subprotocols=["json"]) as server:  # type: ignore[list-item]
        port = next(iter(server.sockets)).getsockname()[1]
        fake.url = f"ws://127.0.0.1:{port}/ws"
        yield fake
