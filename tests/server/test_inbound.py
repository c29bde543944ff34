"""The SMS provider calls the webhook: signed texts are stored once; anything else changes nothing."""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qsl, urlencode

from sqlalchemy import func, select
from starlette.testclient import TestClient

from persistence.outbox.outbox import open_database
from persistence.store.models import Message, UnmatchedInbound
from server.signature import compute_signature, url_variants, valid_signature
from tests.support.worlds.accounts import login
from tests.support.worlds.messaging import NUMBER, TOKEN, World, build_sync, counters_true_sync

URL = "http://testserver/api/sms/inbound"


def _world(database_url: str) -> World:
    return build_sync(database_url, assign=["Sam", "Sam", "Sue", None, None, None])


def _post(
    client: TestClient,
    params: dict[str, str],
    *,
    token: str = TOKEN,
    signature: str | None = None,
    accept: str = "*/*",
) -> tuple[int, str]:
    raw = urlencode(params).encode()
    return _post_raw(client, raw, token=token, signature=signature, accept=accept)


def _post_raw(
    client: TestClient, raw: bytes, *, token: str = TOKEN, signature: str | None = None, accept: str = "*/*"
) -> tuple[int, str]:
    pairs = parse_qsl(raw.decode("utf-8", "surrogateescape"), encoding="utf-8", errors="surrogateescape")
    headers = {"content-type": "application/x-www-form-urlencoded", "accept": accept}
    headers["x-twilio-signature"] = (
        signature if signature is not None else compute_signature(token, URL, pairs)
    )
    response = client.post("/api/sms/inbound", content=raw, headers=headers)
    return response.status_code, response.text


def _sms(body: str, sid: str, from_: str = "+14155552671", **extra: str) -> dict[str, str]:
    return {"From": from_, "To": NUMBER, "Body": body, "MessageSid": sid, "NumMedia": "0", **extra}


def _stored(database_url: str) -> tuple[int, int]:
    async def run() -> tuple[int, int]:
        db = open_database(database_url)
        try:
            async with db.session() as session:
                messages = await session.scalar(select(func.count()).select_from(Message))
                unmatched = await session.scalar(select(func.count()).select_from(UnmatchedInbound))
                return int(messages or 0), int(unmatched or 0)
        finally:
            await db.dispose()

    return asyncio.run(run())


def test_signature_matches_the_providers_published_example() -> None:
    # The worked example of the provider's request-validation snippets.
    params = {
        "CallSid": "CA1234567890ABCDE",
        "Caller": "+14158675310",
        "Digits": "1234",
        "From": "+14158675310",
        "To": "+18005551212",
    }
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    signature = compute_signature("12345", url, params.items())
    assert signature == "GvWf1cFY/Q7PnoempGyD5oXAezc="
    assert valid_signature("12345", url, params.items(), signature)
    assert not valid_signature("12345", url, params.items(), "GvWf1cFY/Q7PnoempGyD5oXAezc")
    assert not valid_signature("12345", url + "&baz=3", params.items(), signature)
    # A proxy that writes out the default port does not break the check.
    assert valid_signature(
        "12345", "https://mycompany.com:443/myapp.php?foo=1&bar=2", params.items(), signature
    )
    assert url_variants("http://h.example:8080/x") == ["http://h.example:8080/x"]
    assert not valid_signature(None, url, params.items(), signature)


def test_a_reply_arrives_and_the_green_dot_appears(client: TestClient, database_url: str) -> None:
    world = _world(database_url)
    sam = login(client, "sam@example.org")
    client.post(f"/api/conversations/{world.conversations[0]}/messages", headers=sam.headers, json={})
    status, text = _post(
        client, _sms("Yes, count me in!", "SM1", NumMedia="1", MediaUrl0="https://m.example/1")
    )
    assert status == 200 and text.endswith("<Response/>")
    view = client.get(f"/api/conversations/{world.conversations[0]}", headers=sam.headers).json()
    assert view["status"] == "needs_reply" and view["needs_reply"] is True
    assert view["messages"][-1]["body"] == "Yes, count me in!"
    assert view["messages"][-1]["media_urls"] == ["https://m.example/1"]
    counters_true_sync(database_url, world.campaign_id)


def test_replayed_webhook_is_stored_once(client: TestClient, database_url: str) -> None:
    _world(database_url)
    answers = [_post(client, _sms("Yes", "SM-same"), accept="application/json") for _ in range(3)]
    assert [status for status, _ in answers] == [200, 200, 200]
    assert '"status":"duplicate"' in answers[-1][1].replace(" ", "")
    assert _stored(database_url) == (1, 0)


def test_wrong_or_missing_signature_gets_403_and_changes_nothing(
    client: TestClient, database_url: str
) -> None:
    _world(database_url)
    for signature in ("", "bm90IGEgc2lnbmF0dXJl", compute_signature("other-token", URL, [])):
        status, text = _post(client, _sms("Yes", "SM1"), signature=signature)
        assert status == 403 and '"invalid_signature"' in text
    status, _ = _post(client, _sms("Yes", "SM1"), token="guessed-token")
    assert status == 403
    # A number no organization owns cannot be signed by anyone.
    status, _ = _post(client, {**_sms("Yes", "SM1"), "To": "+12125551234"})
    assert status == 403
    assert _stored(database_url) == (0, 0)


def test_unmatched_inbound_is_kept_for_review(client: TestClient, database_url: str) -> None:
    _world(database_url)
    build_sync(database_url, name="Rivals", domain="rival.org", number="+15005550007", webhook_token="rival")
    status, text = _post(client, _sms("Who is this?", "SM9", from_="+13125550199"), accept="application/json")
    assert status == 200 and '"unmatched"' in text
    _post(client, _sms("And you?", "SM10", from_="+13125550198"))
    _post(client, {**_sms("Rival text", "SM11", from_="+13125550197"), "To": "+15005550007"}, token="rival")
    assert _stored(database_url) == (0, 3)
    owner = login(client, "owner@example.org")
    first = client.get("/api/sms/unmatched", params={"limit": 1}, headers=owner.headers).json()
    assert [u["body"] for u in first["unmatched"]] == ["And you?"]
    rest = client.get(
        "/api/sms/unmatched", params={"before": first["next_before"]}, headers=owner.headers
    ).json()
    assert [(u["from"], u["body"]) for u in rest["unmatched"]] == [("+13125550199", "Who is this?")]
    assert rest["next_before"] is None
    sam = login(client, "sam@example.org")
    assert client.get("/api/sms/unmatched", headers=sam.headers).status_code == 403


def test_stop_leaves_the_needs_reply_count(client: TestClient, database_url: str) -> None:
    world = _world(database_url)
    sam = login(client, "sam@example.org")
    for cid in world.conversations[:2]:
        client.post(f"/api/conversations/{cid}/messages", headers=sam.headers, json={})
    _post(client, _sms("Who?", "SM1"))
    _post(client, _sms("Hi", "SM2", from_=world.phones[1]))
    url = f"/api/campaigns/{world.campaign_id}/conversations"
    waiting = client.get(url, params={"tab": "responses"}, headers=sam.headers).json()["conversations"]
    assert [r["needs_reply"] for r in waiting] == [True, True]
    _post(client, _sms("  stop ", "SM3"))
    rows = client.get(url, params={"tab": "responses"}, headers=sam.headers).json()["conversations"]
    assert [r["contact"]["first_name"] for r in rows] == ["Grace"]
    opt_outs = client.get(url, params={"tab": "opt_outs"}, headers=sam.headers).json()["conversations"]
    assert [(r["contact"]["first_name"], r["status"]) for r in opt_outs] == [("Ada", "opted_out")]
    counters_true_sync(database_url, world.campaign_id)


def test_invalid_utf8_gets_400_and_nothing_is_stored(client: TestClient, database_url: str) -> None:
    _world(database_url)
    raw = b"From=%2B14155552671&To=%2B15005550006&Body=caf%E9%FF&MessageSid=SMbad"
    status, text = _post_raw(client, raw)
    assert status == 400 and '"invalid_encoding"' in text
    assert _stored(database_url) == (0, 0)


def test_ten_thousand_characters_are_stored_whole(client: TestClient, database_url: str) -> None:
    world = _world(database_url)
    owner = login(client, "owner@example.org")
    status, _ = _post(client, _sms("ü" * 10_000, "SM-long"))
    assert status == 200
    view = client.get(f"/api/conversations/{world.conversations[0]}", headers=owner.headers).json()
    assert view["messages"][0]["body"] == "ü" * 10_000


def test_missing_fields_are_refused_after_the_signature(client: TestClient, database_url: str) -> None:
    _world(database_url)
    params = _sms("Yes", "SM1")
    del params["MessageSid"]
    status, text = _post(client, params)
    assert status == 422 and "MessageSid" in text
    assert _stored(database_url) == (0, 0)


def test_a_huge_request_is_refused_unread(client: TestClient, database_url: str) -> None:
    _world(database_url)
    status, text = _post(client, _sms("x" * 300_000, "SM-huge"))
    assert status == 413 and '"too_large"' in text
    status, text = _post(client, _sms("x" * 20_001, "SM-long"))
    assert status == 422 and '"body_too_long"' in text
    assert _stored(database_url) == (0, 0)


def test_a_contact_who_texted_stop_is_not_added_to_the_next_campaign(
    client: TestClient, database_url: str
) -> None:
    world = _world(database_url)
    _post(client, _sms("STOP", "SM1"))
    owner = login(client, "owner@example.org")
    made = client.post(
        "/api/campaigns", headers=owner.headers, json={"title": "Runoff", "initial_message": "Hi!"}
    )
    assert made.status_code == 201, made.text
    contacts = [
        {"first_name": "Ada", "last_name": "Lovelace", "phone": world.phones[0]},
        {"first_name": "Grace", "last_name": "Hopper", "phone": world.phones[1]},
    ]
    added = client.post(f"/api/campaigns/{made.json()['id']}/contacts", headers=owner.headers, json=contacts)
    assert added.status_code in (200, 201), added.text
    assert added.json()["added"] == 1 and added.json()["opted_out"] == 1


def test_a_nul_character_is_refused_and_nothing_is_stored(client: TestClient, database_url: str) -> None:
    _world(database_url)
    status, text = _post(client, _sms("hello\u0000there", "SM-nul"))
    assert status == 400 and '"invalid_encoding"' in text
    assert _stored(database_url) == (0, 0)
