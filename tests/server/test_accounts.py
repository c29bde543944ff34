"""An organizer logs in, adds their team, and nobody crosses organizations."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from server.live import runtime as live
from server.services import Services
from tests.support.worlds.accounts import PASSWORD, Login, add_user, login, make_org


def test_owner_logs_in_and_adds_a_sender(client: TestClient, database_url: str) -> None:
    make_org(database_url)
    owner = login(client, "owner@example.org")
    response = client.post(
        "/api/users",
        headers=owner.headers,
        json={
            "email": "sam@example.org",
            "password": "texting-is-fun",
            "first_name": "Sam",
            "last_name": "Sender",
            "role": "sender",
        },
    )
    assert response.status_code == 201, response.text
    assert response.json()["role"] == "sender"
    sam = login(client, "sam@example.org", "texting-is-fun")
    assert sam.user_id == response.json()["id"]


def test_login_answer_has_the_contract_shape(client: TestClient, database_url: str) -> None:
    make_org(database_url)
    body = client.post("/api/login", json={"email": "OWNER@example.org", "password": PASSWORD}).json()
    assert set(body) == {"token", "user"}
    assert {"id", "role", "first_name", "last_name"} <= set(body["user"])
    assert body["user"]["role"] == "owner"


def test_wrong_password_is_refused_and_then_slowed_down(client: TestClient, database_url: str) -> None:
    make_org(database_url)
    statuses = [
        client.post("/api/login", json={"email": "owner@example.org", "password": "nope"}).status_code
        for _ in range(7)
    ]
    assert statuses[:5] == [401] * 5
    assert 429 in statuses[5:]
    refused = client.post("/api/login", json={"email": "owner@example.org", "password": PASSWORD})
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "too_many_attempts"
    assert "Retry-After" in refused.headers


def test_calls_without_a_valid_token_are_unauthorized(client: TestClient, database_url: str) -> None:
    make_org(database_url)
    for headers in ({}, {"Authorization": "Bearer forged.token"}, {"Authorization": "Basic abc"}):
        response = client.post("/api/users", headers=headers, json={})
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthorized"


def test_bad_json_gets_a_json_error(client: TestClient, database_url: str) -> None:
    make_org(database_url)
    response = client.post("/api/login", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_json"
    response = client.post("/api/login", json=["a", "list"])
    assert response.status_code == 422


def test_health_answers_without_a_token(client: TestClient) -> None:
    response = client.get("/api/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_sweepers_list_the_organizations_users(client: TestClient, database_url: str) -> None:
    make_org(database_url)
    make_org(database_url, "Other", email="boss@other.example")
    owner = login(client, "owner@example.org")
    sam = add_user(client, owner, "sam@example.org", first="Sam")
    mod = add_user(client, owner, "mod@example.org", role="moderator", first="Mo")
    listed = client.get("/api/users", headers=mod.headers)
    assert listed.status_code == 200
    assert [u["email"] for u in listed.json()["users"]] == [
        "mod@example.org",
        "owner@example.org",
        "sam@example.org",
    ]
    assert all(u["active"] for u in listed.json()["users"])
    assert client.get("/api/users", headers=sam.headers).status_code == 403


def test_a_deactivated_user_loses_access_at_once(
    client: TestClient, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    revoked: list[int] = []
    revoke = live.revoke_access

    async def record(svc: Services, *, user_id: int, campaign_id: int | None = None) -> None:
        revoked.append(user_id)
        await revoke(svc, user_id=user_id, campaign_id=campaign_id)

    monkeypatch.setattr(live, "revoke_access", record)
    make_org(database_url)
    owner = login(client, "owner@example.org")
    sam = add_user(client, owner, "sam@example.org")
    assert client.get("/api/campaigns", headers=sam.headers).status_code == 200

    response = client.patch(f"/api/users/{sam.user_id}", headers=owner.headers, json={"active": False})
    assert response.status_code == 200, response.text
    assert response.json()["active"] is False
    assert revoked == [sam.user_id]
    assert client.get("/api/campaigns", headers=sam.headers).status_code == 401
    refused = client.post("/api/login", json={"email": "sam@example.org", "password": "texting-is-fun"})
    assert refused.status_code == 401

    client.patch(f"/api/users/{sam.user_id}", headers=owner.headers, json={"active": True})
    assert login(client, "sam@example.org", "texting-is-fun").user_id == sam.user_id


def test_a_sweeper_whose_role_is_lowered_stops_sweeping_with_their_next_request(
    client: TestClient, database_url: str
) -> None:
    make_org(database_url)
    owner = login(client, "owner@example.org")
    mo = add_user(client, owner, "mo@example.org", role="moderator", first="Mo")
    assert client.get("/api/users", headers=mo.headers).status_code == 200

    lowered = client.patch(f"/api/users/{mo.user_id}", headers=owner.headers, json={"role": "sender"})
    assert lowered.status_code == 200, lowered.text
    refused = client.get("/api/users", headers=mo.headers)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "forbidden"
    assert client.get("/api/campaigns", headers=mo.headers).status_code == 200  # still a sender

    client.patch(f"/api/users/{mo.user_id}", headers=owner.headers, json={"role": "admin"})
    assert client.get("/api/users", headers=mo.headers).status_code == 200


def test_user_changes_follow_the_role_rules(client: TestClient, database_url: str) -> None:
    make_org(database_url)
    owner = login(client, "owner@example.org")
    admin = add_user(client, owner, "admin@example.org", role="admin", first="Ada")
    sam = add_user(client, owner, "sam@example.org")

    renamed = client.patch(
        f"/api/users/{sam.user_id}", headers=admin.headers, json={"first_name": "Samuel", "role": "moderator"}
    )
    assert renamed.status_code == 200
    assert (renamed.json()["first_name"], renamed.json()["role"]) == ("Samuel", "moderator")

    def status(who: Login, uid: int, body: dict[str, object]) -> int:
        return client.patch(f"/api/users/{uid}", headers=who.headers, json=body).status_code

    assert status(admin, owner.user_id, {"active": False}) == 403  # only an owner touches an owner
    assert status(admin, sam.user_id, {"role": "owner"}) == 403
    assert status(admin, admin.user_id, {"active": False}) == 409  # never yourself
    assert status(owner, owner.user_id, {"role": "sender"}) == 409
    assert status(sam, admin.user_id, {"first_name": "X"}) == 403  # moderators don't manage users
    assert status(owner, sam.user_id, {"role": "boss"}) == 422
    assert status(owner, sam.user_id, {"active": "no"}) == 422
    assert status(owner, sam.user_id, {"first_name": " "}) == 422
    assert status(owner, sam.user_id, {"email": "x@example.org"}) == 422
    assert status(owner, 999_999, {"active": False}) == 404
    assert client.patch("/api/users/abc", headers=owner.headers, json={}).status_code == 404


def test_user_fields_the_database_cannot_hold_are_refused(client: TestClient, database_url: str) -> None:
    make_org(database_url)
    owner = login(client, "owner@example.org")
    for field in ("first_name", "password"):
        # Each key once: a key given twice is refused for that alone.
        fields = {"email": '"x@example.org"', "password": '"long enough"', "first_name": '"X"'}
        fields[field] = '"bad \\ud800 text"'
        body = (
            "{" + ", ".join(f'"{k}": {v}' for k, v in fields.items()) + ', "last_name": "", "role": "sender"}'
        ).encode()
        response = client.post(
            "/api/users", headers={**owner.headers, "content-type": "application/json"}, content=body
        )
        assert response.status_code == 422, response.text
    listed = client.get("/api/users", headers=owner.headers).json()["users"]
    assert [u["email"] for u in listed] == ["owner@example.org"]
    for body in (
        b'{"email": "owner@example.org", "password": "\\ud800"}',
        b'{"email": "\\u0000", "password": "x"}',
    ):
        refused = client.post("/api/login", headers={"content-type": "application/json"}, content=body)
        assert refused.status_code == 401, refused.text
