"""A sweeper's message reaches every sender, also those who connect later, and is acknowledged."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from tests.server.shift.presence import online_senders
from tests.support.worlds.accounts import login, make_org
from tests.support.worlds.sweep import build_world_sync


def next_event(ws: Any, kind: str) -> dict[str, Any]:
    while True:
        frame = ws.receive_json()
        if frame["type"] == "event" and frame["kind"] == kind:
            data: dict[str, Any] = frame["data"]
            return data


def test_a_broadcast_reaches_a_sender_who_connects_later_and_the_acknowledgement_shows(
    database_url: str, client: TestClient
) -> None:
    org = make_org(database_url)
    world = build_world_sync(database_url, org, senders=["Ana", "Ben"])
    cid = world.campaign_id
    owner = login(client, "owner@example.org")
    ana = login(client, f"ana.{cid}@example.org")
    ben = login(client, f"ben.{cid}@example.org")
    url = f"/api/campaigns/{cid}/broadcasts"

    with online_senders(client, cid, [ana]) as [ana_ws]:
        response = client.post(url, json={"body": "  Script change: say hi first  "}, headers=owner.headers)
        assert response.status_code == 201, response.text
        broadcast = response.json()
        assert next_event(ana_ws, "broadcast") == {
            "id": broadcast["id"],
            "body": "Script change: say hi first",
            "from": {"id": owner.user_id, "first_name": "Olive", "last_name": "Owner"},
        }

    # Ben opens his Messenger a while later: the page loads what he has not acknowledged.
    mine = client.get(url, headers=ben.headers).json()["broadcasts"]
    assert [(b["id"], b["acknowledged_by"]) for b in mine] == [(broadcast["id"], [])]

    with client.websocket_connect(f"/ws?token={owner.token}") as admin:
        admin.send_json({"type": "subscribe", "channel": f"campaign:{cid}", "since": None})
        assert admin.receive_json()["type"] == "subscribed"
        ack = client.post(f"{url}/{broadcast['id']}/ack", headers=ben.headers)
        assert ack.status_code == 200, ack.text
        assert next_event(admin, "broadcast_ack") == {"id": broadcast["id"], "user_id": ben.user_id}
        # A second "Got it" changes nothing.
        assert client.post(f"{url}/{broadcast['id']}/ack", headers=ben.headers).status_code == 200

    listed = client.get(url, headers=owner.headers).json()["broadcasts"]
    assert [a["user_id"] for a in listed[0]["acknowledged_by"]] == [ben.user_id]
    # Ana sees her own state only: not acknowledged yet.
    assert client.get(url, headers=ana.headers).json()["broadcasts"][0]["acknowledged_by"] == []


def test_only_sweepers_broadcast_only_senders_acknowledge_and_bad_bodies_are_refused(
    database_url: str, client: TestClient
) -> None:
    org = make_org(database_url)
    world = build_world_sync(database_url, org, senders=["Ana"])
    cid = world.campaign_id
    owner = login(client, "owner@example.org")
    ana = login(client, f"ana.{cid}@example.org")
    url = f"/api/campaigns/{cid}/broadcasts"
    assert client.post(url, json={"body": "hi"}, headers=ana.headers).status_code == 403
    for body in ({"body": "   "}, {"body": "x" * 1001}, {"body": 5}, {}):
        response = client.post(url, json=body, headers=owner.headers)
        assert response.status_code == 422 and response.json()["error"]["code"] == "invalid_body"
    assert client.get(url, headers=owner.headers).json() == {"broadcasts": []}
    bid = client.post(url, json={"body": "hi"}, headers=owner.headers).json()["id"]
    assert client.post(f"{url}/{bid}/ack", headers=owner.headers).status_code == 403
    assert client.post(f"{url}/{bid + 1000}/ack", headers=ana.headers).status_code == 404
