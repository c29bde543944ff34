"""Sweepers see each other: who views which sender, live and never logged."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from server.live.protocol import ProtocolError, Viewing, parse_frame
from tests.support.worlds.accounts import add_user, login, make_org
from tests.support.worlds.sweep import build_world_sync


def subscribed(ws: Any, channel: str) -> None:
    ws.send_json({"type": "subscribe", "channel": channel, "since": None})
    frame = ws.receive_json()
    assert frame["type"] == "subscribed", frame


def next_frame(ws: Any, kind: str) -> dict[str, Any]:
    while True:
        frame: dict[str, Any] = ws.receive_json()
        if frame["type"] == kind or frame.get("kind") == kind:
            return frame


def test_the_viewing_frame_parses_and_bad_ones_are_refused() -> None:
    frame = '{"type": "viewing", "channel": "campaign:3", "sender_id": 12}'
    assert parse_frame("json", frame) == Viewing("campaign:3", 12)
    assert parse_frame("json", '{"type": "viewing", "channel": "campaign:3", "sender_id": null}') == Viewing(
        "campaign:3", None
    )
    for bad in (
        '{"type": "viewing", "channel": "campaign:3"}',
        '{"type": "viewing", "channel": "campaign:3", "sender_id": "12"}',
        '{"type": "viewing", "channel": "campaign:3", "sender_id": true}',
        '{"type": "viewing", "channel": "campaign:3", "sender_id": 0}',
        '{"type": "viewing", "channel": "campaign:3", "sender_id": 1, "since": 4}',
        '{"type": "viewing", "sender_id": 1}',
    ):
        try:
            parse_frame("json", bad)
        except ProtocolError as exc:
            assert exc.code == "invalid_frame"
        else:
            raise AssertionError(f"accepted {bad}")


def test_two_admins_see_each_others_viewing(database_url: str, client: TestClient) -> None:
    org = make_org(database_url)
    world = build_world_sync(database_url, org, senders=["Ana", "Ben"])
    owner = login(client, "owner@example.org")
    maya = add_user(client, owner, "maya@example.org", role="admin", first="Maya")
    channel = f"campaign:{world.campaign_id}"
    ana = world.senders["Ana"]

    with client.websocket_connect(f"/ws?token={owner.token}") as olive_ws:
        subscribed(olive_ws, channel)
        with client.websocket_connect(f"/ws?token={maya.token}") as maya_ws:
            subscribed(maya_ws, channel)
            maya_ws.send_json({"type": "viewing", "channel": channel, "sender_id": ana})
            event = next_frame(olive_ws, "viewing")
            assert event == {
                "type": "event",
                "channel": channel,
                "seq": None,
                "kind": "viewing",
                "data": {"user_id": maya.user_id, "sender_id": ana},
            }
            olive_ws.send_json({"type": "viewing", "channel": channel, "sender_id": None})
            assert next_frame(maya_ws, "viewing")["data"] == {"user_id": owner.user_id, "sender_id": None}
            # Neither viewer hears their own frame back: the next thing Olive gets is a pong.
            olive_ws.send_json({"type": "ping"})
            assert olive_ws.receive_json() == {"type": "pong"}
        # Maya closes her tab: Olive sees her view nothing any more.
        assert next_frame(olive_ws, "viewing")["data"] == {"user_id": maya.user_id, "sender_id": None}


def test_a_sender_may_not_announce_viewing_and_the_connection_stays_open(
    database_url: str, client: TestClient
) -> None:
    org = make_org(database_url)
    world = build_world_sync(database_url, org, senders=["Ana"])
    ana = login(client, f"ana.{world.campaign_id}@example.org")
    owner = login(client, "owner@example.org")
    with client.websocket_connect(f"/ws?token={ana.token}") as ws:
        ws.send_json({"type": "viewing", "channel": f"campaign:{world.campaign_id}", "sender_id": None})
        assert next_frame(ws, "error")["code"] == "forbidden"
        ws.send_json({"type": "ping"})
        assert ws.receive_json() == {"type": "pong"}
    with client.websocket_connect(f"/ws?token={owner.token}") as ws:
        sender_channel = f"sender:{world.campaign_id}:{ana.user_id}"
        ws.send_json({"type": "viewing", "channel": sender_channel, "sender_id": None})
        assert next_frame(ws, "error")["code"] == "invalid_channel"
