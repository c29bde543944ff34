"""``POST /api/campaigns/{cid}/self-assign`` over HTTP."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.support.worlds.accounts import login, make_org, sync
from tests.support.worlds.sweep import add_conversations, build_world_sync, snapshot


def test_a_sender_takes_conversations_where_the_campaign_allows_it(
    database_url: str, client: TestClient
) -> None:
    org = make_org(database_url)
    open_world = build_world_sync(database_url, org, senders=["Ana"], self_assign=True)
    ids = sync(database_url, lambda db: add_conversations(db, open_world, 4))
    ana = login(client, f"ana.{open_world.campaign_id}@example.org")

    response = client.post(
        f"/api/campaigns/{open_world.campaign_id}/self-assign", json={"count": 3}, headers=ana.headers
    )

    assert response.status_code == 200, response.text
    assert response.json() == {"count": 3, "conversation_ids": ids[:3]}


def test_refusals_are_json_and_change_nothing(database_url: str, client: TestClient) -> None:
    org = make_org(database_url)
    closed = build_world_sync(database_url, org, senders=["Bo"], self_assign=False)
    sync(database_url, lambda db: add_conversations(db, closed, 2))
    bo = login(client, f"bo.{closed.campaign_id}@example.org")
    url = f"/api/campaigns/{closed.campaign_id}/self-assign"

    response = client.post(url, json={"count": 1}, headers=bo.headers)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "self_assign_disabled"
    for count in (0, -5, "two", 1.5, None):
        response = client.post(url, json={"count": count}, headers=bo.headers)
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "invalid_count"
    assert set(sync(database_url, lambda db: snapshot(db, closed.campaign_id)).values()) == {None}
