"""Nothing of one organization is visible to another; roles decide who may change what."""

from __future__ import annotations

import time

from starlette.testclient import TestClient

from server.settings import Settings
from server.tokens import issue_token
from tests.support.worlds.accounts import add_contacts, add_user, login, make_campaign, make_org


def test_an_admin_of_another_organization_gets_404_everywhere(client: TestClient, database_url: str) -> None:
    make_org(database_url)
    make_org(database_url, "Rival Org", email="boss@rival.example")
    owner = login(client, "owner@example.org")
    rival = login(client, "boss@rival.example")
    rival_admin = add_user(client, rival, "admin@rival.example", role="admin")
    cid = make_campaign(client, owner)["id"]
    one = [{"first_name": "Ana", "last_name": "Lee", "phone": "2125550101"}]
    for who in (rival, rival_admin):
        calls = [
            client.get(f"/api/campaigns/{cid}", headers=who.headers),
            client.patch(f"/api/campaigns/{cid}", headers=who.headers, json={"status": "active"}),
            client.get(f"/api/campaigns/{cid}/senders", headers=who.headers),
            client.post(
                f"/api/campaigns/{cid}/senders", headers=who.headers, json={"user_ids": [who.user_id]}
            ),
            client.post(f"/api/campaigns/{cid}/contacts", headers=who.headers, json=one),
            client.patch(f"/api/users/{owner.user_id}", headers=who.headers, json={"active": False}),
        ]
        assert [r.status_code for r in calls] == [404] * len(calls)
        assert all(r.json()["error"]["code"] == "not_found" for r in calls)
        assert client.get("/api/campaigns", headers=who.headers).json()["campaigns"] == []
        users = client.get("/api/users", headers=who.headers).json()["users"]
        assert "owner@example.org" not in {u["email"] for u in users}
    # Nothing changed for the owner.
    assert client.get(f"/api/campaigns/{cid}", headers=owner.headers).json()["status"] == "draft"
    # Nor can the owner add the rival's users as senders.
    response = client.post(
        f"/api/campaigns/{cid}/senders", headers=owner.headers, json={"user_ids": [rival.user_id]}
    )
    assert response.status_code == 422


def test_senders_cannot_create_or_change_campaigns(client: TestClient, database_url: str) -> None:
    make_org(database_url)
    owner = login(client, "owner@example.org")
    sam = add_user(client, owner, "sam@example.org")
    body = {"title": "Mine", "initial_message": "Hi"}
    created = client.post("/api/campaigns", headers=sam.headers, json=body)
    assert created.status_code == 403
    assert created.json()["error"]["code"] == "forbidden"
    cid = make_campaign(client, owner)["id"]
    client.post(f"/api/campaigns/{cid}/senders", headers=owner.headers, json={"user_ids": [sam.user_id]})
    assert client.get(f"/api/campaigns/{cid}", headers=sam.headers).status_code == 200
    assert (
        client.patch(f"/api/campaigns/{cid}", headers=sam.headers, json={"status": "active"}).status_code
        == 403
    )
    assert (
        client.post(
            f"/api/campaigns/{cid}/senders", headers=sam.headers, json={"user_ids": [sam.user_id]}
        ).status_code
        == 403
    )
    assert client.post("/api/users", headers=sam.headers, json={}).status_code in (403, 422)
    assert client.get(f"/api/campaigns/{cid}", headers=owner.headers).json()["status"] == "draft"


def test_moderators_sweep_but_do_not_manage_users(client: TestClient, database_url: str) -> None:
    make_org(database_url)
    owner = login(client, "owner@example.org")
    mod = add_user(client, owner, "mod@example.org", role="moderator")
    cid = make_campaign(client, mod)["id"]
    add_contacts(client, mod, cid)
    assert (
        client.patch(f"/api/campaigns/{cid}", headers=mod.headers, json={"status": "active"}).status_code
        == 200
    )
    new_user = {
        "email": "x@example.org",
        "password": "long-enough",
        "first_name": "X",
        "last_name": "",
        "role": "sender",
    }
    assert client.post("/api/users", headers=mod.headers, json=new_user).status_code == 403


def test_expired_forged_and_mismatched_tokens_are_refused(
    client: TestClient, database_url: str, settings: Settings
) -> None:
    make_org(database_url)
    other_org = make_org(database_url, "Rival Org", email="boss@rival.example")
    owner = login(client, "owner@example.org")
    secret = settings.secret_key or ""
    expired = issue_token(secret, owner.user_id, 1, 60, now=time.time() - 3600)
    forged = issue_token("not-the-secret", owner.user_id, 1, 3600)
    tampered = owner.token[:-2] + ("AA" if not owner.token.endswith("AA") else "BB")
    # A genuine signature, but claiming the owner belongs to another organization.
    wrong_org = issue_token(secret, owner.user_id, other_org, 3600)
    for token in (expired, forged, tampered, wrong_org, "", "a.b.c"):
        response = client.get("/api/campaigns", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, token
        assert response.json()["error"]["code"] == "unauthorized"
    expired_answer = client.get("/api/campaigns", headers={"Authorization": f"Bearer {expired}"})
    assert "expired" in expired_answer.json()["error"]["message"]
    assert client.get("/api/campaigns", headers=owner.headers).status_code == 200
