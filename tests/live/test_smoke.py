from __future__ import annotations

from starlette.testclient import TestClient

from tests.live.helpers import cause, make_team


def test_an_admin_sees_an_event_live(client: TestClient, database_url: str) -> None:
    team = make_team(client, database_url)
    with client.websocket_connect(f"/ws?token={team.owner.token}", subprotocols=["json"]) as ws:
        ws.send_json({"type": "subscribe", "channel": team.campaign, "since": None})
        first = ws.receive_json()
        assert first["type"] == "subscribed", first
        cause(client, team.campaign, 3)
        events = [ws.receive_json() for _ in range(3)]
        assert [e["seq"] for e in events] == [first["seq"] + 1, first["seq"] + 2, first["seq"] + 3]
