"""What a client sees on /ws: subscriptions granted and refused, bad frames, resume, revocation."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from typing import Any

import msgpack
import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from persistence.outbox.log import prune
from server.tokens import issue_token
from tests.support.worlds.team import Team, add_member, cause, make_team


def _connect(client: TestClient, token: str | None, proto: str = "json") -> Any:
    url = f"/ws?token={token}" if token else "/ws"
    return client.websocket_connect(url, subprotocols=[proto])


def _subscribe(ws: Any, channel: str, since: int | None = None) -> dict[str, Any]:
    ws.send_json({"type": "subscribe", "channel": channel, "since": since})
    frame: dict[str, Any] = ws.receive_json()
    return frame


def _still_serving(ws: Any) -> None:
    ws.send_json({"type": "ping"})
    assert ws.receive_json() == {"type": "pong"}


def test_admins_watch_campaigns_and_senders_watch_their_own_channel(
    client: TestClient, database_url: str
) -> None:
    team = make_team(client, database_url)
    with _connect(client, team.moe.token) as moe, _connect(client, team.sam.token) as sam:
        assert _subscribe(moe, team.campaign)["type"] == "subscribed"
        assert _subscribe(moe, team.sender(team.sam))["type"] == "subscribed"  # sweepers may watch a sender
        subscribed = _subscribe(sam, team.sender(team.sam))
        assert subscribed["type"] == "subscribed" and subscribed["channel"] == team.sender(team.sam)
        base = subscribed["seq"]
        cause(client, team.sender(team.sam), 2, status="needs_reply")
        events = [sam.receive_json(), sam.receive_json()]
        assert [e["seq"] for e in events] == [base + 1, base + 2]
        assert events[0] == {
            "type": "event",
            "channel": team.sender(team.sam),
            "seq": base + 1,
            "kind": "conversation",
            "data": {"id": 0, "status": "needs_reply"},
        }
        seen = [moe.receive_json() for _ in range(3)]
        presence = [f["data"] for f in seen if f["kind"] == "presence"]
        assert presence == [{"user_id": team.sam.user_id, "online": True}]  # sam came online
        assert [f["seq"] for f in seen if f["channel"] == team.sender(team.sam)] == [base + 1, base + 2]


@pytest.mark.parametrize(
    ("who", "channel", "code"),
    [
        ("sam", "campaign", "forbidden"),  # a sender on a campaign channel
        ("sam", "ria", "forbidden"),  # another sender's channel
        ("stranger", "campaign", "not_found"),  # another organization's campaign
        ("stranger", "sam", "not_found"),
        ("sam", "bogus", "invalid_channel"),
        ("outsider", "own", "forbidden"),  # a sender of the organization, not of this campaign
    ],
)
def test_refused_subscriptions_get_an_error_and_the_connection_stays(
    client: TestClient, database_url: str, who: str, channel: str, code: str
) -> None:
    team = make_team(client, database_url)
    stranger = make_team(client, database_url, name="Other Org", domain="other.example").owner
    outsider = add_member(client, team.org_id, email="out@example.org")
    logins = {"sam": team.sam, "stranger": stranger, "outsider": outsider}
    channels = {
        "campaign": team.campaign,
        "ria": team.sender(team.ria),
        "sam": team.sender(team.sam),
        "bogus": "campaign:abc",
        "own": team.sender(outsider),
    }
    with _connect(client, logins[who].token) as ws:
        frame = _subscribe(ws, channels[channel])
        assert frame["type"] == "error" and frame["code"] == code, frame
        _still_serving(ws)
        cause(client, channels[channel] if channel != "bogus" else team.campaign, 1)
        _still_serving(ws)  # nothing leaked in between


def test_a_sweeper_of_another_organization_cannot_watch_its_campaigns(
    client: TestClient, database_url: str
) -> None:
    team = make_team(client, database_url)
    other = make_team(client, database_url, name="Other Org", domain="other.example")
    with _connect(client, team.owner.token) as ws:
        assert _subscribe(ws, other.campaign)["code"] == "not_found"
        assert _subscribe(ws, team.campaign)["type"] == "subscribed"


def test_bad_tokens_are_closed_with_4001(client: TestClient, database_url: str) -> None:
    team = make_team(client, database_url)
    svc = client.app.state.services  # type: ignore[attr-defined]
    expired = issue_token(svc.secret, team.sam.user_id, team.org_id, 60, now=time.time() - 3600)
    for token in (expired, "not-a-token", None):
        with _connect(client, token) as ws:
            if token is None:
                ws.send_json({"type": "subscribe", "channel": team.campaign})  # not an auth frame
            with pytest.raises(WebSocketDisconnect) as closed:
                ws.receive_json()
            assert closed.value.code == 4001


def test_the_token_may_come_in_the_first_frame(client: TestClient, database_url: str) -> None:
    team = make_team(client, database_url)
    with _connect(client, None) as ws:
        ws.send_json({"type": "auth", "token": team.owner.token})
        assert _subscribe(ws, team.campaign)["type"] == "subscribed"


def test_malformed_frames_get_errors_and_the_connection_stays(client: TestClient, database_url: str) -> None:
    team = make_team(client, database_url)
    with _connect(client, team.owner.token) as ws:
        for bad, code in [
            ("{not json", "invalid_frame"),
            ("[1, 2]", "invalid_frame"),
            ('{"type": "dance"}', "unknown_type"),
            ('{"type": "subscribe"}', "invalid_frame"),
            ('{"type": "subscribe", "channel": "campaign:1", "since": -4}', "invalid_frame"),
            ('{"type": "unsubscribe", "channel": "campaign:1"}', "not_subscribed"),
        ]:
            ws.send_text(bad)
            frame = ws.receive_json()
            assert frame["type"] == "error" and frame["code"] == code, (bad, frame)
        _still_serving(ws)
    with _connect(client, team.owner.token, "msgpack") as ws:
        ws.send_bytes(b"\xc1\xff\x00")
        assert msgpack.unpackb(ws.receive_bytes())["code"] == "invalid_frame"
        ws.send_bytes(msgpack.packb({"type": "ping"}))
        assert msgpack.unpackb(ws.receive_bytes()) == {"type": "pong"}


def test_a_ten_megabyte_frame_is_closed_with_1009_and_others_carry_on(
    client: TestClient, database_url: str
) -> None:
    team = make_team(client, database_url)
    with _connect(client, team.owner.token) as other, _connect(client, team.owner.token) as ws:
        ws.send_text("x" * (10 * 1024 * 1024))
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
        assert closed.value.code == 1009
        _still_serving(other)


def test_a_flood_of_subscribe_frames_is_closed_with_4029_and_others_carry_on(
    client: TestClient, database_url: str
) -> None:
    team = make_team(client, database_url)
    with _connect(client, team.owner.token) as other, _connect(client, team.owner.token) as ws:
        frame = '{"type": "subscribe", "channel": "campaign:abc"}'
        closed_with = None
        try:
            for _ in range(10_000):
                ws.send_text(frame)
            for _ in range(10_001):
                ws.receive_json()
        except WebSocketDisconnect as exc:
            closed_with = exc.code
        assert closed_with == 4029
        _still_serving(other)


def _events(ws: Any, count: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    while len(out) < count:
        frame = ws.receive_json()
        if frame["type"] == "event":
            out.append(frame)
    return out


def _current(client: TestClient, team: Team, channel: str) -> int:
    with _connect(client, team.owner.token) as ws:
        seq: int = _subscribe(ws, channel)["seq"]
        return seq


def test_resume_with_since_replays_then_continues_live(client: TestClient, database_url: str) -> None:
    team = make_team(client, database_url)
    base = _current(client, team, team.campaign)
    cause(client, team.campaign, 5)
    with _connect(client, team.owner.token) as ws:
        frame = _subscribe(ws, team.campaign, since=base + 2)
        assert frame == {"type": "subscribed", "channel": team.campaign, "seq": base + 5}
        assert [e["seq"] - base for e in _events(ws, 3)] == [3, 4, 5]
        cause(client, team.campaign, 2)
        assert [e["seq"] - base for e in _events(ws, 2)] == [6, 7]
        _still_serving(ws)  # nothing twice


def test_resume_from_a_forgotten_or_foreign_seq_asks_for_a_resync(
    client: TestClient, database_url: str
) -> None:
    team = make_team(client, database_url)
    base = _current(client, team, team.campaign)
    cause(client, team.campaign, 5)
    svc = client.app.state.services  # type: ignore[attr-defined]

    async def forget() -> None:
        async with svc.db.transaction() as session:
            await prune(session, retention=timedelta(seconds=-1))

    client.portal.call(forget)  # type: ignore[union-attr]
    with _connect(client, team.owner.token) as ws:
        assert _subscribe(ws, team.campaign, since=base + 1)["seq"] == base + 5
        assert ws.receive_json() == {"type": "resync", "channel": team.campaign, "seq": base + 5}
        current = _subscribe(ws, team.sender(team.sam), since=400)["seq"]  # never had seq 400
        assert ws.receive_json() == {"type": "resync", "channel": team.sender(team.sam), "seq": current}
        cause(client, team.campaign, 1)
        assert _events(ws, 1)[0]["seq"] == base + 6


def test_removing_a_sender_ends_their_subscription_at_once(client: TestClient, database_url: str) -> None:
    team = make_team(client, database_url)
    with _connect(client, team.sam.token) as sam:
        _subscribe(sam, team.sender(team.sam))
        response = client.delete(
            f"/api/campaigns/{team.campaign_id}/senders/{team.sam.user_id}", headers=team.owner.headers
        )
        assert response.status_code in (200, 204), response.text
        frames = [sam.receive_json()]
        while frames[-1]["type"] != "error":
            frames.append(sam.receive_json())
        assert frames[-1]["code"] == "access_revoked" and frames[-1]["channel"] == team.sender(team.sam)
        cause(client, team.sender(team.sam), 1)
        _still_serving(sam)  # the event did not arrive
        assert _subscribe(sam, team.sender(team.sam))["code"] == "forbidden"


def test_deactivating_a_user_closes_their_connections_with_4003(
    client: TestClient, database_url: str
) -> None:
    team = make_team(client, database_url)
    with _connect(client, team.moe.token) as moe:
        _subscribe(moe, team.campaign)
        response = client.patch(
            f"/api/users/{team.moe.user_id}", headers=team.owner.headers, json={"active": False}
        )
        assert response.status_code == 200, response.text
        with pytest.raises(WebSocketDisconnect) as closed:
            while True:
                moe.receive_json()
        assert closed.value.code == 4003


def _presence_events(ws: Any, expect: int = 0, settle: float = 0.5) -> list[dict[str, Any]]:
    """The next ``expect`` presence events; then, after ``settle`` seconds, any more before a pong."""
    out: list[dict[str, Any]] = []
    while len(out) < expect:
        frame = ws.receive_json()
        if frame.get("kind") == "presence":
            out.append(frame["data"])
    time.sleep(settle)  # give the presence worker time to send what it should not
    ws.send_json({"type": "ping"})
    while (frame := ws.receive_json())["type"] != "pong":
        if frame.get("kind") == "presence":
            out.append(frame["data"])
    return out


def test_presence_is_one_event_per_change_not_per_tab(client: TestClient, database_url: str) -> None:
    team = make_team(client, database_url)
    with _connect(client, team.owner.token) as admin:
        _subscribe(admin, team.campaign)
        with _connect(client, team.sam.token) as tab1:
            _subscribe(tab1, team.sender(team.sam))
            assert _presence_events(admin, 1) == [{"user_id": team.sam.user_id, "online": True}]
            with _connect(client, team.sam.token) as tab2:
                _subscribe(tab2, team.sender(team.sam))
                assert _presence_events(admin) == []
                response = client.get(
                    f"/api/campaigns/{team.campaign_id}/overview", headers=team.owner.headers
                )
                if response.status_code == 200:
                    online = {row["user_id"]: row["online"] for row in response.json()["senders"]}
                    assert online[team.sam.user_id] is True and online[team.ria.user_id] is False
            assert _presence_events(admin) == []  # one tab left
        assert _presence_events(admin, 1) == [{"user_id": team.sam.user_id, "online": False}]


def test_metrics_are_prometheus_text(client: TestClient, database_url: str) -> None:
    team: Team = make_team(client, database_url)
    with _connect(client, team.owner.token) as ws:
        _subscribe(ws, team.campaign)
        cause(client, team.campaign, 2)
        _events(ws, 2)
        text = client.get("/metrics").text
    assert "# TYPE shiftline_live_deliveries_total counter" in text
    assert "shiftline_live_connections 1" in text
    assert "shiftline_live_subscriptions 1" in text
    assert "shiftline_live_event_log_unpublished" in text
    assert asyncio is not None


def test_after_unsubscribing_no_event_of_the_channel_arrives(client: TestClient, database_url: str) -> None:
    team = make_team(client, database_url)
    with _connect(client, team.owner.token) as ws:
        _subscribe(ws, team.campaign)
        ws.send_json({"type": "unsubscribe", "channel": team.campaign})
        _still_serving(ws)  # frames are handled in order: the unsubscribe is done
        cause(client, team.campaign, 2)
        _still_serving(ws)  # the pong is the next frame: nothing of the channel came
