"""The WebSocket fast path (frames written straight to uvicorn's transport) is really taken.

It reads uvicorn internals, so a new uvicorn could lose it silently and every
client would fall back to the slower ASGI send: ``/metrics`` counts which path
each connection took, and these stories read it.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient

from server.settings import Settings
from tests.support.processes import ServerProcess, settings_env
from tests.support.worlds.accounts import PASSWORD, login, make_org
from tests.support.wsclient import open_client

# The path depends on the server, not on the database: SQLite is enough.
pytestmark = pytest.mark.parametrize("backend", ["sqlite"])


def _metric(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(f"shiftline_live_{name} "):
            return float(line.split()[1])
    raise AssertionError(f"shiftline_live_{name} is not in /metrics:\n{text}")


@pytest.mark.slow
async def test_a_served_websocket_takes_the_fast_path(
    settings: Settings, database_url: str, tmp_path: Path
) -> None:
    await asyncio.to_thread(make_org, database_url)
    with ServerProcess(settings_env(settings), tmp_path) as server:
        await server.ready()
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
            response = await http.post(
                "/api/login", json={"email": "owner@example.org", "password": PASSWORD}
            )
            assert response.status_code == 200, response.text
            client = await open_client(server.ws_url, response.json()["token"])
            try:
                await client.send({"type": "ping"})
                assert await client.recv() == {"type": "pong"}  # the pong itself came the fast way
                metrics = (await http.get("/metrics")).text
            finally:
                await client.close()
    assert _metric(metrics, "fast_path_connections_total") == 1
    assert _metric(metrics, "asgi_path_connections_total") == 0


def test_without_uvicorn_frames_go_through_asgi_send(client: TestClient, database_url: str) -> None:
    make_org(database_url)
    owner = login(client, "owner@example.org")
    with client.websocket_connect(f"/ws?token={owner.token}", subprotocols=["json"]) as ws:
        ws.send_json({"type": "ping"})
        assert ws.receive_json() == {"type": "pong"}
        metrics = client.get("/metrics").text
    assert _metric(metrics, "fast_path_connections_total") == 0
    assert _metric(metrics, "asgi_path_connections_total") == 1
