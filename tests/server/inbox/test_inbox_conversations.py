"""A sender texts a neighbour from the inbox; the reply comes back to them, live."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from tests.server.test_opt_out_message import simulator, text_in, thread
from tests.server.test_texting import eventually
from tests.support.worlds.accounts import login, sync
from tests.support.worlds.messaging import build_sync, events_of

NIA = "+14155550199"


def _events(database_url: str, channel: str) -> list[tuple[str, dict[str, Any]]]:
    return sync(database_url, lambda db: events_of(db, channel))


def test_a_sender_starts_a_conversation_texts_and_gets_the_reply(
    client: TestClient, database_url: str
) -> None:
    build_sync(database_url, contacts=())
    sam = login(client, "sam@example.org")
    started = client.post("/api/inbox/conversations", headers=sam.headers, json={"phone": "415 555 0199"})
    assert started.status_code == 201, started.text
    conversation = started.json()
    assert conversation["campaign_id"] is None and conversation["contact"]["phone"] == NIA
    assert conversation["assigned_to"] == sam.user_id and conversation["consent"] == {"sent_at": None}
    cid = conversation["id"]
    # Starting again with the same phone reuses the open conversation.
    again = client.post("/api/inbox/conversations", headers=sam.headers, json={"phone": NIA})
    assert again.status_code == 200 and again.json()["id"] == cid

    sent = client.post(f"/api/conversations/{cid}/messages", headers=sam.headers, json={"body": "Hi Nia!"})
    assert sent.status_code == 201, sent.text
    assert sent.json()["kind"] == "reply" and sent.json()["conversation"]["status"] == "sent"
    eventually(lambda: [(s.to, s.body) for s in simulator(client).sent] == [(NIA, "Hi Nia!")])

    assert text_in(client, NIA, "Hi Sam, see you Tuesday", "SM-in-1")["status"] == "stored"
    assert [m["body"] for m in thread(client, sam, cid)] == ["Hi Nia!", "Hi Sam, see you Tuesday"]
    rows = client.get("/api/inbox", headers=sam.headers).json()["conversations"]
    assert [(r["id"], r["status"], r["needs_reply"]) for r in rows] == [(cid, "needs_reply", True)]

    # Every change went to Sam's inbox channel, and nowhere near a campaign's.
    kinds = [kind for kind, _data in _events(database_url, f"inbox:{sam.user_id}")]
    assert kinds.count("message") >= 2 and "conversation" in kinds
    # The note and the opt-out work as on a campaign conversation.
    owner = login(client, "owner@example.org")
    note = client.post(
        f"/api/conversations/{cid}/messages", headers=owner.headers, json={"body": "VM", "note": True}
    )
    assert note.status_code == 201
    out = client.post(f"/api/conversations/{cid}/opt-out", headers=sam.headers)
    assert out.status_code == 200 and out.json()["conversation"]["status"] == "opted_out"
    refused = client.post(f"/api/conversations/{cid}/messages", headers=sam.headers, json={"body": "?"})
    assert refused.status_code == 409


def test_two_users_with_one_phone_have_two_conversations(client: TestClient, database_url: str) -> None:
    build_sync(database_url, contacts=())
    sam, sue = login(client, "sam@example.org"), login(client, "sue@example.org")
    owner = login(client, "owner@example.org")
    nia = client.post(
        "/api/address-book", headers=sam.headers, json={"first_name": "Nia", "phone": NIA}
    ).json()
    mine = client.post("/api/inbox/conversations", headers=sam.headers, json={"contact_id": nia["id"]}).json()
    hers = client.post("/api/inbox/conversations", headers=sue.headers, json={"phone": NIA}).json()
    assert mine["id"] != hers["id"] and mine["contact"]["id"] == hers["contact"]["id"] == nia["id"]

    assert [r["id"] for r in client.get("/api/inbox", headers=sam.headers).json()["conversations"]] == [
        mine["id"]
    ]
    # A sender sees neither another's inbox nor their conversation; a sweeper sees both.
    assert client.get(f"/api/inbox?user={sue.user_id}", headers=sam.headers).status_code == 403
    assert client.get(f"/api/conversations/{hers['id']}", headers=sam.headers).status_code == 403
    theirs = client.get(f"/api/inbox?user={sue.user_id}", headers=owner.headers).json()["conversations"]
    assert [r["id"] for r in theirs] == [hers["id"]]
    assert client.get(f"/api/conversations/{hers['id']}", headers=owner.headers).status_code == 200


def test_a_reply_lands_where_the_phone_was_texted_last(client: TestClient, database_url: str) -> None:
    world = build_sync(database_url, assign=["Sam"] * 6)
    sam = login(client, "sam@example.org")
    ada = world.phones[0]
    campaign_conversation = world.conversations[0]
    assert (
        client.post(
            f"/api/conversations/{campaign_conversation}/messages", headers=sam.headers, json={}
        ).status_code
        == 201
    )
    text_in(client, ada, "Yes I'll vote", "SM-a")
    assert [m["direction"] for m in thread(client, sam, campaign_conversation)][-1] == "inbound"

    inbox = client.post("/api/inbox/conversations", headers=sam.headers, json={"phone": ada}).json()
    # The inbox entry took the campaign's names for Ada.
    assert inbox["contact"]["first_name"] == "Ada"
    client.post(
        f"/api/conversations/{inbox['id']}/messages", headers=sam.headers, json={"body": "Thanks Ada"}
    )
    text_in(client, ada, "You're welcome", "SM-b")
    assert thread(client, sam, inbox["id"])[-1]["body"] == "You're welcome"
    assert thread(client, sam, campaign_conversation)[-1]["body"] == "Yes I'll vote"


def test_bad_starts_are_refused(client: TestClient, database_url: str) -> None:
    build_sync(database_url, contacts=())
    sam = login(client, "sam@example.org")
    for body, code in (
        ({}, "invalid_input"),
        ({"phone": NIA, "contact_id": 1}, "invalid_input"),
        ({"phone": "not a phone"}, "invalid_phone"),
        ({"phone": NIA, "campaign_id": 1}, "unknown_field"),
    ):
        answer = client.post("/api/inbox/conversations", headers=sam.headers, json=body)
        assert answer.status_code == 422 and answer.json()["error"]["code"] == code, body
    assert (
        client.post("/api/inbox/conversations", headers=sam.headers, json={"contact_id": 999999}).status_code
        == 404
    )
    assert client.get("/api/inbox", headers=sam.headers).json()["conversations"] == []
