"""An organizer logs in, adds their team, and nobody crosses organizations."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.world import PASSWORD, login, make_org


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
