"""The Messengers' tab counts, the Phone Number Lookup and who wrote each text."""

from __future__ import annotations

from datetime import timedelta

from starlette.testclient import TestClient

from persistence.store.types import utcnow
from tests.support.worlds.accounts import Login, login, sync
from tests.support.worlds.messaging import CONTACTS, add_campaign, build_sync


def test_tab_counts_follow_the_lists_and_hide_the_initial_tab_when_it_is_empty(
    client: TestClient, database_url: str
) -> None:
    world = build_sync(database_url, assign=["Sam", "Sam", "Sam", "Sue", None, None])
    cid, convs = world.campaign_id, world.conversations
    sam, owner = login(client, "sam@example.org"), login(client, "owner@example.org")
    url = f"/api/campaigns/{cid}/conversations/counts"

    def counts(who: Login = sam, **params: str) -> dict[str, object]:
        response = client.get(url, headers=who.headers, params=params)
        assert response.status_code == 200, response.text
        body: dict[str, object] = response.json()
        return body

    assert counts() == {
        "counts": {"initial": 3, "responses": 0, "follow_ups": 0, "opt_outs": 0},
        "initial_tab": True,
    }
    for conv in convs[:3]:
        assert client.post(f"/api/conversations/{conv}/messages", headers=sam.headers).status_code == 201
    assert client.post(f"/api/conversations/{convs[0]}/opt-out", headers=sam.headers).status_code == 200
    # Every initial message went out: the tab is gone; two texted contacts wait for a follow-up.
    assert counts() == {
        "counts": {"initial": 0, "responses": 0, "follow_ups": 2, "opt_outs": 1},
        "initial_tab": False,
    }
    assert counts(owner, sender="unassigned")["counts"] == {
        "initial": 2,
        "responses": 0,
        "follow_ups": 0,
        "opt_outs": 0,
    }
    # A sender counts only their own; bad input is a clear 422.
    assert client.get(url, headers=sam.headers, params={"sender": "unassigned"}).status_code == 403
    bad = client.get(url, headers=owner.headers, params={"sender": "everyone"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_input"


def test_the_initial_tab_is_hidden_once_the_sending_window_has_passed(
    client: TestClient, database_url: str
) -> None:
    now = utcnow()
    world = build_sync(
        database_url, assign=["Sam"], window=(now - timedelta(hours=2), now - timedelta(hours=1))
    )
    sam = login(client, "sam@example.org")
    body = client.get(f"/api/campaigns/{world.campaign_id}/conversations/counts", headers=sam.headers).json()
    assert body == {
        "counts": {"initial": 0, "responses": 0, "follow_ups": 0, "opt_outs": 0},
        "initial_tab": False,
    }


def test_the_phone_lookup_lists_every_conversation_of_the_number_in_the_organization(
    client: TestClient, database_url: str
) -> None:
    world = build_sync(database_url, assign=["Sam"])
    # Ada is a contact of a second campaign too.
    second, second_convs = sync(
        database_url, lambda db: add_campaign(db, world, contacts=CONTACTS[:1], assign=["Sue"])
    )
    owner, sam = login(client, "owner@example.org"), login(client, "sam@example.org")
    response = client.get(f"/api/conversations/{world.conversations[0]}/phone-lookup", headers=owner.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["phone"] == "+14155552671" and body["opted_out"] is False and body["truncated"] is False
    assert sorted(row["id"] for row in body["conversations"]) == sorted(
        [world.conversations[0], *second_convs]
    )
    row = next(r for r in body["conversations"] if r["id"] == second_convs[0])
    assert row["campaign"] == {"id": second, "title": "Get out the vote", "status": "active"}
    assert row["sender"]["first_name"] == "Sue" and row["contact"]["first_name"] == "Ada"
    assert row["status"] == "not_started"
    # Sweepers only; an unknown conversation is 404.
    assert (
        client.get(
            f"/api/conversations/{world.conversations[0]}/phone-lookup", headers=sam.headers
        ).status_code
        == 403
    )
    assert client.get("/api/conversations/999999/phone-lookup", headers=owner.headers).status_code == 404


def test_the_thread_names_who_wrote_each_text(client: TestClient, database_url: str) -> None:
    world = build_sync(database_url, assign=["Sam"])
    conv = world.conversations[0]
    sam, owner = login(client, "sam@example.org"), login(client, "owner@example.org")
    client.post(f"/api/conversations/{conv}/messages", headers=sam.headers)
    client.post(
        f"/api/conversations/{conv}/messages",
        headers=owner.headers,
        json={"body": "Checking in", "note": True},
    )
    view = client.get(f"/api/conversations/{conv}", headers=owner.headers).json()
    writers = [view["authors"][str(m["sender_id"])]["first_name"] for m in view["messages"]]
    assert writers == ["Sam", "Olive"]
    assert view["authors"][str(owner.user_id)]["role"] == "owner"
