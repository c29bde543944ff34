"""Admins write recommended replies; senders pick from them while texting."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.support.worlds.accounts import login
from tests.support.worlds.messaging import build_sync


def test_admin_writes_replies_and_senders_read_them(client: TestClient, database_url: str) -> None:
    world = build_sync(database_url, assign=["Sam"] * 6)
    owner = login(client, "owner@example.org")
    sam = login(client, "sam@example.org")
    campaign_url = f"/api/campaigns/{world.campaign_id}/replies"
    made = client.post(
        campaign_url, headers=owner.headers, json={"title": "Polling place", "body": "Find yours at vote.org"}
    )
    assert made.status_code == 201, made.text
    assert made.json()["campaign_id"] == world.campaign_id
    org_wide = client.post(
        "/api/replies", headers=owner.headers, json={"title": "Thanks", "body": "Thank you!"}
    )
    assert org_wide.status_code == 201 and org_wide.json()["campaign_id"] is None
    # In the campaign, its own replies come first, then the organization's.
    listed = client.get(campaign_url, headers=sam.headers).json()["replies"]
    assert [r["title"] for r in listed] == ["Polling place", "Thanks"]
    assert [r["title"] for r in client.get("/api/replies", headers=sam.headers).json()["replies"]] == [
        "Thanks"
    ]


def test_senders_may_not_write_and_bad_replies_are_refused(client: TestClient, database_url: str) -> None:
    world = build_sync(database_url, assign=["Sam"] * 6)
    rival = build_sync(database_url, name="Rivals", domain="rival.org", number="+15005550007")
    sam = login(client, "sam@example.org")
    owner = login(client, "owner@example.org")
    url = f"/api/campaigns/{world.campaign_id}/replies"
    assert client.post(url, headers=sam.headers, json={"title": "t", "body": "b"}).status_code == 403
    for bad in ({"title": "", "body": "b"}, {"title": "t"}, {"title": "t", "body": "x" * 1601}):
        assert client.post(url, headers=owner.headers, json=bad).status_code == 422
    rival_url = f"/api/campaigns/{rival.campaign_id}/replies"
    assert client.get(rival_url, headers=owner.headers).status_code == 404
    assert client.get(url, headers=owner.headers).json()["replies"] == []


def test_admins_edit_and_delete_replies_and_nobody_else_does(client: TestClient, database_url: str) -> None:
    world = build_sync(database_url, assign=["Sam"] * 6)
    build_sync(database_url, name="Rivals", domain="rival.org", number="+15005550007")
    owner = login(client, "owner@example.org")
    sam = login(client, "sam@example.org")
    rival = login(client, "owner@rival.org")
    campaign_url = f"/api/campaigns/{world.campaign_id}/replies"
    made = client.post(
        campaign_url, headers=owner.headers, json={"title": "Polls", "body": "Open at 7"}
    ).json()
    url = f"/api/replies/{made['id']}"

    edited = client.patch(url, headers=owner.headers, json={"body": "  Open at 7am  "})
    assert edited.status_code == 200, edited.text
    assert (edited.json()["title"], edited.json()["body"]) == ("Polls", "Open at 7am")
    # Refused: a sender, another organization, an empty title, an unknown key; nothing changes.
    assert client.patch(url, headers=sam.headers, json={"title": "x"}).status_code == 403
    assert client.patch(url, headers=rival.headers, json={"title": "x"}).status_code == 404
    assert client.patch(url, headers=owner.headers, json={"title": " "}).status_code == 422
    unknown = client.patch(url, headers=owner.headers, json={"titel": "x"})
    assert unknown.status_code == 422 and unknown.json()["error"]["code"] == "unknown_field"
    assert client.delete(url, headers=sam.headers).status_code == 403
    assert client.delete(url, headers=rival.headers).status_code == 404
    listed = client.get(campaign_url, headers=owner.headers).json()["replies"]
    assert [(r["title"], r["body"]) for r in listed] == [("Polls", "Open at 7am")]

    assert client.delete(url, headers=owner.headers).status_code == 204
    assert client.get(campaign_url, headers=owner.headers).json()["replies"] == []
    assert client.delete(url, headers=owner.headers).status_code == 404
    assert client.patch(url, headers=owner.headers, json={"title": "x"}).status_code == 404
