"""A small live-protocol client over real sockets (the websockets library)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import msgpack
from websockets.asyncio.client import ClientConnection, connect

__all__ = ["LiveClient", "open_client"]


class LiveClient:
    def __init__(self, ws: ClientConnection, fmt: str) -> None:
        self.ws = ws
        self.fmt = fmt

    async def send(self, frame: dict[str, Any]) -> None:
        if self.fmt == "msgpack":
            await self.ws.send(msgpack.packb(frame))
        else:
            await self.ws.send(json.dumps(frame))

    async def recv(self, wait: float = 10.0) -> dict[str, Any]:
        raw = await asyncio.wait_for(self.ws.recv(), wait)
        frame: dict[str, Any] = msgpack.unpackb(raw) if isinstance(raw, bytes) else json.loads(raw)
        return frame

    async def subscribe(self, channel: str, since: int | None = None) -> dict[str, Any]:
        await self.send({"type": "subscribe", "channel": channel, "since": since})
        frame = await self.recv()
        assert frame["type"] == "subscribed", frame
        return frame

    async def events(self, count: int, wait: float = 20.0) -> list[dict[str, Any]]:
        """The next ``count`` event frames (other frames are skipped)."""
        out: list[dict[str, Any]] = []
        async with asyncio.timeout(wait):
            while len(out) < count:
                frame = await self.recv(wait)
                if frame["type"] == "event":
                    out.append(frame)
        return out

    async def close(self) -> None:
        await self.ws.close()


async def open_client(url: str, token: str | None, fmt: str = "json", **kwargs: Any) -> LiveClient:
    target = f"{url}?token={token}" if token else url
    ws = await connect(target, subprotocols=[fmt], compression=None, **kwargs)  # type: ignore[list-item]
    return LiveClient(ws, fmt)
