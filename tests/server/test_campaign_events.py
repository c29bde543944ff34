"""Pages follow a campaign's state live: the ``campaign`` event, and a launch that cannot text anyone."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from tests.support.worlds.accounts import Login, add_contacts, add_user, login, make_campaign, make_org


def _campaign_events(client: TestClient, who: Login, channel: str, count: int) -> list[dict[str, Any]]:
    """The first ``count`` ``campaign`` events of ``channel``, read from its history."""
    found: list[dict[str, Any]] = []
    with client.websocket_connect(f"/ws?token={who.token}", subprotocols=["json"]) as ws:
        ws.send_json({"type": "subscribe", "channel": channel, "since": 0})
        subscribed = ws.receive_json()
        assert subscribed["type"] == "subscribed", subscribed
        seq = 0
        while seq < subscribed["seq"]:
            frame = ws.receive_json()
            if frame["type"] != "event":
                continue
            seq = frame["seq"]
            if frame["kind"] == "campaign":
                found.append(frame["data"])
    assert len(found) == count, [c["status"] for c in found]
    return found


def test_pause_resume_and_edits_reach_the_sweepers_and_every_sender(
    client: TestClient, database_url: str
) -> None:
    make_org(database_url)
    owner = login(client, "owner@example.org")
    sam = add_user(client, owner, "sam@example.org", first="Sam")
    ria = add_user(client, owner, "ria@example.org", first="Ria")
    cid = make_campaign(client, owner)["id"]
    ids = [sam.user_id, ria.user_id]
    assert client.post(
        f"/api/campaigns/{cid}/senders", headers=owner.headers, json={"user_ids": ids}
    ).is_success
    add_contacts(client, owner, cid, 3)

    def patch(**body: Any) -> None:
        response = client.patch(f"/api/campaigns/{cid}", headers=owner.headers, json=body)
        assert response.status_code == 200, response.text

    patch(status="active")
    patch(status="paused")
    patch(status="paused")  # a retried pause changes nothing: no event
    patch(status="active")
    patch(title="Renamed")
    current = client.get(f"/api/campaigns/{cid}", headers=owner.headers).json()

    for who, channel in (
        (owner, f"campaign:{cid}"),
        (sam, f"sender:{cid}:{sam.user_id}"),
        (ria, f"sender:{cid}:{ria.user_id}"),
    ):
        events = _campaign_events(client, who, channel, 4)
        assert [(e["status"], e["title"]) for e in events] == [
            ("active", "Get out the vote"),
            ("paused", "Get out the vote"),
            ("active", "Get out the vote"),
            ("active", "Renamed"),
        ]
        assert events[-1] == current  # the event carries the campaign exactly as GET gives it


def test_a_refused_change_sends_no_event(client: TestClient, database_url: str) -> None:
    make_org(database_url)
    owner = login(client, "owner@example.org")
    cid = make_campaign(client, owner)["id"]
    add_contacts(client, owner, cid)
    refused = client.patch(f"/api/campaigns/{cid}", headers=owner.headers, json={"status": "paused"})
    assert refused.status_code == 409
    assert client.patch(f"/api/campaigns/{cid}", headers=owner.headers, json={"status": "closed"}).is_success
    assert [e["status"] for e in _campaign_events(client, owner, f"campaign:{cid}", 1)] == ["closed"]


def test_a_campaign_without_contacts_is_not_launched(client: TestClient, database_url: str) -> None:
    make_org(database_url)
    owner = login(client, "owner@example.org")
    cid = make_campaign(client, owner)["id"]
    refused = client.patch(f"/api/campaigns/{cid}", headers=owner.headers, json={"status": "active"})
    assert refused.status_code == 409
    assert refused.json()["error"] == {
        "code": "campaign_not_ready",
        "message": "Upload contacts before launching: the campaign has none to text.",
    }
    # Not even half of a combined change was kept.
    both = client.patch(
        f"/api/campaigns/{cid}", headers=owner.headers, json={"status": "active", "title": "New"}
    )
    assert both.status_code == 409
    assert client.get(f"/api/campaigns/{cid}", headers=owner.headers).json()["title"] == "Get out the vote"
    add_contacts(client, owner, cid)
    launched = client.patch(f"/api/campaigns/{cid}", headers=owner.headers, json={"status": "active"})
    assert launched.json()["status"] == "active"
