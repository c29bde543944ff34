"""A text scheduled for later: listed, cancelled, sent on time, refused when it may not go."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.testclient import TestClient

from persistence.rules.channels import inbox_channel
from tests.server.test_media import png, upload
from tests.server.test_opt_out_message import simulator, text_in, thread
from tests.server.test_texting import eventually
from tests.support.worlds.accounts import Login, login, sync
from tests.support.worlds.messaging import build_sync, events_of

NIA = "+14155550199"


def _at(seconds: float) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat()


def _schedule(client: TestClient, who: Login, cid: int, body: str, seconds: float) -> Any:
    return client.post(
        f"/api/conversations/{cid}/messages",
        headers=who.headers,
        json={"body": body, "send_at": _at(seconds)},
    )


def _pending(client: TestClient, who: Login, cid: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = client.get(
        f"/api/conversations/{cid}/scheduled", headers=who.headers
    ).json()["scheduled"]
    return rows


def test_a_scheduled_text_waits_is_listed_and_goes_on_time(client: TestClient, database_url: str) -> None:
    build_sync(database_url, contacts=())
    sam = login(client, "sam@example.org")
    cid = client.post("/api/inbox/conversations", headers=sam.headers, json={"phone": NIA}).json()["id"]

    later = _schedule(client, sam, cid, "Doors open at 9", 3600)
    soon = _schedule(client, sam, cid, "Reminder: the meeting starts now", 1.5)
    assert later.status_code == soon.status_code == 201
    assert soon.json()["kind"] == "scheduled" and soon.json()["scheduled"]["state"] == "pending"
    assert [r["body"] for r in _pending(client, sam, cid)] == [
        "Reminder: the meeting starts now",
        "Doors open at 9",
    ]
    # Nothing is in the thread or sent yet.
    assert thread(client, sam, cid) == [] and not simulator(client).sent

    due = time.monotonic() + 1.5
    eventually(lambda: [s.body for s in simulator(client).sent] == ["Reminder: the meeting starts now"])
    # On time: not before its moment, and within the scheduler's poll and the queue's pace.
    assert time.monotonic() >= due - 0.1
    assert time.monotonic() - due < 4
    messages = thread(client, sam, cid)
    assert [(m["body"], m["sender_id"]) for m in messages] == [
        ("Reminder: the meeting starts now", sam.user_id)
    ]
    assert [r["body"] for r in _pending(client, sam, cid)] == ["Doors open at 9"]

    # Cancelled, it is gone; cancelling again, or a text already sent, is refused.
    later_id = later.json()["scheduled"]["id"]
    assert client.delete(f"/api/scheduled/{later_id}", headers=sam.headers).status_code == 204
    assert _pending(client, sam, cid) == []
    assert client.delete(f"/api/scheduled/{later_id}", headers=sam.headers).status_code == 404
    sent = client.delete(f"/api/scheduled/{soon.json()['scheduled']['id']}", headers=sam.headers)
    assert sent.status_code == 409 and sent.json()["error"]["code"] == "not_pending"

    # Each change was a `scheduled` event on Sam's inbox channel, for open pages to follow.
    events = sync(database_url, lambda db: events_of(db, inbox_channel(sam.user_id)))
    changes = [(d["scheduled"]["body"], d["scheduled"]["state"]) for k, d in events if k == "scheduled"]  # type: ignore[index]
    assert changes == [
        ("Doors open at 9", "pending"),
        ("Reminder: the meeting starts now", "pending"),
        ("Reminder: the meeting starts now", "sent"),
        ("Doors open at 9", "cancelled"),
    ]


def test_scheduling_is_refused_in_the_past_in_campaigns_to_opted_out_contacts_and_to_others(
    client: TestClient, database_url: str
) -> None:
    world = build_sync(database_url, assign=["Sam"] * 6)
    sam, sue = login(client, "sam@example.org"), login(client, "sue@example.org")
    cid = client.post("/api/inbox/conversations", headers=sam.headers, json={"phone": NIA}).json()["id"]

    past = _schedule(client, sam, cid, "Too late", -60)
    assert past.status_code == 422 and past.json()["error"]["code"] == "send_at_past"
    too_far = _schedule(client, sam, cid, "Next year", 400 * 86400)
    assert too_far.status_code == 422 and too_far.json()["error"]["code"] == "send_at_too_far"
    empty = _schedule(client, sam, cid, "   ", 60)
    assert empty.status_code == 422 and empty.json()["error"]["code"] == "empty_body"
    note = client.post(
        f"/api/conversations/{cid}/messages",
        headers=sam.headers,
        json={"body": "x", "note": True, "send_at": _at(60)},
    )
    assert note.status_code == 422
    # A picture cannot wait: it is refused, never scheduled without it.
    picture = upload(client, sam, png()).json()
    with_media = client.post(
        f"/api/conversations/{cid}/messages",
        headers=sam.headers,
        json={"body": "Here is the flyer", "media_ids": [picture["id"]], "send_at": _at(60)},
    )
    assert with_media.status_code == 422, with_media.text
    assert "no media" in with_media.json()["error"]["message"]

    campaign = _schedule(client, sam, world.conversations[0], "Hello", 60)
    assert campaign.status_code == 409 and campaign.json()["error"]["code"] == "campaign_conversation"
    # Another sender's inbox is not theirs to schedule in.
    assert _schedule(client, sue, cid, "Hi", 60).status_code == 403

    assert client.post(f"/api/conversations/{cid}/opt-out", headers=sam.headers).status_code == 200
    out = _schedule(client, sam, cid, "Hi", 60)
    assert out.status_code == 409 and out.json()["error"]["code"] == "opted_out"
    assert _pending(client, sam, cid) == []


def test_a_contact_who_opts_out_meanwhile_gets_no_scheduled_text(
    client: TestClient, database_url: str
) -> None:
    build_sync(database_url, contacts=())
    sam = login(client, "sam@example.org")
    cid = client.post("/api/inbox/conversations", headers=sam.headers, json={"phone": NIA}).json()["id"]
    client.post(f"/api/conversations/{cid}/messages", headers=sam.headers, json={"body": "Hi Nia"})
    row = _schedule(client, sam, cid, "Are you coming?", 1.5).json()["scheduled"]
    text_in(client, NIA, "STOP", "SM-stop")

    time.sleep(3)
    assert [s.body for s in simulator(client).sent if s.body == "Are you coming?"] == []
    assert _pending(client, sam, cid) == []
    assert "Are you coming?" not in [m["body"] for m in thread(client, sam, cid)]
    # The row tells why it did not go.
    cancel = client.delete(f"/api/scheduled/{row['id']}", headers=sam.headers)
    assert cancel.status_code == 409 and "skipped" in cancel.json()["error"]["message"]
