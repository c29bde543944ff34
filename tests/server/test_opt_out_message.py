"""An organizer sets the opt-out message; a contact who texts STOP gets it once, and only then."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.testclient import TestClient

from server.providers import Simulator
from server.signature import compute_signature
from tests.server.test_texting import eventually
from tests.support.worlds.accounts import Login, login
from tests.support.worlds.messaging import NUMBER, TOKEN, World, build_sync

URL = "http://testserver/api/sms/inbound"
GOODBYE = "You\u2019re unsubscribed from Texters United \u2014 reply START to resubscribe."


def text_in(client: TestClient, from_: str, body: str, sid: str) -> dict[str, Any]:
    """The contact at ``from_`` texts ``body``: a webhook signed as the provider signs it."""
    params = {"From": from_, "To": NUMBER, "Body": body, "MessageSid": sid, "NumMedia": "0"}
    headers = {
        "content-type": "application/x-www-form-urlencoded",
        "accept": "application/json",
        "x-twilio-signature": compute_signature(TOKEN, URL, params.items()),
    }
    response = client.post("/api/sms/inbound", content=urlencode(params).encode(), headers=headers)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def thread(client: TestClient, who: Login, conversation_id: int) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = client.get(
        f"/api/conversations/{conversation_id}", headers=who.headers
    ).json()["messages"]
    return messages


def automatic(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m for m in messages if m["automatic"]]


def simulator(client: TestClient) -> Simulator:
    provider = client.app.state.services.provider  # type: ignore[attr-defined]
    assert isinstance(provider, Simulator)
    return provider


def _started(client: TestClient, database_url: str) -> tuple[World, Login, Login]:
    world = build_sync(database_url, assign=["Sam"] * 6)
    sam, owner = login(client, "sam@example.org"), login(client, "owner@example.org")
    for conversation_id in world.conversations[:3]:
        url = f"/api/conversations/{conversation_id}/messages"
        assert client.post(url, headers=sam.headers, json={}).status_code == 201
    # The send queue hands the three texts to the simulator in the background.
    eventually(lambda: len(simulator(client).sent) == 3)
    return world, sam, owner


def test_stop_gets_the_opt_out_message_once(client: TestClient, database_url: str) -> None:
    world, sam, owner = _started(client, database_url)
    changed = client.patch("/api/organization", headers=owner.headers, json={"opt_out_message": GOODBYE})
    assert changed.status_code == 200 and changed.json()["opt_out_message"] == GOODBYE
    assert client.get("/api/organization", headers=sam.headers).json()["opt_out_message"] == GOODBYE

    ada = world.phones[0]
    assert text_in(client, ada, " Stop ", "SM1")["keyword"] == "opt_out"
    messages = thread(client, sam, world.conversations[0])
    assert [m["direction"] for m in messages] == ["outbound", "inbound", "outbound"]
    goodbye = messages[-1]
    assert goodbye["body"] == GOODBYE and goodbye["automatic"] is True and goodbye["sender_id"] is None
    # The send queue sends it, though the contact is now opted out: it confirms the opt-out.
    eventually(lambda: [(s.to, s.body) for s in simulator(client).sent][-1] == (ada, GOODBYE))
    eventually(lambda: thread(client, sam, world.conversations[0])[-1]["delivery_status"] != "queued")
    assert thread(client, sam, world.conversations[0])[-1]["delivery_status"] in ("sent", "delivered")

    # The contact repeats themselves, with another keyword: already out, nothing more is sent.
    text_in(client, ada, "STOPALL", "SM2")
    text_in(client, ada, "revoke", "SM3")
    assert len(automatic(thread(client, sam, world.conversations[0]))) == 1
    assert [s.to for s in simulator(client).sent].count(ada) == 2  # the initial text and the goodbye

    # Opting back in and out again is a new opt-out, confirmed again.
    text_in(client, ada, "START", "SM4")
    text_in(client, ada, "optout", "SM5")
    assert len(automatic(thread(client, sam, world.conversations[0]))) == 2
    eventually(lambda: [s.to for s in simulator(client).sent].count(ada) == 3)


def test_a_manual_opt_out_sends_nothing_and_a_later_stop_neither(
    client: TestClient, database_url: str
) -> None:
    world, sam, owner = _started(client, database_url)
    client.patch("/api/organization", headers=owner.headers, json={"opt_out_message": GOODBYE})
    sent_before = len(simulator(client).sent)
    url = f"/api/conversations/{world.conversations[1]}/opt-out"
    assert client.post(url, headers=sam.headers).json()["opted_out"] is True
    text_in(client, world.phones[1], "STOP", "SM1")
    assert automatic(thread(client, sam, world.conversations[1])) == []
    assert len(simulator(client).sent) == sent_before


def test_no_opt_out_message_when_it_is_null(client: TestClient, database_url: str) -> None:
    world, sam, owner = _started(client, database_url)
    client.patch("/api/organization", headers=owner.headers, json={"opt_out_message": GOODBYE})
    cleared = client.patch("/api/organization", headers=owner.headers, json={"opt_out_message": None})
    assert cleared.json()["opt_out_message"] is None
    sent_before = len(simulator(client).sent)
    text_in(client, world.phones[2], "unsubscribe", "SM1")
    assert automatic(thread(client, sam, world.conversations[2])) == []
    assert len(simulator(client).sent) == sent_before
    # Other settings left out of a PATCH stay as they are.
    client.patch("/api/organization", headers=owner.headers, json={"opt_out_message": GOODBYE})
    client.patch("/api/organization", headers=owner.headers, json={"redact_phones": False})
    assert client.get("/api/organization", headers=owner.headers).json()["opt_out_message"] == GOODBYE


def test_plain_punctuation_keeps_the_opt_out_message_gsm(client: TestClient, database_url: str) -> None:
    world, sam, owner = _started(client, database_url)
    client.patch(
        "/api/organization",
        headers=owner.headers,
        json={"opt_out_message": GOODBYE, "plain_punctuation": True},
    )
    text_in(client, world.phones[0], "STOP", "SM1")
    goodbye = automatic(thread(client, sam, world.conversations[0]))[0]
    assert goodbye["body"] == "You're unsubscribed from Texters United - reply START to resubscribe."
    assert goodbye["segments"] == 1


def test_bad_settings_are_refused_and_change_nothing(client: TestClient, database_url: str) -> None:
    _world, sam, owner = _started(client, database_url)
    for bad in (
        {"opt_out_message": ""},
        {"opt_out_message": "   "},
        {"opt_out_message": 5},
        {"opt_out_message": "x" * 1601},
        {"plain_punctuation": "yes"},
        {"opt_out_message": "ok", "opt_out": "typo"},
    ):
        answer = client.patch("/api/organization", headers=owner.headers, json=bad)
        assert answer.status_code == 422, bad
        assert answer.json()["error"]["code"] in ("invalid_input", "unknown_field")
    assert (
        client.patch("/api/organization", headers=sam.headers, json={"opt_out_message": "x"}).status_code
        == 403
    )
    org = client.get("/api/organization", headers=owner.headers).json()
    assert (org["opt_out_message"], org["plain_punctuation"]) == (None, False)
