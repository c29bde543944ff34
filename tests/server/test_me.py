"""``GET /api/campaigns/{cid}/me``: a sender reads their own counters."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.support.worlds.accounts import login, make_org, sync
from tests.support.worlds.sweep import add_conversations, build_world_sync


def test_a_sender_reads_their_own_counters_and_nobody_elses(database_url: str, client: TestClient) -> None:
    org = make_org(database_url)
    world = build_world_sync(database_url, org, senders=["Ana", "Ben"])
    ana_id, ben_id = world.senders["Ana"], world.senders["Ben"]
    sync(database_url, lambda db: add_conversations(db, world, 2, state="needs_reply", assigned_to=ana_id))
    sync(database_url, lambda db: add_conversations(db, world, 1, state="sent", assigned_to=ana_id))
    sync(database_url, lambda db: add_conversations(db, world, 3, assigned_to=ana_id))
    sync(database_url, lambda db: add_conversations(db, world, 4))
    url = f"/api/campaigns/{world.campaign_id}/me"

    ana = login(client, f"ana.{world.campaign_id}@example.org")
    response = client.get(url, headers=ana.headers)
    assert response.status_code == 200, response.text
    assert response.json() == {"user_id": ana_id, "assigned": 6, "sent": 3, "needs_reply": 2}
    # Nothing assigned yet: zeros, not an error.
    ben = login(client, f"ben.{world.campaign_id}@example.org")
    assert client.get(url, headers=ben.headers).json() == {
        "user_id": ben_id,
        "assigned": 0,
        "sent": 0,
        "needs_reply": 0,
    }
    # A sweeper gets their own row too (here: nothing assigned to the owner).
    owner = login(client, "owner@example.org")
    assert client.get(url, headers=owner.headers).json() == {
        "user_id": owner.user_id,
        "assigned": 0,
        "sent": 0,
        "needs_reply": 0,
    }


def test_the_counters_follow_a_reassignment(database_url: str, client: TestClient) -> None:
    org = make_org(database_url)
    world = build_world_sync(database_url, org, senders=["Ana"])
    sync(database_url, lambda db: add_conversations(db, world, 5))
    owner = login(client, "owner@example.org")
    ana = login(client, f"ana.{world.campaign_id}@example.org")
    url = f"/api/campaigns/{world.campaign_id}/me"
    assert client.get(url, headers=ana.headers).json()["assigned"] == 0

    moved = client.post(
        f"/api/campaigns/{world.campaign_id}/reassign",
        headers=owner.headers,
        json={"action": "reassign_some", "from": [None], "count": 3, "to": [world.senders["Ana"]]},
    )
    assert moved.status_code == 200, moved.text
    assert client.get(url, headers=ana.headers).json() == {
        "user_id": world.senders["Ana"],
        "assigned": 3,
        "sent": 0,
        "needs_reply": 0,
    }


def test_outsiders_are_refused(database_url: str, client: TestClient) -> None:
    org = make_org(database_url)
    world = build_world_sync(database_url, org, senders=["Ana"])
    other_campaign = build_world_sync(database_url, org, senders=["Cleo"])
    url = f"/api/campaigns/{world.campaign_id}/me"

    cleo = login(client, f"cleo.{other_campaign.campaign_id}@example.org")
    refused = client.get(url, headers=cleo.headers)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "forbidden"

    make_org(database_url, "Elsewhere", email="boss@elsewhere.example")
    stranger = login(client, "boss@elsewhere.example")
    hidden = client.get(url, headers=stranger.headers)
    assert hidden.status_code == 404
    assert hidden.json()["error"]["code"] == "not_found"

    assert client.get(url).status_code == 401
    owner = login(client, "owner@example.org")
    assert (
        client.get(f"/api/campaigns/{world.campaign_id + 100}/me", headers=owner.headers).status_code == 404
    )
