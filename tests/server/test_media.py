"""A sender texts a picture: uploaded, checked, sent by MMS, fetched by Twilio from an expiring link.

Twilio is the local fake (loadtests/fake_twilio.py); it fetches each
``MediaUrl`` of a text without credentials, as Twilio does, through the app.
"""

from __future__ import annotations

import struct
import time
import zlib
from collections.abc import Iterator
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from loadtests.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio, running
from persistence.store.models import Media, Message
from server.app import create_app
from server.media_links import MEDIA_LINK_TTL, media_token
from server.settings import Settings
from server.signature import compute_signature
from tests.support.worlds.accounts import Login, login, make_org, sync
from tests.support.worlds.messaging import NUMBER, TOKEN, World, build_sync

PUBLIC = "https://texting.example.org"
SECRET = "test-secret-key"  # the settings fixture's secret_key
MB = 1024 * 1024


def png(width: int = 2, height: int = 2) -> bytes:
    """A real (tiny, grey) PNG picture."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def padded_png(size: int) -> bytes:
    """A PNG picture followed by padding up to ``size`` bytes (what a large photo weighs)."""
    picture = png()
    return picture + b"\x00" * (size - len(picture))


def eventually(check: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "not reached in time"
        time.sleep(0.02)


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    with running() as serving:
        yield serving


@pytest.fixture
def texting(settings: Settings, fake: FakeTwilio) -> Iterator[TestClient]:
    tuned = replace(
        settings,
        twilio_api_url=fake.url,
        public_url=PUBLIC,
        send_poll_seconds=0.05,
        send_backoff_seconds=0.05,
    )
    with TestClient(create_app(tuned)) as client:
        yield client


def upload(
    client: TestClient, who: Login, data: bytes, *, name: str = "photo.png", kind: str = "image/png"
) -> Any:
    return client.post("/api/media", headers=who.headers, files={"file": (name, data, kind)})


def media_rows(database_url: str) -> int:
    async def count(db: Any) -> int:
        async with db.session() as session:
            return int(await session.scalar(select(func.count()).select_from(Media)) or 0)

    return sync(database_url, count)


def thread(client: TestClient, who: Login, conversation_id: int) -> list[dict[str, Any]]:
    response = client.get(f"/api/conversations/{conversation_id}", headers=who.headers)
    assert response.status_code == 200, response.text
    messages: list[dict[str, Any]] = response.json()["messages"]
    return messages


def connect_twilio(client: TestClient, owner: Login) -> None:
    provider = {"kind": "twilio", "account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN}
    response = client.patch("/api/organization", headers=owner.headers, json={"provider": provider})
    assert response.status_code == 200, response.text


def world_of(database_url: str) -> World:
    return build_sync(database_url, assign=["Sam"] * 6)


def test_a_picture_goes_out_by_mms_and_twilio_fetches_the_same_bytes_from_its_link(
    texting: TestClient, fake: FakeTwilio, database_url: str
) -> None:
    world = world_of(database_url)
    owner, sam = login(texting, "owner@example.org"), login(texting, "sam@example.org")
    connect_twilio(texting, owner)

    def as_twilio(url: str) -> tuple[int, str, bytes]:
        # No credentials: the link itself is the permission.
        response = texting.get(url.removeprefix(PUBLIC))
        return response.status_code, response.headers.get("content-type", ""), response.content

    fake.media_fetcher = as_twilio
    picture = png()
    uploaded = upload(texting, sam, picture)
    assert uploaded.status_code == 201, uploaded.text
    media = uploaded.json()
    assert media == {"id": media["id"], "content_type": "image/png", "size": len(picture)}

    first = world.conversations[0]
    sent = texting.post(
        f"/api/conversations/{first}/messages", headers=sam.headers, json={"media_ids": [media["id"]]}
    )
    assert sent.status_code == 201, sent.text
    message = sent.json()["message"]
    assert message["segments"] == 1 and message["body"].startswith("Hi Ada")
    assert [m["id"] for m in message["media"]] == [media["id"]]

    eventually(lambda: thread(texting, sam, first)[-1]["delivery_status"] == "sent")
    (arrival,) = fake.accepted
    (url,) = arrival.fields("MediaUrl")
    # Unguessable: a 256-bit signature over the file and the expiry.
    assert url.startswith(f"{PUBLIC}/media/") and len(url.rsplit(".", 1)[1]) == 43
    (fetched,) = fake.fetched
    assert (fetched.url, fetched.status, fetched.content_type, fetched.body) == (
        url,
        200,
        "image/png",
        picture,
    )

    # The thread shows the picture through a link of its own, for the pages.
    (shown,) = thread(texting, sam, first)[-1]["media"]
    assert shown["content_type"] == "image/png" and shown["url"].startswith("/media/")
    assert texting.get(shown["url"]).content == picture

    # A reply may be a picture alone; an MMS is one message whatever its text.
    again = upload(texting, sam, picture).json()
    reply = texting.post(
        f"/api/conversations/{first}/messages",
        headers=sam.headers,
        json={"body": "x" * 400, "media_ids": [again["id"]]},
    )
    assert reply.status_code == 201, reply.text
    assert reply.json()["message"]["segments"] == 1
    alone = texting.post(
        f"/api/conversations/{first}/messages", headers=sam.headers, json={"media_ids": [again["id"]]}
    )
    assert alone.status_code == 201, alone.text
    assert alone.json()["message"]["body"] == ""
    eventually(lambda: len(fake.fetched) == 3)
    assert fake.accepted[2].field("Body") == "" and fake.fetched[2].body == picture


def test_without_a_public_url_a_picture_for_twilio_fails_with_the_reason(
    settings: Settings, fake: FakeTwilio, database_url: str
) -> None:
    world = world_of(database_url)
    tuned = replace(settings, twilio_api_url=fake.url, public_url=None, send_poll_seconds=0.05)
    with TestClient(create_app(tuned)) as client:
        owner, sam = login(client, "owner@example.org"), login(client, "sam@example.org")
        connect_twilio(client, owner)
        media_id = upload(client, sam, png()).json()["id"]
        first = world.conversations[0]
        sent = client.post(
            f"/api/conversations/{first}/messages", headers=sam.headers, json={"media_ids": [media_id]}
        )
        assert sent.status_code == 201, sent.text
        eventually(lambda: thread(client, sam, first)[-1]["delivery_status"] == "failed")
        assert thread(client, sam, first)[-1]["error_code"] == "no_public_url"
    assert fake.arrivals == []


def test_a_6_mb_upload_is_refused_and_nothing_is_stored(client: TestClient, database_url: str) -> None:
    build_sync(database_url)
    sam = login(client, "sam@example.org")
    too_big = padded_png(6 * MB)
    declared = upload(client, sam, too_big)
    assert declared.status_code == 413 and declared.json()["error"]["code"] == "too_large"

    # Without a declared length the body is cut off once it passes the limit.
    body, boundary = b"", "b0undary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.png"\r\n'
            "Content-Type: image/png\r\n\r\n"
        ).encode()
        + too_big
        + f"\r\n--{boundary}--\r\n".encode()
    )

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(body), 256 * 1024):
            yield body[start : start + 256 * 1024]

    streamed = client.post(
        "/api/media",
        headers={**sam.headers, "content-type": f"multipart/form-data; boundary={boundary}"},
        content=chunks(),
    )
    assert streamed.status_code == 413 and streamed.json()["error"]["code"] == "too_large"
    assert media_rows(database_url) == 0


def test_a_2_mb_picture_is_taken_with_the_carrier_advice(client: TestClient, database_url: str) -> None:
    build_sync(database_url)
    sam = login(client, "sam@example.org")
    response = upload(client, sam, padded_png(2 * MB))
    assert response.status_code == 201, response.text
    answer = response.json()
    assert answer["size"] == 2 * MB and "1.5 MB" in answer["warning"]
    assert "warning" not in upload(client, sam, padded_png(MB)).json()
    assert media_rows(database_url) == 2


def test_a_text_file_is_refused_even_when_it_says_it_is_a_picture(
    client: TestClient, database_url: str
) -> None:
    build_sync(database_url)
    sam = login(client, "sam@example.org")
    for name, kind in (("notes.txt", "text/plain"), ("photo.png", "image/png")):
        response = upload(client, sam, b"Meet at the library at 6pm.\n", name=name, kind=kind)
        assert response.status_code == 422 and response.json()["error"]["code"] == "unsupported_media"
    script = upload(client, sam, b"<svg onload=alert(1)></svg>", name="x.svg", kind="image/svg+xml")
    assert script.status_code == 422
    assert client.post("/api/media", headers=sam.headers, json={"file": "x"}).status_code == 422
    assert media_rows(database_url) == 0


def test_media_of_another_organization_cannot_be_sent(client: TestClient, database_url: str) -> None:
    world = build_sync(database_url, assign=["Sam"] * 6)
    make_org(database_url, "Other Org", email="owner@other.org")
    sam, stranger = login(client, "sam@example.org"), login(client, "owner@other.org")
    theirs = upload(client, stranger, png()).json()
    first = world.conversations[0]
    refused = client.post(
        f"/api/conversations/{first}/messages", headers=sam.headers, json={"media_ids": [theirs["id"]]}
    )
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "unknown_media"
    unknown = client.post(
        f"/api/conversations/{first}/messages", headers=sam.headers, json={"media_ids": [999]}
    )
    assert unknown.status_code == 422
    assert thread(client, sam, first) == []

    async def messages(db: Any) -> int:
        async with db.session() as session:
            return int(await session.scalar(select(func.count()).select_from(Message)) or 0)

    assert sync(database_url, messages) == 0


def test_an_expired_or_tampered_link_is_not_found(client: TestClient, database_url: str) -> None:
    build_sync(database_url)
    sam = login(client, "sam@example.org")
    media_id = upload(client, sam, png()).json()["id"]
    good = media_token(SECRET, media_id)
    assert client.get(f"/media/{good}").status_code == 200

    expired = media_token(SECRET, media_id, now=time.time() - MEDIA_LINK_TTL - 1)
    ident, expires, signature = good.split(".")
    other_id = f"{media_id + 1}.{expires}.{signature}"
    longer = f"{ident}.{int(expires) + 3600}.{signature}"
    flipped = f"{ident}.{expires}.{signature[:-1]}{'A' if signature[-1] != 'A' else 'B'}"
    forged = media_token("some-other-secret", media_id)
    for token in (expired, other_id, longer, flipped, forged, "nonsense", f"{media_id}"):
        response = client.get(f"/media/{token}")
        assert response.status_code == 404, token
        assert response.json()["error"]["code"] == "not_found"


def test_pictures_and_video_a_contact_texts_are_kept_with_their_types(
    client: TestClient, database_url: str
) -> None:
    world = build_sync(database_url, assign=["Sam"] * 6)
    sam = login(client, "sam@example.org")
    params = {
        "From": world.phones[0],
        "To": NUMBER,
        "Body": "Here's the flyer and the video",
        "MessageSid": "SM" + "1" * 32,
        "NumMedia": "3",
        "MediaUrl0": "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1",
        "MediaContentType0": "image/jpeg",
        "MediaUrl1": "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME2",
        "MediaContentType1": "video/mp4",
        "MediaUrl2": "javascript:alert(1)",
        "MediaContentType2": "image/png",
    }
    url = "http://testserver/api/sms/inbound"
    headers = {
        "content-type": "application/x-www-form-urlencoded",
        "x-twilio-signature": compute_signature(TOKEN, url, list(params.items())),
    }
    response = client.post("/api/sms/inbound", content=urlencode(params).encode(), headers=headers)
    assert response.status_code == 200, response.text
    (message,) = thread(client, sam, world.conversations[0])
    assert message["media"] == [
        {"url": params["MediaUrl0"], "content_type": "image/jpeg"},
        {"url": params["MediaUrl1"], "content_type": "video/mp4"},
    ]
