"""``GET /api/campaigns/{cid}/overview`` over HTTP."""

from __future__ import annotations

import time

from starlette.testclient import TestClient

from tests.support.worlds.accounts import login, make_org, sync
from tests.support.worlds.sweep import add_conversations, build_world_sync


def test_the_overview_answers_the_contracts_shape(database_url: str, client: TestClient) -> None:
    org = make_org(database_url)
    world = build_world_sync(database_url, org, senders=["Zoe", "Ana"])
    zoe = world.senders["Zoe"]
    sync(database_url, lambda db: add_conversations(db, world, 3, state="needs_reply", assigned_to=zoe))
    sync(database_url, lambda db: add_conversations(db, world, 2))
    owner = login(client, "owner@example.org")
    url = f"/api/campaigns/{world.campaign_id}/overview"

    body = client.get(url, headers=owner.headers).json()
    assert {k: body[k] for k in ("total", "not_started", "needs_reply")} == {
        "total": 5,
        "not_started": 2,
        "needs_reply": 3,
    }
    assert body["senders"][0] == {
        "user_id": None,
        "first_name": "Unassigned",
        "last_name": "",
        "online": False,
        "assigned": 2,
        "sent": 0,
        "needs_reply": 0,
        "oldest_needs_reply_at": None,
        "last_action_at": None,
        "sent_last_10_min": 0,
    }
    assert [r["first_name"] for r in body["senders"]] == ["Unassigned", "Ana", "Zoe"]
    by_need = client.get(url, params={"sort": "needs_reply", "order": "desc"}, headers=owner.headers).json()
    assert [r["first_name"] for r in by_need["senders"]] == ["Unassigned", "Zoe", "Ana"]
    found = client.get(url, params={"search": "ZO"}, headers=owner.headers).json()
    assert [r["first_name"] for r in found["senders"]] == ["Unassigned", "Zoe"]


def test_bad_queries_and_the_wrong_people_get_json_errors(database_url: str, client: TestClient) -> None:
    org = make_org(database_url)
    world = build_world_sync(database_url, org, senders=["Ana"])
    owner = login(client, "owner@example.org")
    url = f"/api/campaigns/{world.campaign_id}/overview"
    response = client.get(url, params={"sort": "speed"}, headers=owner.headers)
    assert response.status_code == 422 and response.json()["error"]["code"] == "invalid_sort"
    assert client.get(url, params={"order": "sideways"}, headers=owner.headers).status_code == 422
    ana = login(client, f"ana.{world.campaign_id}@example.org")
    assert client.get(url, headers=ana.headers).status_code == 403
    assert client.get(url).status_code == 401
    assert (
        client.get(f"/api/campaigns/{world.campaign_id + 100}/overview", headers=owner.headers).status_code
        == 404
    )


def test_a_sender_watching_their_channel_is_online_in_the_overview(
    database_url: str, client: TestClient
) -> None:
    org = make_org(database_url)
    world = build_world_sync(database_url, org, senders=["Ana", "Ben"])
    owner = login(client, "owner@example.org")
    ana = login(client, f"ana.{world.campaign_id}@example.org")
    url = f"/api/campaigns/{world.campaign_id}/overview"

    def online() -> dict[str, bool]:
        rows = client.get(url, headers=owner.headers).json()["senders"]
        return {row["first_name"]: row["online"] for row in rows}

    assert online() == {"Unassigned": False, "Ana": False, "Ben": False}
    with client.websocket_connect(f"/ws?token={ana.token}") as ws:
        ws.send_json(
            {"type": "subscribe", "channel": f"sender:{world.campaign_id}:{ana.user_id}", "since": None}
        )
        assert ws.receive_json()["type"] == "subscribed"
        deadline = time.monotonic() + 5
        while online()["Ana"] is not True and time.monotonic() < deadline:
            time.sleep(0.05)
        assert online() == {"Unassigned": False, "Ana": True, "Ben": False}
