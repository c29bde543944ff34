"""An admin downloads the campaign: every conversation and message, the never-answered ones too."""

from __future__ import annotations

import csv
import io

import pytest
from starlette.testclient import TestClient

from persistence.queries import export
from server.signature import compute_signature
from tests.support.worlds.accounts import login
from tests.support.worlds.messaging import NUMBER, TOKEN, build_sync


def test_export_includes_sent_conversations_and_every_message(client: TestClient, database_url: str) -> None:
    world = build_sync(database_url, assign=["Sam", "Sam", "Sam", None, None, None])
    sam = login(client, "sam@example.org")
    owner = login(client, "owner@example.org")
    for cid in world.conversations[:2]:
        client.post(f"/api/conversations/{cid}/messages", headers=sam.headers, json={})
    params = {"From": world.phones[1], "To": NUMBER, "Body": 'Yes, "of course", =1+1', "MessageSid": "SM1"}
    signature = compute_signature(TOKEN, "http://testserver/api/sms/inbound", params.items())
    client.post("/api/sms/inbound", data=params, headers={"x-twilio-signature": signature})
    response = client.get(f"/api/campaigns/{world.campaign_id}/export.csv", headers=owner.headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert list(rows[0]) == list(export.COLUMNS)
    by_conversation: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        by_conversation.setdefault(row["conversation_id"], []).append(row)
    assert len(by_conversation) == 6
    ada = by_conversation[str(world.conversations[0])]
    assert [(r["status"], r["direction"]) for r in ada] == [("sent", "outbound")]  # sent, never answered
    grace = by_conversation[str(world.conversations[1])]
    assert [r["direction"] for r in grace] == ["outbound", "inbound"]
    assert grace[1]["body"] == 'Yes, "of course", =1+1'
    untouched = by_conversation[str(world.conversations[5])]
    assert untouched[0]["status"] == "not_started" and untouched[0]["message_id"] == ""


def test_export_pages_through_large_campaigns(
    client: TestClient, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(export, "PAGE_SIZE", 2)
    world = build_sync(database_url, assign=[None] * 6)
    owner = login(client, "owner@example.org")
    response = client.get(f"/api/campaigns/{world.campaign_id}/export.csv", headers=owner.headers)
    ids = [int(r["conversation_id"]) for r in csv.DictReader(io.StringIO(response.text))]
    assert ids == world.conversations


def test_only_sweepers_export(client: TestClient, database_url: str) -> None:
    world = build_sync(database_url, assign=["Sam"] * 6)
    sam = login(client, "sam@example.org")
    response = client.get(f"/api/campaigns/{world.campaign_id}/export.csv", headers=sam.headers)
    assert response.status_code == 403 and response.json()["error"]["code"] == "forbidden"
    assert (
        client.get(
            "/api/campaigns/99999/export.csv", headers=login(client, "owner@example.org").headers
        ).status_code
        == 404
    )
