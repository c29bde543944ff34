"""Reassigning over HTTP: the contract's answers and JSON errors."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.support.worlds.accounts import Login, login, make_org, sync
from tests.support.worlds.sweep import SweepWorld, add_conversations, build_world_sync, snapshot


def setup(database_url: str, client: TestClient) -> tuple[SweepWorld, Login]:
    org = make_org(database_url)
    world = build_world_sync(database_url, org, senders=["Ana", "Ben"])
    return world, login(client, "owner@example.org")


def sender_login(client: TestClient, world: SweepWorld, name: str) -> Login:
    return login(client, f"{name.lower()}.{world.campaign_id}@example.org")


def test_an_admin_distributes_six_unassigned_conversations_to_two_senders(
    database_url: str, client: TestClient
) -> None:
    world, owner = setup(database_url, client)
    sync(database_url, lambda db: add_conversations(db, world, 6))
    ana, ben = world.senders["Ana"], world.senders["Ben"]

    response = client.post(
        f"/api/campaigns/{world.campaign_id}/reassign",
        json={"action": "reassign_all", "from": None, "to": [ana, ben]},
        headers=owner.headers,
    )

    assert response.status_code == 200, response.text
    assert response.json() == {"moved": 6, "per_target": {str(ana): 3, str(ben): 3}}
    overview = client.get(f"/api/campaigns/{world.campaign_id}/overview", headers=owner.headers).json()
    assert [(row["user_id"], row["assigned"]) for row in overview["senders"]] == [
        (None, 0),
        (ana, 3),
        (ben, 3),
    ]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"action": "shuffle"}, 422, "invalid_action"),
        ({"action": "reassign_all", "status": "sleeping", "to": "all_senders"}, 422, "invalid_status"),
        ({"action": "reassign_some", "count": 0, "to": "all_senders"}, 422, "invalid_count"),
        ({"action": "reassign_some", "count": -1, "to": "all_senders"}, 422, "invalid_count"),
        ({"action": "reassign_some", "count": "lots", "to": "all_senders"}, 422, "invalid_count"),
        ({"action": "reassign_all", "from": None, "to": [123456]}, 422, "not_a_sender"),
    ],
)
def test_bad_input_gets_a_clear_json_error_and_nothing_moves(
    database_url: str, client: TestClient, body: dict[str, Any], status: int, code: str
) -> None:
    world, owner = setup(database_url, client)
    sync(database_url, lambda db: add_conversations(db, world, 3))
    before = sync(database_url, lambda db: snapshot(db, world.campaign_id))
    response = client.post(f"/api/campaigns/{world.campaign_id}/reassign", json=body, headers=owner.headers)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code and error["message"]
    assert sync(database_url, lambda db: snapshot(db, world.campaign_id)) == before


def test_not_json_and_not_an_object_are_refused(database_url: str, client: TestClient) -> None:
    world, owner = setup(database_url, client)
    url = f"/api/campaigns/{world.campaign_id}/reassign"
    assert client.post(url, content=b"{", headers=owner.headers).status_code == 400
    assert client.post(url, json=[1], headers=owner.headers).status_code == 422


def test_a_sender_may_not_sweep(database_url: str, client: TestClient) -> None:
    world, _owner = setup(database_url, client)
    ana = sender_login(client, world, "Ana")
    response = client.post(
        f"/api/campaigns/{world.campaign_id}/reassign",
        json={"action": "unassign_all"},
        headers=ana.headers,
    )
    assert response.status_code == 403
    assert client.post(f"/api/campaigns/{world.campaign_id}/reassign", json={}).status_code == 401


def test_one_conversation_moves_to_a_friends_sender(database_url: str, client: TestClient) -> None:
    world, owner = setup(database_url, client)
    ana, ben = world.senders["Ana"], world.senders["Ben"]
    [conv] = sync(
        database_url, lambda db: add_conversations(db, world, 1, state="needs_reply", assigned_to=ana)
    )
    url = f"/api/conversations/{conv}/reassign"

    response = client.post(url, json={"to": ben}, headers=owner.headers)
    assert response.json() == {"moved": 1, "per_target": {str(ben): 1}}
    response = client.post(url, json={"to": None}, headers=owner.headers)
    assert response.json() == {"moved": 1, "per_target": {"unassigned": 1}}
    assert (
        client.post(url, json={"to": 424242}, headers=owner.headers).json()["error"]["code"] == "not_a_sender"
    )
    assert client.post(url, json={}, headers=owner.headers).status_code == 422
    assert client.post(url, json={"to": "ben"}, headers=owner.headers).status_code == 422


def test_a_conversation_of_another_organization_is_not_found(database_url: str, client: TestClient) -> None:
    world, _owner = setup(database_url, client)
    [conv] = sync(database_url, lambda db: add_conversations(db, world, 1))
    make_org(database_url, "Other Org", email="boss@other.example.org")
    stranger = login(client, "boss@other.example.org")
    response = client.post(f"/api/conversations/{conv}/reassign", json={"to": None}, headers=stranger.headers)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    response = client.post(
        f"/api/campaigns/{world.campaign_id}/reassign",
        json={"action": "unassign_all"},
        headers=stranger.headers,
    )
    assert response.status_code == 404


def test_removing_a_sender_returns_their_conversations_to_the_pool(
    database_url: str, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    revoked: list[tuple[int, int | None]] = []

    async def revoke_access(_svc: object, *, user_id: int, campaign_id: int | None = None) -> None:
        revoked.append((user_id, campaign_id))

    monkeypatch.setattr("server.live.runtime.revoke_access", revoke_access)
    world, owner = setup(database_url, client)
    ben = world.senders["Ben"]
    sync(database_url, lambda db: add_conversations(db, world, 4, assigned_to=ben))
    url = f"/api/campaigns/{world.campaign_id}/senders/{ben}"

    response = client.delete(url, headers=owner.headers)

    assert response.status_code == 200, response.text
    assert response.json() == {"removed": ben, "moved": 4, "per_target": {"unassigned": 4}}
    overview = client.get(f"/api/campaigns/{world.campaign_id}/overview", headers=owner.headers).json()
    assert [row["user_id"] for row in overview["senders"]] == [None, world.senders["Ana"]]
    assert overview["senders"][0]["assigned"] == 4
    assert revoked == [(ben, world.campaign_id)]
    assert client.delete(url, headers=owner.headers).status_code == 404
    assert revoked == [(ben, world.campaign_id)]
