"""Two people typing in the same conversation are told so: live only, never logged."""

from __future__ import annotations

import json
from typing import Any

import pytest
from starlette.testclient import TestClient

from server.live.protocol import ProtocolError, Typing, parse_frame
from tests.server.shift.test_viewing import next_frame, subscribed
from tests.support.worlds.accounts import add_user, login, make_org, sync
from tests.support.worlds.sweep import add_conversations, build_world_sync


def test_the_typing_frame_parses() -> None:
    frame = '{"type": "typing", "channel": "campaign:3", "conversation_id": 12}'
    assert parse_frame("json", frame) == Typing("campaign:3", 12)


@pytest.mark.parametrize(
    "bad",
    [
        {"type": "typing", "channel": "campaign:3"},
        {"type": "typing", "conversation_id": 3},
        {"type": "typing", "channel": "campaign:3", "conversation_id": "12"},
        {"type": "typing", "channel": "campaign:3", "conversation_id": True},
        {"type": "typing", "channel": "campaign:3", "conversation_id": 0},
        {"type": "typing", "channel": "campaign:3", "conversation_id": 10**18},
        {"type": "typing", "channel": "campaign:3", "conversation_id": None},
        {"type": "typing", "channel": "campaign:3", "conversation_id": 1, "text": "hi"},
        {"type": "typing", "channel": 3, "conversation_id": 1},
    ],
)
def test_bad_typing_frames_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ProtocolError) as refused:
        parse_frame("json", json.dumps(bad))
    assert refused.value.code == "invalid_frame"


def test_an_admin_and_the_sender_typing_in_one_conversation_each_hear_of_the_other(
    database_url: str, client: TestClient
) -> None:
    world = build_world_sync(database_url, make_org(database_url), senders=["Ana", "Ben"])
    cid, ana_id = world.campaign_id, world.senders["Ana"]
    (conversation,) = sync(
        database_url, lambda db: add_conversations(db, world, 1, state="needs_reply", assigned_to=ana_id)
    )
    owner = login(client, "owner@example.org")
    maya = add_user(client, owner, "maya@example.org", role="admin", first="Maya")
    ana = login(client, f"ana.{cid}@example.org")
    ben = login(client, f"ben.{cid}@example.org")
    campaign, ana_channel = f"campaign:{cid}", f"sender:{cid}:{ana_id}"

    with (
        client.websocket_connect(f"/ws?token={owner.token}") as olive_ws,
        client.websocket_connect(f"/ws?token={maya.token}") as maya_ws,
        client.websocket_connect(f"/ws?token={ana.token}") as ana_ws,
        client.websocket_connect(f"/ws?token={ben.token}") as ben_ws,
    ):
        # Olive watches the campaign and Ana's channel: she hears each typing once.
        subscribed(olive_ws, campaign)
        subscribed(olive_ws, ana_channel)
        subscribed(maya_ws, campaign)
        subscribed(ana_ws, ana_channel)
        subscribed(ben_ws, f"sender:{cid}:{ben.user_id}")

        olive_ws.send_json({"type": "typing", "channel": campaign, "conversation_id": conversation})
        heard = next_frame(ana_ws, "typing")
        assert heard == {
            "type": "event",
            "channel": ana_channel,
            "seq": None,
            "kind": "typing",
            "data": {
                "user_id": owner.user_id,
                "conversation_id": conversation,
                "first_name": "Olive",
                "last_name": "Owner",
            },
        }
        assert next_frame(maya_ws, "typing")["data"]["user_id"] == owner.user_id

        ana_ws.send_json({"type": "typing", "channel": ana_channel, "conversation_id": conversation})
        heard = next_frame(olive_ws, "typing")
        assert heard["channel"] == campaign
        assert heard["data"]["user_id"] == ana_id and heard["data"]["conversation_id"] == conversation
        # Once, not again through Ana's channel; and never back to the typist or to Ben.
        for ws in (olive_ws, ana_ws, ben_ws):
            ws.send_json({"type": "ping"})
            # Other live news (a presence change arriving late) may come first; no typing may.
            assert [f.get("kind") for f in frames_until_pong(ws)].count("typing") == 0


def test_typing_where_one_may_not_see_is_refused_and_the_connection_stays_open(
    database_url: str, client: TestClient
) -> None:
    world = build_world_sync(database_url, make_org(database_url), senders=["Ana", "Ben"])
    cid, ana_id = world.campaign_id, world.senders["Ana"]
    (conversation,) = sync(
        database_url, lambda db: add_conversations(db, world, 1, state="needs_reply", assigned_to=ana_id)
    )
    other = build_world_sync(database_url, world.organization_id, senders=[])
    ben = login(client, f"ben.{cid}@example.org")
    owner = login(client, "owner@example.org")
    with client.websocket_connect(f"/ws?token={ben.token}") as ws:
        # Ana's conversation, through Ben's own channel; then through Ana's.
        ws.send_json(
            {"type": "typing", "channel": f"sender:{cid}:{ben.user_id}", "conversation_id": conversation}
        )
        assert next_frame(ws, "error")["code"] == "not_found"
        ws.send_json({"type": "typing", "channel": f"sender:{cid}:{ana_id}", "conversation_id": conversation})
        assert next_frame(ws, "error")["code"] == "forbidden"
        ws.send_json({"type": "ping"})
        assert ws.receive_json() == {"type": "pong"}
    with client.websocket_connect(f"/ws?token={owner.token}") as ws:
        # A conversation of another campaign than the channel's.
        ws.send_json(
            {"type": "typing", "channel": f"campaign:{other.campaign_id}", "conversation_id": conversation}
        )
        assert next_frame(ws, "error")["code"] == "not_found"
        ws.send_json({"type": "typing", "channel": f"campaign:{cid}", "conversation_id": 10**17})
        assert next_frame(ws, "error")["code"] == "not_found"


def frames_until_pong(ws: Any) -> list[dict[str, Any]]:
    """The frames a connection receives before the pong of the ping just sent."""
    frames: list[dict[str, Any]] = []
    while (frame := ws.receive_json()) != {"type": "pong"}:
        frames.append(frame)
    return frames
