"""A live connection is answered even when its frame is odd, and ends when its token does."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from server.app import create_app
from server.live import endpoint
from server.live.protocol import CLOSE_TRY_AGAIN
from server.settings import Settings
from tests.support.worlds.accounts import login
from tests.support.worlds.team import make_team

TTL = 2  # seconds a token lives in these stories


@pytest.fixture
def short_client(settings: Settings) -> Iterator[TestClient]:
    """A server whose logins hand out tokens that live TTL seconds (SHIFTLINE_TOKEN_TTL)."""
    with TestClient(create_app(dataclasses.replace(settings, token_ttl_seconds=TTL))) as client:
        yield client


def _connect(client: TestClient, token: str) -> Any:
    return client.websocket_connect(f"/ws?token={token}", subprotocols=["json"])


def _subscribe(ws: Any, channel: str) -> dict[str, Any]:
    ws.send_json({"type": "subscribe", "channel": channel})
    frame: dict[str, Any] = ws.receive_json()
    return frame


def test_a_lone_surrogate_in_a_channel_gets_an_error_and_the_connection_stays(
    client: TestClient, database_url: str
) -> None:
    team = make_team(client, database_url)
    with _connect(client, team.owner.token) as ws:
        # Valid JSON (an escaped lone surrogate) that no UTF-8 answer can echo back.
        ws.send_text('{"type": "subscribe", "channel": "campaign:\\ud800"}')
        frame = ws.receive_json()
        assert frame["type"] == "error" and frame["code"] == "invalid_channel", frame
        assert "channel" not in frame
        ws.send_text('{"type": "unsubscribe", "channel": "sender:\\udfff:1"}')
        assert ws.receive_json()["code"] == "not_subscribed"
        assert _subscribe(ws, team.campaign)["type"] == "subscribed"  # still serving


def test_a_lone_surrogate_in_an_auth_frame_is_an_unauthorized_close(
    client: TestClient, database_url: str
) -> None:
    make_team(client, database_url)
    with client.websocket_connect("/ws", subprotocols=["json"]) as ws:
        ws.send_text('{"type": "auth", "token": "\\ud800.\\ud800"}')
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
        assert closed.value.code == 4001


def test_an_open_connection_is_closed_with_4001_when_its_token_expires(
    short_client: TestClient, database_url: str
) -> None:
    team = make_team(short_client, database_url)
    sam = login(short_client, "sam@example.org")  # a token of TTL seconds
    opened = time.monotonic()
    with _connect(short_client, sam.token) as ws:
        assert _subscribe(ws, team.sender(team.sam))["type"] == "subscribed"
        with pytest.raises(WebSocketDisconnect) as closed:
            while True:
                ws.receive_json()
        lived = time.monotonic() - opened
    assert closed.value.code == 4001 and closed.value.reason == "token_expired"
    assert lived <= TTL + 1.0  # at the moment it expired, not at some later sweep
    # HTTP agrees: the token no longer works; a new login does.
    assert short_client.get("/api/users", headers=sam.headers).status_code == 401
    again = login(short_client, "sam@example.org")
    with _connect(short_client, again.token) as ws:
        assert _subscribe(ws, team.sender(team.sam))["type"] == "subscribed"


def test_a_connection_with_a_long_lived_token_is_not_closed(client: TestClient, database_url: str) -> None:
    team = make_team(client, database_url)
    with _connect(client, team.sam.token) as ws:
        assert _subscribe(ws, team.sender(team.sam))["type"] == "subscribed"
        time.sleep(TTL + 0.5)
        ws.send_json({"type": "ping"})
        assert ws.receive_json() == {"type": "pong"}


def test_a_connection_that_finds_no_database_connection_free_is_told_to_try_again(
    client: TestClient, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    team = make_team(client, database_url)

    async def overloaded(*_args: Any, **_kwargs: Any) -> Any:
        # What the pool raises when every connection stayed taken for its whole timeout.
        raise PoolTimeout("QueuePool limit of size 10 overflow 20 reached, connection timed out")

    monkeypatch.setattr(endpoint, "actor_and_expiry", overloaded)
    with _connect(client, team.owner.token) as ws, pytest.raises(WebSocketDisconnect) as closed:
        ws.receive_json()
    assert closed.value.code == CLOSE_TRY_AGAIN  # retried after the backoff, not sent to log in
