"""Drips: made by an admin, applied to an inbox conversation, stopped by the contact's reply, turned off."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.testclient import TestClient

from tests.server.test_opt_out_message import simulator, text_in, thread
from tests.server.test_texting import eventually
from tests.support.worlds.accounts import Login, login
from tests.support.worlds.messaging import build_sync

NIA = "+14155550199"
STEPS: list[dict[str, Any]] = [
    {"after_seconds": 1, "body": "Welcome to Texters United!"},
    {"after_seconds": 3, "body": "Can you make a shift this week?"},
    {"after_seconds": 3600, "body": "One last nudge: shifts are open."},
]
WELCOME: dict[str, Any] = {"name": "Welcome", "steps": STEPS}


def _apply(client: TestClient, who: Login, cid: int, drip_id: int) -> Any:
    return client.post(f"/api/conversations/{cid}/drip", headers=who.headers, json={"drip_id": drip_id})


def _in_an_hour() -> str:
    return (datetime.now(UTC) + timedelta(hours=1)).isoformat()


def _pending(client: TestClient, who: Login, cid: int) -> list[str]:
    rows = client.get(f"/api/conversations/{cid}/scheduled", headers=who.headers).json()["scheduled"]
    return [r["body"] for r in rows]


def test_admins_make_drips_with_steps_in_ascending_order(client: TestClient, database_url: str) -> None:
    build_sync(database_url, contacts=())
    owner, sam = login(client, "owner@example.org"), login(client, "sam@example.org")
    made = client.post("/api/drips", headers=owner.headers, json=WELCOME)
    assert made.status_code == 201
    assert made.json()["steps"] == WELCOME["steps"] and made.json()["name"] == "Welcome"
    assert [d["name"] for d in client.get("/api/drips", headers=sam.headers).json()["drips"]] == ["Welcome"]

    assert client.post("/api/drips", headers=sam.headers, json=WELCOME).status_code == 403
    backwards = {
        "name": "Oops",
        "steps": [{"after_seconds": 60, "body": "b"}, {"after_seconds": 30, "body": "a"}],
    }
    refused = client.post("/api/drips", headers=owner.headers, json=backwards)
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "steps_out_of_order"
    for bad in (
        {"name": "None", "steps": []},
        {"name": " ", "steps": STEPS},
        {"name": "Neg", "steps": [{"after_seconds": -1, "body": "x"}]},
        {"name": "Blank", "steps": [{"after_seconds": 1, "body": "  "}]},
        {"name": "Typo", "steps": [{"after_second": 1, "body": "x"}]},
    ):
        assert client.post("/api/drips", headers=owner.headers, json=bad).status_code == 422, bad
    assert len(client.get("/api/drips", headers=owner.headers).json()["drips"]) == 1

    drip_id = made.json()["id"]
    assert client.delete(f"/api/drips/{drip_id}", headers=sam.headers).status_code == 403
    assert client.delete(f"/api/drips/{drip_id}", headers=owner.headers).status_code == 204
    assert client.get("/api/drips", headers=owner.headers).json()["drips"] == []


def test_a_drip_sends_its_steps_until_the_contact_answers(client: TestClient, database_url: str) -> None:
    build_sync(database_url, contacts=())
    owner, sam = login(client, "owner@example.org"), login(client, "sam@example.org")
    drip_id = client.post("/api/drips", headers=owner.headers, json=WELCOME).json()["id"]
    cid = client.post("/api/inbox/conversations", headers=sam.headers, json={"phone": NIA}).json()["id"]

    applied = _apply(client, sam, cid, drip_id)
    assert applied.status_code == 201
    rows = applied.json()["scheduled"]
    assert [(r["drip_id"], r["drip_step"]) for r in rows] == [(drip_id, 1), (drip_id, 2), (drip_id, 3)]
    assert _pending(client, sam, cid) == [s["body"] for s in STEPS]

    eventually(lambda: [s.body for s in simulator(client).sent] == ["Welcome to Texters United!"])
    # Nia answers before the second step: the steps not yet sent are deleted, nothing more goes.
    text_in(client, NIA, "Who is this?", "SM-1")
    assert _pending(client, sam, cid) == []
    time.sleep(3.5)
    assert [s.body for s in simulator(client).sent] == ["Welcome to Texters United!"]
    assert [m["body"] for m in thread(client, sam, cid)] == ["Welcome to Texters United!", "Who is this?"]
    # A text scheduled by hand is not a drip step: the next reply leaves it alone.
    client.post(
        f"/api/conversations/{cid}/messages",
        headers=sam.headers,
        json={"body": "See you Saturday", "send_at": _in_an_hour()},
    )
    text_in(client, NIA, "Great", "SM-2")
    assert _pending(client, sam, cid) == ["See you Saturday"]


def test_drips_are_refused_when_off_in_campaigns_and_for_opted_out_contacts(
    client: TestClient, database_url: str
) -> None:
    world = build_sync(database_url, assign=["Sam"] * 6)
    owner, sam = login(client, "owner@example.org"), login(client, "sam@example.org")
    drip_id = client.post("/api/drips", headers=owner.headers, json=WELCOME).json()["id"]
    cid = client.post("/api/inbox/conversations", headers=sam.headers, json={"phone": NIA}).json()["id"]

    campaign = _apply(client, sam, world.conversations[0], drip_id)
    assert campaign.status_code == 409 and campaign.json()["error"]["code"] == "campaign_conversation"
    assert _apply(client, sam, cid, drip_id + 1000).status_code == 404

    off = client.patch("/api/organization", headers=owner.headers, json={"allow_drips": False})
    assert off.status_code == 200 and off.json()["allow_drips"] is False
    refused = _apply(client, sam, cid, drip_id)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "drips_disabled"
    client.patch("/api/organization", headers=owner.headers, json={"allow_drips": True})

    # Applied, then turned off before the first step is due: nothing goes.
    assert _apply(client, sam, cid, drip_id).status_code == 201
    client.patch("/api/organization", headers=owner.headers, json={"allow_drips": False})
    eventually(lambda: _pending(client, sam, cid) == ["One last nudge: shifts are open."])
    assert [s.body for s in simulator(client).sent] == []

    client.patch("/api/organization", headers=owner.headers, json={"allow_drips": True})
    client.post(f"/api/conversations/{cid}/opt-out", headers=sam.headers)
    out = _apply(client, sam, cid, drip_id)
    assert out.status_code == 409 and out.json()["error"]["code"] == "opted_out"
