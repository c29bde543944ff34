"""Archiving tidies the lists without losing anything; deleting removes a conversation for good."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from tests.server.test_opt_out_message import text_in
from tests.support.worlds.accounts import add_user, login, sync
from tests.support.worlds.messaging import build_sync, counters_true_sync, events_of

NIA = "+14155550199"


def _ids(client: TestClient, url: str, headers: dict[str, str]) -> list[int]:
    return [r["id"] for r in client.get(url, headers=headers).json()["conversations"]]


def test_archived_conversations_leave_the_lists_and_come_back_with_a_text(
    client: TestClient, database_url: str
) -> None:
    world = build_sync(database_url, assign=["Sam"] * 6)
    sam = login(client, "sam@example.org")
    inbox = client.post("/api/inbox/conversations", headers=sam.headers, json={"phone": NIA}).json()["id"]
    campaign_list = f"/api/campaigns/{world.campaign_id}/conversations?tab=initial"
    assert world.conversations[1] in _ids(client, campaign_list, sam.headers)

    one = client.post(f"/api/conversations/{inbox}/archive", headers=sam.headers)
    assert one.status_code == 200 and one.json() == {"id": inbox, "archived": True}
    bulk = client.post(
        "/api/conversations/archive", headers=sam.headers, json={"conversation_ids": world.conversations[1:3]}
    )
    assert bulk.status_code == 200, bulk.text
    assert _ids(client, "/api/inbox", sam.headers) == []
    assert _ids(client, "/api/inbox?archived=true", sam.headers) == [inbox]
    assert not set(world.conversations[1:3]) & set(_ids(client, campaign_list, sam.headers))
    # The tab strip's counts follow their list: six not started, two of them archived.
    counts = client.get(f"/api/campaigns/{world.campaign_id}/conversations/counts", headers=sam.headers)
    assert counts.json()["counts"]["initial"] == 4
    # Search still finds them, marked archived.
    found = client.get("/api/inbox?search=0199", headers=sam.headers).json()["conversations"]
    assert [(r["id"], r["archived"]) for r in found] == [(inbox, True)]
    grace = client.get(f"/api/campaigns/{world.campaign_id}/conversations?search=grace", headers=sam.headers)
    assert [(r["id"], r["archived"]) for r in grace.json()["conversations"]] == [
        (world.conversations[1], True)
    ]

    client.post(f"/api/conversations/{inbox}/messages", headers=sam.headers, json={"body": "Still there?"})
    text_in(client, NIA, "Yes!", "SM-back")
    assert _ids(client, "/api/inbox", sam.headers) == [inbox]
    assert (
        client.post(f"/api/conversations/{world.conversations[1]}/unarchive", headers=sam.headers).json()[
            "archived"
        ]
        is False
    )
    assert world.conversations[1] in _ids(client, campaign_list, sam.headers)
    # Bulk archive is all or nothing: one conversation the sender may not touch refuses the lot.
    sue_conversation = client.post(
        "/api/inbox/conversations", headers=login(client, "sue@example.org").headers, json={"phone": NIA}
    ).json()["id"]
    refused = client.post(
        "/api/conversations/archive",
        headers=sam.headers,
        json={"conversation_ids": [inbox, sue_conversation]},
    )
    assert refused.status_code == 403
    assert _ids(client, "/api/inbox", sam.headers) == [inbox]


def test_an_admin_deletes_a_conversation_and_the_counters_follow(
    client: TestClient, database_url: str
) -> None:
    world = build_sync(database_url, assign=["Sam"] * 6)
    sam, owner = login(client, "sam@example.org"), login(client, "owner@example.org")
    gone = world.conversations[0]
    client.post(f"/api/conversations/{gone}/messages", headers=sam.headers, json={})
    text_in(client, world.phones[0], "STOP", "SM-stop")
    overview = f"/api/campaigns/{world.campaign_id}/overview"
    assert client.get(overview, headers=owner.headers).json()["total"] == 6

    assert client.delete(f"/api/conversations/{gone}", headers=sam.headers).status_code == 403
    deleted = client.delete(f"/api/conversations/{gone}", headers=owner.headers)
    assert deleted.status_code == 200 and deleted.json()["messages_deleted"] >= 2
    assert client.get(f"/api/conversations/{gone}", headers=owner.headers).status_code == 404
    assert client.get(overview, headers=owner.headers).json()["total"] == 5
    counters_true_sync(database_url, world.campaign_id)
    # The opt-out stays with the phone.
    optouts = client.get("/api/opt-outs", headers=owner.headers).json()
    assert world.phones[0] in str(optouts)
    events: list[tuple[str, dict[str, Any]]] = sync(
        database_url, lambda db: events_of(db, f"campaign:{world.campaign_id}")
    )
    assert ("conversation_deleted", {"id": gone, "sender_id": sam.user_id}) in events
    audit = client.get(f"/api/campaigns/{world.campaign_id}/audit", headers=owner.headers).json()
    assert "conversation_deleted" in str(audit)


def test_an_organization_that_turns_deleting_off(client: TestClient, database_url: str) -> None:
    build_sync(database_url, contacts=())
    owner = login(client, "owner@example.org")
    moderator = add_user(client, owner, "mo@example.org", role="moderator", first="Mo")
    conversation = client.post("/api/inbox/conversations", headers=owner.headers, json={"phone": NIA}).json()[
        "id"
    ]
    assert client.delete(f"/api/conversations/{conversation}", headers=moderator.headers).status_code == 403
    off = client.patch("/api/organization", headers=owner.headers, json={"allow_delete": False})
    assert off.status_code == 200 and off.json()["allow_delete"] is False
    refused = client.delete(f"/api/conversations/{conversation}", headers=owner.headers)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "delete_disabled"
    assert client.get(f"/api/conversations/{conversation}", headers=owner.headers).status_code == 200
    client.patch("/api/organization", headers=owner.headers, json={"allow_delete": True})
    assert client.delete(f"/api/conversations/{conversation}", headers=owner.headers).status_code == 200
    assert client.get("/api/inbox", headers=owner.headers).json()["conversations"] == []
