"""An organizer connects Twilio and texts go out through it, paced, with delivery receipts.

The provider is a local fake of Twilio's REST API (loadtests/fake_twilio.py);
the server runs in process, its send queue beside the requests.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient
from twilio.request_validator import RequestValidator

from loadtests.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio, running
from persistence.outbox.outbox import open_database
from persistence.rules.pace import interval
from persistence.store.models import Event, Message, Organization
from server.app import create_app
from server.settings import Settings
from tests.support.worlds.accounts import Login, login
from tests.support.worlds.messaging import NUMBER, TOKEN, World, build_sync

PUBLIC = "https://texting.example.org"
SERVICE_SID = "MG" + "fedcba9876543210" * 2


def eventually(check: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "not reached in time"
        time.sleep(0.02)


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    with running() as serving:
        yield serving


@pytest.fixture
def texting_settings(settings: Settings, fake: FakeTwilio) -> Settings:
    return replace(
        settings,
        twilio_api_url=fake.url,
        public_url=PUBLIC,
        send_backoff_seconds=0.05,
        send_poll_seconds=0.05,
        simulator_receipt_seconds=0.05,
    )


@pytest.fixture
def texting(texting_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(texting_settings)) as test_client:
        yield test_client


def connect_twilio(client: TestClient, owner: Login, **extra: Any) -> dict[str, Any]:
    provider = {"kind": "twilio", "account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN, **extra}
    response = client.patch("/api/organization", headers=owner.headers, json={"provider": provider})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def send(client: TestClient, who: Login, conversation_id: int) -> dict[str, Any]:
    response = client.post(f"/api/conversations/{conversation_id}/messages", headers=who.headers, json={})
    assert response.status_code == 201, response.text
    message: dict[str, Any] = response.json()["message"]
    return message


def thread(client: TestClient, who: Login, conversation_id: int) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = client.get(
        f"/api/conversations/{conversation_id}", headers=who.headers
    ).json()["messages"]
    return messages


def status_of(client: TestClient, who: Login, conversation_id: int) -> str | None:
    messages = thread(client, who, conversation_id)
    return messages[-1]["delivery_status"] if messages else None


def callback(
    client: TestClient, sid: str, status: str, *, error_code: str = "", token: str | None = AUTH_TOKEN
) -> int:
    """Twilio's status callback, signed over the public URL as Twilio's console has it."""
    form = {
        "MessageSid": sid,
        "MessageStatus": status,
        "AccountSid": ACCOUNT_SID,
        "From": NUMBER,
        "To": "+14155552671",
    }
    if error_code:
        form["ErrorCode"] = error_code
    headers = {}
    if token is not None:
        headers["X-Twilio-Signature"] = RequestValidator(token).compute_signature(
            f"{PUBLIC}/api/sms/status", form
        )
    response = client.post("/api/sms/status", data=form, headers=headers)
    return response.status_code


async def _written_at(database_url: str, kind: str) -> list[datetime]:
    """When each event of ``kind`` was written, in order."""
    db = open_database(database_url)
    try:
        async with db.session() as session:
            return list(
                await session.scalars(select(Event.created_at).where(Event.kind == kind).order_by(Event.id))
            )
    finally:
        await db.dispose()


def world_of(database_url: str) -> World:
    return build_sync(database_url, assign=["Sam"] * 6)


def test_texts_reach_twilio_with_the_right_fields_and_the_token_is_never_shown_again(
    texting: TestClient, fake: FakeTwilio, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    world = world_of(database_url)
    owner, sam = login(texting, "owner@example.org"), login(texting, "sam@example.org")
    shown = connect_twilio(texting, owner)
    assert shown["provider"] == {"kind": "twilio", "account_sid": ACCOUNT_SID, "messaging_service_sid": None}
    again = texting.get("/api/organization", headers=owner.headers).json()
    assert again["provider"] == shown["provider"] and AUTH_TOKEN not in str(again)

    queued = send(texting, sam, world.conversations[0])
    assert queued["delivery_status"] == "queued"
    eventually(lambda: status_of(texting, sam, world.conversations[0]) == "sent")
    (arrival,) = fake.arrivals
    assert arrival.status == 201 and arrival.account_sid == ACCOUNT_SID
    assert dict(arrival.form) == {
        "To": "+14155552671",
        "From": NUMBER,
        "Body": "Hi Ada, it's Sam Sender with Texters United. Can you vote Tuesday?",
        "StatusCallback": f"{PUBLIC}/api/sms/status",
    }
    assert arrival.fields("MediaUrl") == []

    async def stored() -> tuple[str | None, str | None]:
        db = open_database(database_url)
        try:
            async with db.session() as session:
                org = await session.get_one(Organization, world.organization_id)
                sid = await session.scalar(select(Message.provider_message_id))
                return org.twilio_auth_token_encrypted, sid
        finally:
            await db.dispose()

    encrypted, sid = asyncio.run(stored())
    assert encrypted and AUTH_TOKEN not in encrypted
    assert sid == arrival.sid
    assert AUTH_TOKEN not in caplog.text


def test_a_messaging_service_is_used_instead_of_the_number(
    texting: TestClient, fake: FakeTwilio, database_url: str
) -> None:
    world = world_of(database_url)
    owner, sam = login(texting, "owner@example.org"), login(texting, "sam@example.org")
    connect_twilio(texting, owner, messaging_service_sid=SERVICE_SID)
    send(texting, sam, world.conversations[0])
    eventually(lambda: len(fake.accepted) == 1)
    form = dict(fake.accepted[0].form)
    assert form["MessagingServiceSid"] == SERVICE_SID and "From" not in form


def test_a_wrong_auth_token_fails_the_text_with_twilios_code(
    texting: TestClient, fake: FakeTwilio, database_url: str
) -> None:
    world = world_of(database_url)
    owner, sam = login(texting, "owner@example.org"), login(texting, "sam@example.org")
    connect_twilio(texting, owner, auth_token="0" * 32)
    send(texting, sam, world.conversations[0])
    eventually(lambda: status_of(texting, sam, world.conversations[0]) == "failed")
    (message,) = thread(texting, sam, world.conversations[0])
    assert message["error_code"] == "20003" and message["error_message"]
    assert [a.status for a in fake.arrivals] == [401]


def test_a_throttled_text_is_retried_and_sent_once(
    texting: TestClient, fake: FakeTwilio, database_url: str
) -> None:
    world = world_of(database_url)
    owner, sam = login(texting, "owner@example.org"), login(texting, "sam@example.org")
    connect_twilio(texting, owner)
    fake.next_answers.extend([(429, 20429), (429, 20429)])
    send(texting, sam, world.conversations[0])
    eventually(lambda: status_of(texting, sam, world.conversations[0]) == "sent")
    assert [a.status for a in fake.arrivals] == [429, 429, 201]
    assert len({a.field("Body") for a in fake.arrivals}) == 1
    time.sleep(0.3)  # nothing more goes out
    assert len(fake.accepted) == 1


def test_a_text_throttled_five_times_fails_and_is_not_tried_again(
    texting: TestClient, fake: FakeTwilio, database_url: str
) -> None:
    world = world_of(database_url)
    owner, sam = login(texting, "owner@example.org"), login(texting, "sam@example.org")
    connect_twilio(texting, owner)
    fake.next_answers.extend([(429, 20429)] * 5 + [(429, 30001)])
    send(texting, sam, world.conversations[0])
    eventually(lambda: status_of(texting, sam, world.conversations[0]) == "failed")
    (message,) = thread(texting, sam, world.conversations[0])
    assert message["error_code"] == "20429"
    time.sleep(0.3)
    assert len(fake.arrivals) == 5


def test_status_callbacks_move_forward_only_and_refuse_unsigned_ones(
    texting: TestClient, fake: FakeTwilio, database_url: str
) -> None:
    world = world_of(database_url)
    owner, sam = login(texting, "owner@example.org"), login(texting, "sam@example.org")
    connect_twilio(texting, owner)
    channel = f"campaign:{world.campaign_id}"
    with texting.websocket_connect(f"/ws?token={owner.token}", subprotocols=["json"]) as ws:
        ws.send_json({"type": "subscribe", "channel": channel, "since": None})
        assert ws.receive_json()["type"] == "subscribed"
        message_id = send(texting, sam, world.conversations[0])["id"]
        eventually(lambda: status_of(texting, sam, world.conversations[0]) == "sent")
        sid = fake.accepted[0].sid
        assert sid is not None
        assert callback(texting, sid, "delivered", token=None) == 403
        assert callback(texting, sid, "delivered", token="not-the-token") == 403
        assert status_of(texting, sam, world.conversations[0]) == "sent"
        assert callback(texting, sid, "delivered") == 200
        assert callback(texting, sid, "delivered") == 200  # replayed
        assert callback(texting, sid, "sent") == 200  # late, out of order
        assert callback(texting, sid, "undelivered", error_code="30003") == 200  # after a final one
        assert status_of(texting, sam, world.conversations[0]) == "delivered"
        statuses: list[str] = []
        while len(statuses) < 3:
            frame = ws.receive_json()
            if frame["type"] == "event" and frame["kind"] == "message":
                assert frame["data"]["message"]["id"] == message_id
                statuses.append(frame["data"]["message"]["delivery_status"])
        assert statuses == ["queued", "sent", "delivered"]
    assert callback(texting, "SMunknown", "delivered") == 200  # kept, for a message that may come
    bad = texting.post("/api/sms/status", data={"MessageSid": sid, "AccountSid": ACCOUNT_SID, "From": NUMBER})
    assert bad.status_code == 403  # unsigned comes first: nothing is said about the fields


def test_a_callback_before_the_send_answer_is_kept_and_applied(
    texting: TestClient, fake: FakeTwilio, database_url: str
) -> None:
    world = world_of(database_url)
    owner, sam = login(texting, "owner@example.org"), login(texting, "sam@example.org")
    connect_twilio(texting, owner)
    fake.next_sids.append("SMearly0000000000000000000000001")
    fake.answer_delay = 0.5
    send(texting, sam, world.conversations[0])
    eventually(lambda: len(fake.arrivals) == 1)
    # Twilio already delivered it while its answer to the send is still on the way.
    assert callback(texting, "SMearly0000000000000000000000001", "delivered") == 200
    assert status_of(texting, sam, world.conversations[0]) == "queued"
    eventually(lambda: status_of(texting, sam, world.conversations[0]) == "delivered")


def test_carrier_errors_opt_out_fail_and_count_filtering(
    texting: TestClient, fake: FakeTwilio, database_url: str
) -> None:
    world = world_of(database_url)
    owner, sam = login(texting, "owner@example.org"), login(texting, "sam@example.org")
    connect_twilio(texting, owner)
    for conversation_id in world.conversations[:3]:
        send(texting, sam, conversation_id)
    eventually(lambda: len(fake.accepted) == 3)
    by_to = {a.field("To"): a.sid for a in fake.accepted}
    sids = [by_to[phone] for phone in ("+14155552671", "+14155552672", "+14155552673")]
    assert all(sids)
    eventually(lambda: all(status_of(texting, sam, c) == "sent" for c in world.conversations[:3]))
    overview = f"/api/campaigns/{world.campaign_id}/overview"
    assert texting.get(overview, headers=owner.headers).json()["carrier_filtered"] == 0

    assert callback(texting, str(sids[0]), "failed", error_code="21610") == 200
    view = texting.get(f"/api/conversations/{world.conversations[0]}", headers=sam.headers).json()
    assert view["status"] == "opted_out"
    assert view["messages"][-1]["error_code"] == "21610"

    assert callback(texting, str(sids[1]), "undelivered", error_code="30006") == 200
    (landline,) = thread(texting, sam, world.conversations[1])
    assert landline["delivery_status"] == "failed" and landline["error_code"] == "30006"
    assert "landline" in landline["error_message"]

    with texting.websocket_connect(f"/ws?token={owner.token}", subprotocols=["json"]) as ws:
        ws.send_json({"type": "subscribe", "channel": f"campaign:{world.campaign_id}", "since": None})
        assert ws.receive_json()["type"] == "subscribed"
        assert callback(texting, str(sids[2]), "undelivered", error_code="30007") == 200
        assert callback(texting, str(sids[2]), "undelivered", error_code="30007") == 200  # replayed
        while True:
            frame = ws.receive_json()
            if frame["type"] == "event" and frame["kind"] == "carrier_filtered":
                assert frame["data"] == {"campaign_id": world.campaign_id, "carrier_filtered": 1}
                break
    assert texting.get(overview, headers=owner.headers).json()["carrier_filtered"] == 1


def test_provider_settings_that_cannot_work_are_refused_and_change_nothing(
    texting: TestClient, database_url: str
) -> None:
    world_of(database_url)
    owner, sam = login(texting, "owner@example.org"), login(texting, "sam@example.org")
    bad_bodies: list[dict[str, Any]] = [
        {"provider": {"kind": "twilio", "auth_token": AUTH_TOKEN}},
        {"provider": {"kind": "twilio", "account_sid": "ACnope", "auth_token": AUTH_TOKEN}},
        {"provider": {"kind": "twilio", "account_sid": ACCOUNT_SID}},
        {"provider": {"kind": "twilio", "account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN, "sid": "x"}},
        {
            "provider": {
                "kind": "twilio",
                "account_sid": ACCOUNT_SID,
                "auth_token": AUTH_TOKEN,
                "messaging_service_sid": "MGshort",
            }
        },
        {"provider": {"kind": "simulator", "auth_token": AUTH_TOKEN}},
        {"provider": {"kind": "bandwidth"}},
        {"provider": "twilio"},
        {"send_rate_per_second": 0},
        {"send_rate_per_second": 10**6},
        {"send_rate_per_second": "10"},
        {"send_rate_per_second": 2.5},
        {"send_rate_per_second": 5, "provider": {"kind": "twilio"}},
    ]
    for body in bad_bodies:
        response = texting.patch("/api/organization", headers=owner.headers, json=body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["error"]["code"] in ("invalid_input", "unknown_field")
    organization = texting.get("/api/organization", headers=owner.headers).json()
    assert organization["provider"] == {"kind": "simulator"} and organization["send_rate_per_second"] == 10
    assert (
        texting.patch("/api/organization", headers=sam.headers, json={"send_rate_per_second": 5}).status_code
        == 403
    )


def test_the_send_queue_tells_its_depth_rate_and_wait(
    texting: TestClient, fake: FakeTwilio, database_url: str
) -> None:
    world = world_of(database_url)
    owner, sam = login(texting, "owner@example.org"), login(texting, "sam@example.org")
    connect_twilio(texting, owner)
    response = texting.patch("/api/organization", headers=owner.headers, json={"send_rate_per_second": 1})
    assert response.json()["send_rate_per_second"] == 1
    assert texting.get("/api/organization/send-queue", headers=sam.headers).json() == {
        "depth": 0,
        "rate_per_second": 1,
        "eta_seconds": 0.0,
    }
    with texting.websocket_connect(f"/ws?token={owner.token}", subprotocols=["json"]) as ws:
        ws.send_json({"type": "subscribe", "channel": f"campaign:{world.campaign_id}", "since": None})
        assert ws.receive_json()["type"] == "subscribed"
        for conversation_id in world.conversations[:4]:
            send(texting, sam, conversation_id)
        state = texting.get("/api/organization/send-queue", headers=owner.headers).json()
        assert 1 <= state["depth"] <= 4 and state["rate_per_second"] == 1
        assert state["eta_seconds"] == pytest.approx(state["depth"] * interval(1), abs=0.05)
        depths: list[int] = []
        published: list[float] = []
        while not depths or depths[-1] != 0:
            frame = ws.receive_json()
            if frame["type"] == "event" and frame["kind"] == "send_queue":
                assert set(frame["data"]) == {"depth", "rate_per_second", "eta_seconds"}
                depths.append(frame["data"]["depth"])
                published.append(time.monotonic())
    # A depth may be published between two of the sends (the publisher runs
    # each second, wherever the sends are); from the peak on, it only falls.
    drained = depths[depths.index(max(depths)) :]
    assert max(depths) >= 1 and drained == sorted(drained, reverse=True) and depths[-1] == 0
    # At most once a second, by when each was written (their arrival here jitters with the load).
    written = asyncio.run(_written_at(database_url, "send_queue"))
    assert len(written) == len(published)
    assert all((b - a).total_seconds() > 0.8 for a, b in itertools.pairwise(written))
    arrivals = [a.at for a in fake.accepted]
    assert len(arrivals) == 4
    assert all(b - a >= 1.0 for a, b in itertools.pairwise(arrivals))


def test_the_simulator_sends_delivery_receipts_through_the_same_path(
    texting_settings: Settings, database_url: str
) -> None:
    world = world_of(database_url)
    with TestClient(create_app(texting_settings)) as client:
        sam = login(client, "sam@example.org")
        send(client, sam, world.conversations[0])
        eventually(lambda: status_of(client, sam, world.conversations[0]) == "delivered")
    failing = replace(texting_settings, simulator_failure_share=1.0)
    with TestClient(create_app(failing)) as client:
        sam = login(client, "sam@example.org")
        send(client, sam, world.conversations[1])
        eventually(lambda: status_of(client, sam, world.conversations[1]) in ("undelivered", "failed"))
        (message,) = thread(client, sam, world.conversations[1])
        assert message["error_code"] in ("30003", "30005", "30006", "30007")
        assert message["error_message"]


def test_the_simulator_organization_signs_its_callbacks_with_its_webhook_token(
    texting: TestClient, database_url: str
) -> None:
    world_of(database_url)
    assert callback(texting, "SMx", "delivered", token=TOKEN) == 200
    assert callback(texting, "SMx", "delivered", token=AUTH_TOKEN) == 403


def test_a_callback_with_bytes_no_sid_could_have_is_refused_not_a_500(
    texting: TestClient, database_url: str
) -> None:
    world_of(database_url)
    for account in ("AC\u0000", "AC" + "x" * 100):
        form = {"MessageSid": "SM1", "MessageStatus": "delivered", "AccountSid": account, "From": "nobody"}
        response = texting.post("/api/sms/status", data=form)
        assert response.status_code == 403, response.text
