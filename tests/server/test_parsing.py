"""Strict request bodies over HTTP: the stories where a careless or hostile body did harm."""

from __future__ import annotations

import json
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from server.errors import ApiError
from server.parsing import decode_json
from server.providers import Simulator
from tests.support.worlds.accounts import Login, login, make_org, sync
from tests.support.worlds.messaging import build_sync
from tests.support.worlds.sweep import add_conversations, build_world_sync, snapshot

HUGE = 2**64  # beyond any 64-bit column: a 500 from the driver before


def _error(response: Any, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code, error
    message: str = error["message"]
    return message


def test_a_typo_in_a_bulk_move_is_refused_and_nothing_moves(database_url: str, client: TestClient) -> None:
    org = make_org(database_url)
    world = build_world_sync(database_url, org, senders=["Ana", "Ben"])
    owner = login(client, "owner@example.org")
    sync(database_url, lambda db: add_conversations(db, world, 4))
    before = sync(database_url, lambda db: snapshot(db, world.campaign_id))
    url = f"/api/campaigns/{world.campaign_id}/reassign"
    ana = world.senders["Ana"]
    # "stauts" once moved every status; "form" once widened a move to the whole campaign.
    for body in (
        {"action": "reassign_all", "from": None, "to": [ana], "stauts": "needs_reply"},
        {"action": "reassign_some", "form": [world.senders["Ben"]], "count": 2, "to": [ana]},
    ):
        message = _error(client.post(url, json=body, headers=owner.headers), 422, "unknown_field")
        assert ("stauts" in message) or ("form" in message)
    assert sync(database_url, lambda db: snapshot(db, world.campaign_id)) == before


def test_a_reply_body_cannot_choose_its_own_scope(database_url: str, client: TestClient) -> None:
    world = build_sync(database_url, assign=["Sam"])
    owner = login(client, "owner@example.org")
    body = {"title": "Thanks", "body": "Thank you!", "campaign_id": world.campaign_id}
    assert "campaign_id" in _error(
        client.post("/api/replies", json=body, headers=owner.headers), 422, "unknown_field"
    )
    assert client.get("/api/replies", headers=owner.headers).json()["replies"] == []


def test_a_misspelt_note_is_not_texted_to_the_contact(
    database_url: str, client: TestClient, app: Starlette
) -> None:
    world = build_sync(database_url, assign=["Sam"])
    sam = login(client, "sam@example.org")
    conversation = world.conversations[0]
    response = client.post(
        f"/api/conversations/{conversation}/messages",
        json={"body": "Internal: call back tomorrow", "nte": True},
        headers=sam.headers,
    )
    assert "nte" in _error(response, 422, "unknown_field")
    provider = app.state.services.provider
    assert isinstance(provider, Simulator) and not provider.sent
    thread = client.get(f"/api/conversations/{conversation}", headers=sam.headers).json()
    assert thread["messages"] == []


def _owner(database_url: str, client: TestClient) -> tuple[int, Login]:
    org = make_org(database_url)
    world = build_world_sync(database_url, org, senders=["Ana"], self_assign=True)
    return world.campaign_id, login(client, "owner@example.org")


def test_json_sent_as_another_media_type_is_refused(database_url: str, client: TestClient) -> None:
    cid, owner = _owner(database_url, client)
    raw = json.dumps({"title": "t", "body": "b"}).encode()
    for content_type in ("text/plain", "application/x-www-form-urlencoded", None):
        headers = dict(owner.headers)
        if content_type:
            headers["content-type"] = content_type
        response = client.post(f"/api/campaigns/{cid}/replies", content=raw, headers=headers)
        _error(response, 400, "unsupported_media_type")
    ok = client.post(
        f"/api/campaigns/{cid}/replies",
        content=raw,
        headers={**owner.headers, "content-type": "application/json; charset=utf-8"},
    )
    assert ok.status_code == 201, ok.text


@pytest.mark.parametrize("depth", [100, 5_000])
def test_deeply_nested_json_is_a_clear_400(database_url: str, client: TestClient, depth: int) -> None:
    cid, owner = _owner(database_url, client)
    raw = b'{"title": "t", "body": ' + b"[" * depth + b"]" * depth + b"}"
    response = client.post(
        f"/api/campaigns/{cid}/replies",
        content=raw,
        headers={**owner.headers, "content-type": "application/json"},
    )
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] in ("too_deep", "invalid_json")
    # The connection and the server are fine afterwards.
    assert client.get(f"/api/campaigns/{cid}/replies", headers=owner.headers).status_code == 200


def test_a_key_given_twice_is_refused_not_resolved(database_url: str, client: TestClient) -> None:
    cid, owner = _owner(database_url, client)
    raw = b'{"action": "unassign_all", "from": [1], "from": null}'
    response = client.post(
        f"/api/campaigns/{cid}/reassign",
        content=raw,
        headers={**owner.headers, "content-type": "application/json"},
    )
    assert "from" in _error(response, 400, "duplicate_key")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/campaigns/{huge}/overview"),
        ("GET", "/api/campaigns/{huge}/me"),
        ("POST", "/api/campaigns/{huge}/reassign"),
        ("POST", "/api/campaigns/{huge}/self-assign"),
        ("POST", "/api/conversations/{huge}/reassign"),
        ("DELETE", "/api/campaigns/{cid}/senders/{huge}"),
        ("GET", "/api/campaigns/{huge}"),
        ("PATCH", "/api/users/{huge}"),
    ],
)
def test_ids_beyond_64_bits_in_a_path_are_not_found(
    database_url: str, client: TestClient, method: str, path: str
) -> None:
    cid, owner = _owner(database_url, client)
    url = path.format(huge=99999999999999999999, cid=cid)
    response = client.request(method, url, json={"count": 1}, headers=owner.headers)
    _error(response, 404, "not_found")


def test_integers_beyond_64_bits_in_a_body_are_refused(database_url: str, client: TestClient) -> None:
    org = make_org(database_url)
    world = build_world_sync(database_url, org, senders=["Ana"], self_assign=True)
    sync(database_url, lambda db: add_conversations(db, world, 2))
    owner = login(client, "owner@example.org")
    cid = world.campaign_id
    before = sync(database_url, lambda db: snapshot(db, cid))
    conversation = next(iter(before))
    refused = [
        client.post(f"/api/campaigns/{cid}/senders", json={"user_ids": [HUGE]}, headers=owner.headers),
        client.post(f"/api/conversations/{conversation}/reassign", json={"to": HUGE}, headers=owner.headers),
        client.post(
            f"/api/campaigns/{cid}/reassign",
            json={"action": "reassign_some", "count": HUGE, "to": "all_senders"},
            headers=owner.headers,
        ),
        client.post(
            f"/api/campaigns/{cid}/reassign",
            json={"action": "reassign_all", "to": [HUGE]},
            headers=owner.headers,
        ),
        client.get(f"/api/campaigns/{cid}/conversations", params={"limit": str(HUGE)}, headers=owner.headers),
    ]
    for response in refused:
        assert response.status_code == 422, response.text
    assert sync(database_url, lambda db: snapshot(db, cid)) == before


def test_colons_inside_strings_are_not_taken_for_keys() -> None:
    assert decode_json(b'{"a": "x:y:z", "b": {"c": "\\":"}}') == {"a": "x:y:z", "b": {"c": '":'}}
    with pytest.raises(ApiError) as caught:
        decode_json(b'{"a": "x:y", "b": {"c": 1, "c": 2}}')
    assert caught.value.code == "duplicate_key" and "'c'" in caught.value.message
