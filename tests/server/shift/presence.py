"""Senders who are online: a WebSocket subscribed to their sender channel, held open."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from starlette.testclient import TestClient

from tests.support.worlds.accounts import Login

__all__ = ["online_senders", "wait_online"]


@contextmanager
def online_senders(client: TestClient, campaign_id: int, senders: list[Login]) -> Iterator[list[Any]]:
    """Each sender's page open (subscribed to their channel) until the block ends."""
    with ExitStack() as stack:
        sockets = []
        for sender in senders:
            ws = stack.enter_context(client.websocket_connect(f"/ws?token={sender.token}"))
            ws.send_json(
                {"type": "subscribe", "channel": f"sender:{campaign_id}:{sender.user_id}", "since": None}
            )
            assert ws.receive_json()["type"] == "subscribed"
            sockets.append(ws)
        yield sockets


def wait_online(
    client: TestClient, campaign_id: int, headers: dict[str, str], expected: dict[int, bool]
) -> None:
    """Wait until the overview shows ``expected`` (user id → online)."""
    deadline = time.monotonic() + 10
    url = f"/api/campaigns/{campaign_id}/overview"
    while True:
        rows = client.get(url, headers=headers).json()["senders"]
        seen = {r["user_id"]: r["online"] for r in rows if r["user_id"] in expected}
        if seen == expected or time.monotonic() > deadline:
            assert seen == expected
            return
        time.sleep(0.05)
