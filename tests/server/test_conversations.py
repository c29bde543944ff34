"""Senders text from the Admin Messenger over HTTP: send, refuse, list, view, survey, opt out."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from datetime import timedelta

from starlette.applications import Starlette
from starlette.testclient import TestClient

from persistence.store.types import utcnow
from server.providers import OutgoingSms, ProviderError, Simulator
from tests.support.worlds.accounts import Login, login
from tests.support.worlds.messaging import World, build_sync, counters_true_sync

QUESTIONS = [("Will you vote?", ["Yes", "No", "Maybe"]), ("Anything else?", [])]


def _world(database_url: str, **kw: object) -> World:
    return build_sync(database_url, assign=["Sam", "Sam", "Sue", None, None, None], questions=QUESTIONS, **kw)


def _simulator(app: Starlette) -> Simulator:
    provider = app.state.services.provider
    assert isinstance(provider, Simulator)
    return provider


def _eventually(check: Callable[[], bool], timeout: float = 10.0) -> None:
    """Wait for the send queue (it runs beside the request) to have done ``check``."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "the send queue did not get there in time"
        time.sleep(0.02)


def _send(client: TestClient, who: Login, cid: int, **body: object) -> tuple[int, dict[str, object]]:
    response = client.post(f"/api/conversations/{cid}/messages", headers=who.headers, json=body)
    return response.status_code, response.json()


def test_sender_sends_the_initial_message_and_the_simulator_records_it(
    client: TestClient, app: Starlette, database_url: str
) -> None:
    world = _world(database_url)
    sam = login(client, "sam@example.org")
    bare = client.post(f"/api/conversations/{world.conversations[1]}/messages", headers=sam.headers)
    assert bare.status_code == 201 and bare.json()["kind"] == "initial"  # no body at all: same as {}
    status, body = _send(client, sam, world.conversations[0])
    assert status == 201, body
    assert body["kind"] == "initial"
    message = body["message"]
    assert isinstance(message, dict)
    assert message["body"] == "Hi Ada, it's Sam Sender with Texters United. Can you vote Tuesday?"
    assert message["delivery_status"] == "queued"  # the send queue takes it from here
    assert body["conversation"] == {
        "id": world.conversations[0],
        "sender_id": sam.user_id,
        "status": "sent",
        "needs_reply": False,
        "last_message_at": body["conversation"]["last_message_at"],  # type: ignore[index]
        "archived": False,
    }
    _eventually(lambda: len(_simulator(app).sent) == 2)
    sent = list(_simulator(app).sent)
    assert [(s.to, s.from_) for s in sent] == [
        ("+14155552672", "+15005550006"),
        ("+14155552671", "+15005550006"),
    ]
    assert sent[1].body == message["body"]
    counters_true_sync(database_url, world.campaign_id)


def test_provider_failure_keeps_the_message_marked_failed(
    client: TestClient, app: Starlette, database_url: str
) -> None:
    class Broken:
        async def send(self, sms: OutgoingSms) -> str:
            raise ProviderError("The 'To' number is not a valid phone number.", error_code="21211")

    app.state.services.provider = Broken()
    world = _world(database_url)
    sam = login(client, "sam@example.org")
    assert _send(client, sam, world.conversations[0])[0] == 201
    url = f"/api/conversations/{world.conversations[0]}"

    def failed() -> bool:
        messages = client.get(url, headers=sam.headers).json()["messages"]
        return [m["delivery_status"] for m in messages] == ["failed"]

    _eventually(failed)
    (message,) = client.get(url, headers=sam.headers).json()["messages"]
    assert message["error_code"] == "21211"
    assert message["error_message"] == "The 'To' number is not a valid phone number."


def test_paused_campaign_refuses_with_campaign_is_currently_closed(
    client: TestClient, app: Starlette, database_url: str
) -> None:
    world = _world(database_url, status="paused")
    sam = login(client, "sam@example.org")
    status, body = _send(client, sam, world.conversations[0])
    assert status == 423
    assert body == {"error": {"code": "campaign_closed", "message": "Campaign is currently closed"}}
    assert not _simulator(app).sent


def test_window_passed_refuses_the_initial_message(
    client: TestClient, app: Starlette, database_url: str
) -> None:
    now = utcnow()
    world = _world(database_url, window=(now - timedelta(days=1), now - timedelta(minutes=5)))
    sam = login(client, "sam@example.org")
    status, body = _send(client, sam, world.conversations[0])
    assert status == 423
    assert body["error"] == {"code": "window_passed", "message": "Initial message sending window has passed"}
    assert not _simulator(app).sent


def test_bad_bodies_get_422_and_nothing_is_sent(
    client: TestClient, app: Starlette, database_url: str
) -> None:
    world = _world(database_url)
    sam = login(client, "sam@example.org")
    for body in ({"body": ""}, {"body": " \n "}, {"body": "x" * 1601}, {"body": 42}, {"note": "yes"}):
        status, answer = _send(client, sam, world.conversations[0], **body)
        assert status == 422, (body, answer)
    assert not _simulator(app).sent
    view = client.get(f"/api/conversations/{world.conversations[0]}", headers=sam.headers).json()
    assert view["messages"] == [] and view["status"] == "not_started"


def test_opted_out_contact_gets_409(client: TestClient, app: Starlette, database_url: str) -> None:
    world = _world(database_url)
    sam = login(client, "sam@example.org")
    response = client.post(f"/api/conversations/{world.conversations[0]}/opt-out", headers=sam.headers)
    assert response.status_code == 200 and response.json()["opted_out"] is True
    status, body = _send(client, sam, world.conversations[0])
    assert status == 409 and body["error"]["code"] == "opted_out"  # type: ignore[index]
    assert not _simulator(app).sent
    response = client.post(f"/api/conversations/{world.conversations[0]}/opt-in", headers=sam.headers)
    assert response.json()["conversation"]["status"] == "not_started"
    assert _send(client, sam, world.conversations[0])[0] == 201
    counters_true_sync(database_url, world.campaign_id)


def test_senders_only_touch_their_own_and_organizations_stay_apart(
    client: TestClient, database_url: str
) -> None:
    world = _world(database_url)
    rival = build_sync(
        database_url, name="Rivals", domain="rival.org", number="+15005550007", assign=[None] * 6
    )
    sue = login(client, "sue@example.org")
    assert _send(client, sue, world.conversations[0])[0] == 403
    assert client.get(f"/api/conversations/{world.conversations[0]}", headers=sue.headers).status_code == 403
    assert (
        client.post(f"/api/conversations/{world.conversations[0]}/opt-out", headers=sue.headers).status_code
        == 403
    )
    owner = login(client, "owner@example.org")
    assert _send(client, owner, rival.conversations[0])[0] == 404
    assert (
        client.get(f"/api/conversations/{rival.conversations[0]}", headers=owner.headers).status_code == 404
    )
    response = client.get(f"/api/campaigns/{rival.campaign_id}/conversations", headers=owner.headers)
    assert response.status_code == 404


def test_follow_up_and_notes_through_the_api(client: TestClient, app: Starlette, database_url: str) -> None:
    world = _world(database_url)
    sam = login(client, "sam@example.org")
    owner = login(client, "owner@example.org")
    _send(client, sam, world.conversations[0])
    status, body = _send(client, sam, world.conversations[0], follow_up=True)
    assert status == 201 and body["kind"] == "follow_up"
    status, body = _send(client, owner, world.conversations[0], body="Knocked on the door too", note=True)
    assert status == 201 and body["message"]["direction"] == "note"  # type: ignore[index]
    _eventually(lambda: len(_simulator(app).sent) == 2)
    assert _send(client, sam, world.conversations[0], body="psst", note=True)[0] == 403


def test_admin_messenger_lists_over_http(client: TestClient, database_url: str) -> None:
    world = _world(database_url)
    sam = login(client, "sam@example.org")
    owner = login(client, "owner@example.org")
    _send(client, sam, world.conversations[0])
    url = f"/api/campaigns/{world.campaign_id}/conversations"
    body = client.get(url, params={"tab": "initial"}, headers=sam.headers).json()
    assert [r["contact"]["first_name"] for r in body["conversations"]] == ["Grace"]
    assert body["next_cursor"] is None
    body = client.get(url, params={"tab": "follow_ups"}, headers=owner.headers).json()
    assert [r["contact"]["first_name"] for r in body["conversations"]] == ["Ada"]
    page = client.get(url, params={"sender": "unassigned", "limit": 2}, headers=owner.headers).json()
    assert len(page["conversations"]) == 2 and page["next_cursor"]
    rest = client.get(
        url, params={"sender": "unassigned", "limit": 2, "cursor": page["next_cursor"]}, headers=owner.headers
    ).json()
    assert [r["contact"]["first_name"] for r in rest["conversations"]] == ["Barbara"]
    assert client.get(url, params={"sender": "unassigned"}, headers=sam.headers).status_code == 403
    # A well-formed cursor whose id no row could have.
    midnight = "2026-01-01T00:00:00+00:00"
    forged = {"s": f"{world.campaign_id}:None:needs_reply", "v": [0, midnight, midnight, 10**20]}
    huge_cursor = base64.urlsafe_b64encode(json.dumps(forged).encode()).decode().rstrip("=")
    bad_params = (
        {"sender": "sam"},
        {"sender": "99999999999999999999"},
        {"tab": "nope"},
        {"sort": "nope"},
        {"limit": "0"},
        {"cursor": "!!"},
        {"cursor": huge_cursor},
    )
    for params in bad_params:
        response = client.get(url, params=params, headers=owner.headers)
        assert response.status_code == 422, params
        assert response.json()["error"]["code"]


def test_survey_answers_are_recorded_checked_and_cleared(client: TestClient, database_url: str) -> None:
    world = _world(database_url)
    sam = login(client, "sam@example.org")
    url = f"/api/conversations/{world.conversations[0]}/survey"
    view = client.get(f"/api/conversations/{world.conversations[0]}", headers=sam.headers).json()
    vote, other = (q["question_id"] for q in view["survey"])
    response = client.put(
        url, headers=sam.headers, json={"answers": {str(vote): "Yes", str(other): "Needs a ride"}}
    )
    assert response.status_code == 200, response.text
    assert [q["answer"] for q in response.json()["survey"]] == ["Yes", "Needs a ride"]
    bad_answers = (
        {str(vote): "Definitely"},
        {"99999": "Yes"},
        {"vote": "Yes"},
        {str(vote): ""},
        {str(other): "a\u0000b"},
    )
    for bad in bad_answers:
        refused = client.put(url, headers=sam.headers, json={"answers": bad})
        assert refused.status_code == 422, bad
    assert client.put(url, headers=sam.headers, json={"answers": ["Yes"]}).status_code == 422
    response = client.put(url, headers=sam.headers, json={"answers": {str(vote): None}})
    assert [q["answer"] for q in response.json()["survey"]] == [None, "Needs a ride"]
    sue = login(client, "sue@example.org")
    assert client.put(url, headers=sue.headers, json={"answers": {str(vote): "No"}}).status_code == 403


def test_the_sender_and_the_sweepers_see_the_text_arrive_live(client: TestClient, database_url: str) -> None:
    world = _world(database_url)
    sam = login(client, "sam@example.org")
    owner = login(client, "owner@example.org")
    own_channel = f"sender:{world.campaign_id}:{sam.user_id}"
    with (
        client.websocket_connect(f"/ws?token={sam.token}", subprotocols=["json"]) as sam_ws,
        client.websocket_connect(f"/ws?token={owner.token}", subprotocols=["json"]) as admin_ws,
    ):
        sam_ws.send_json({"type": "subscribe", "channel": own_channel, "since": None})
        assert sam_ws.receive_json()["type"] == "subscribed"
        admin_ws.send_json({"type": "subscribe", "channel": f"campaign:{world.campaign_id}", "since": None})
        assert admin_ws.receive_json()["type"] == "subscribed"
        assert _send(client, sam, world.conversations[0])[0] == 201
        for ws in (sam_ws, admin_ws):
            kinds: dict[str, dict[str, object]] = {}
            while "message" not in kinds or "conversation" not in kinds:
                frame = ws.receive_json()
                if frame["type"] == "event":
                    kinds.setdefault(frame["kind"], frame["data"])
            assert kinds["message"]["conversation_id"] == world.conversations[0]
            assert kinds["conversation"]["status"] == "sent"


def test_text_the_database_cannot_store_is_refused_not_a_500(client: TestClient, database_url: str) -> None:
    world = _world(database_url)
    sam = login(client, "sam@example.org")
    owner = login(client, "owner@example.org")
    for bad in ("nul\u0000here", "lone \ud800 surrogate"):
        # json.dumps escapes both (ASCII output), as a script's JSON library would send them.
        raw = json.dumps({"body": bad}).encode()
        headers = {**sam.headers, "content-type": "application/json"}
        url = f"/api/conversations/{world.conversations[0]}/messages"
        assert client.post(url, content=raw, headers=headers).status_code == 422
        raw = json.dumps({"title": "t", "body": bad}).encode()
        headers = {**owner.headers, "content-type": "application/json"}
        assert client.post("/api/replies", content=raw, headers=headers).status_code == 422
    url = f"/api/campaigns/{world.campaign_id}/conversations"
    assert client.get(url, params={"search": "a\u0000"}, headers=owner.headers).status_code == 422
    view = client.get(f"/api/conversations/{world.conversations[0]}", headers=sam.headers).json()
    assert view["messages"] == []


def test_ids_no_row_could_have_are_not_found(client: TestClient, database_url: str) -> None:
    _world(database_url)
    owner = login(client, "owner@example.org")
    huge = "99999999999999999999"
    for url in (
        f"/api/conversations/{huge}",
        "/api/conversations/abc",
        f"/api/campaigns/{huge}/conversations",
        f"/api/campaigns/{huge}/replies",
        f"/api/campaigns/{huge}/export.csv",
    ):
        response = client.get(url, headers=owner.headers)
        assert response.status_code == 404, url
        assert response.json()["error"]["code"] == "not_found"
    assert (
        client.post(f"/api/conversations/{huge}/messages", headers=owner.headers, json={}).status_code == 404
    )
