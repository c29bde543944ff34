"""Organizers see what a text costs in SMS segments, and can keep texts GSM-7."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.server.test_texting import eventually
from tests.support.worlds.accounts import login
from tests.support.worlds.messaging import build_sync

# 150 characters with the sample names, one curly apostrophe: one segment plain, three as UCS-2.
TEMPLATE = "Hi %ContactFirstName%, it\u2019s %SenderFirstName%. " + "Polls are open until 8pm. " * 5


def test_the_campaign_and_each_message_show_their_segments(client: TestClient, database_url: str) -> None:
    world = build_sync(database_url, assign=["Sam"] * 6)
    owner, sam = login(client, "owner@example.org"), login(client, "sam@example.org")
    url = f"/api/campaigns/{world.campaign_id}"
    campaign = client.patch(url, headers=owner.headers, json={"initial_message": TEMPLATE}).json()
    assert campaign["segments"] == 3
    assert client.patch(url, headers=owner.headers, json={"initial_message": "Hi!"}).json()["segments"] == 1

    sent = client.post(
        f"/api/conversations/{world.conversations[0]}/messages", headers=sam.headers, json={"body": "a" * 161}
    ).json()["message"]
    assert sent["segments"] == 2
    emoji = client.post(
        f"/api/conversations/{world.conversations[0]}/messages",
        headers=sam.headers,
        json={"body": "See you 🗳️"},
    ).json()["message"]
    assert emoji["segments"] == 1
    note = client.post(
        f"/api/conversations/{world.conversations[0]}/messages",
        headers=owner.headers,
        json={"body": "Called them too", "note": True},
    ).json()["message"]
    assert note["segments"] == 0


def test_plain_punctuation_keeps_texts_gsm(client: TestClient, database_url: str) -> None:
    world = build_sync(database_url, assign=["Sam"] * 6)
    owner, sam = login(client, "owner@example.org"), login(client, "sam@example.org")
    url = f"/api/campaigns/{world.campaign_id}"
    client.patch(url, headers=owner.headers, json={"initial_message": TEMPLATE})
    org = client.patch("/api/organization", headers=owner.headers, json={"plain_punctuation": True}).json()
    assert org["plain_punctuation"] is True
    assert client.get(url, headers=owner.headers).json()["segments"] == 1

    sent = client.post(f"/api/conversations/{world.conversations[0]}/messages", headers=sam.headers, json={})
    message = sent.json()["message"]
    assert message["body"].startswith("Hi Ada, it's Sam. ") and message["segments"] == 1
    provider = client.app.state.services.provider  # type: ignore[attr-defined]
    eventually(lambda: len(provider.sent) == 1)  # handed over by the send queue
    assert provider.sent[-1].body == message["body"]
    reply = client.post(
        f"/api/conversations/{world.conversations[1]}/messages",
        headers=sam.headers,
        json={"body": "\u201cSoon\u201d \u2014 we\u2019ll see\u2026"},
    ).json()["message"]
    assert reply["body"] == '"Soon" - we\'ll see...'
    # Turned off again, texts go as written.
    client.patch("/api/organization", headers=owner.headers, json={"plain_punctuation": False})
    as_written = client.post(
        f"/api/conversations/{world.conversations[2]}/messages",
        headers=sam.headers,
        json={"body": "It\u2019s on"},
    ).json()["message"]
    assert as_written["body"] == "It\u2019s on"
