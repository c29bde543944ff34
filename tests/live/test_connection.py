"""A connection's send queue: order, merging superseded stats, closing a client far behind."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

from persistence.rules.events import EventRecord
from persistence.store.scope import Actor
from server.live.connection import Connection
from server.live.metrics import Metrics
from server.live.protocol import CLOSE_SLOW_CONSUMER, EventFrames


class StalledSocket:
    """Stands in for a WebSocket whose client reads only when told to."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.flowing = asyncio.Event()

        async def receive() -> dict[str, Any]:
            return {"type": "websocket.disconnect"}

        self._receive = receive

    async def send(self, message: dict[str, Any]) -> None:
        await self.flowing.wait()
        self.sent.append(json.loads(message["text"]))


def _event(seq: int, kind: str = "conversation", **data: Any) -> EventFrames:
    record = EventRecord(seq, "campaign:1", seq, kind, data, datetime.now(UTC))
    return EventFrames(record)


def _connection(ws: StalledSocket, limit: int) -> Connection:
    return Connection(ws, "json", Actor(1, 1, "owner"), Metrics(), queue_limit=limit)  # type: ignore[arg-type]


async def test_a_stalled_client_gets_merged_stats_then_everything_in_order() -> None:
    ws = StalledSocket()
    conn = _connection(ws, limit=10)
    async with asyncio.TaskGroup() as group:
        reader = group.create_task(asyncio.sleep(3600))
        conn.bind(reader)
        conn.send_event(_event(1))
        conn.send_event(_event(2, "stats", total=1))
        conn.send_event(_event(3, "sender_stats", user_id=5, assigned=1))
        conn.send_event(_event(4, "stats", total=2))
        conn.send_event(_event(5, "sender_stats", user_id=6, assigned=9))
        conn.send_event(_event(6, "sender_stats", user_id=5, assigned=2))
        conn.send_event(_event(7, "stats", total=3))
        assert conn.pending == 4  # 1, sender 6, sender 5 (newest), stats (newest)
        ws.flowing.set()
        for _ in range(200):
            if not ws.flowing.is_set() or len(ws.sent) == 4:
                break
            await asyncio.sleep(0.01)
        reader.cancel()
        await conn.stop()
    assert [(f["seq"], f.get("supersedes")) for f in ws.sent] == [(1, None), (5, None), (6, [3]), (7, [2, 4])]
    assert ws.sent[-1]["data"] == {"total": 3}
    assert conn.metrics.merged == 3


async def test_a_client_past_the_bound_is_closed_with_4008_and_others_are_not_waited_for() -> None:
    ws = StalledSocket()
    conn = _connection(ws, limit=5)
    async with asyncio.TaskGroup() as group:
        reader = group.create_task(asyncio.sleep(3600))
        conn.bind(reader)
        for seq in range(1, 10):
            conn.send_event(_event(seq))  # returns at once: nothing awaits the client
        await conn.stop()
    assert conn.close_code == CLOSE_SLOW_CONSUMER
    assert reader.cancelled()
    assert conn.metrics.slow_closes == 1
    conn.send_event(_event(11))  # ignored once closing
    assert ws.sent == []
