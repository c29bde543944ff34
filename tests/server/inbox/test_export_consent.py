"""A conversation's week exported for the records; the consent message goes first, once per phone."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from starlette.testclient import TestClient

from tests.server.test_opt_out_message import simulator, text_in, thread
from tests.server.test_texting import eventually
from tests.support.worlds.accounts import login
from tests.support.worlds.messaging import build_sync

NIA = "+14155550199"
CONSENT = "Texters United here: we'd like to text you about the election. Reply STOP to opt out."


def _url(conversation_id: int, **query: str) -> str:
    return f"/api/conversations/{conversation_id}/export?{urlencode(query)}"


def test_a_week_of_a_conversation_exports_as_csv_and_html(client: TestClient, database_url: str) -> None:
    build_sync(database_url, contacts=())
    sam = login(client, "sam@example.org")
    cid = client.post("/api/inbox/conversations", headers=sam.headers, json={"phone": NIA}).json()["id"]
    client.post(f"/api/conversations/{cid}/messages", headers=sam.headers, json={"body": "=HYPERLINK(1)"})
    text_in(client, NIA, "<script>alert(1)</script>", "SM-x")
    now = datetime.now(UTC)
    week = {"start": (now - timedelta(days=7)).isoformat(), "end": now.isoformat()}

    answer = client.get(_url(cid, format="csv", **week), headers=sam.headers)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert [(r["direction"], r["body"]) for r in rows] == [
        ("outbound", "'=HYPERLINK(1)"),
        ("inbound", "<script>alert(1)</script>"),
    ]
    page = client.get(_url(cid, format="html", **week), headers=sam.headers)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "<script>" not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text

    # Seven days are accepted; eight are not, and a range that ends before it starts neither.
    eight = {"start": (now - timedelta(days=8)).isoformat(), "end": now.isoformat()}
    too_long = client.get(_url(cid, **eight), headers=sam.headers)
    assert too_long.status_code == 422 and too_long.json()["error"]["code"] == "range_too_long"
    backwards = client.get(
        _url(cid, start=now.isoformat(), end=(now - timedelta(hours=1)).isoformat()), headers=sam.headers
    )
    assert backwards.status_code == 422
    # Messages outside the range stay out.
    earlier = {"start": (now - timedelta(days=3)).isoformat(), "end": (now - timedelta(days=2)).isoformat()}
    assert list(csv.DictReader(io.StringIO(client.get(_url(cid, **earlier), headers=sam.headers).text))) == []
    other = login(client, "sue@example.org")
    assert client.get(_url(cid), headers=other.headers).status_code == 403


def test_the_first_text_to_a_phone_is_preceded_by_the_consent_message(
    client: TestClient, database_url: str
) -> None:
    build_sync(database_url, contacts=())
    owner, sam, sue = (login(client, f"{n}@example.org") for n in ("owner", "sam", "sue"))
    needs_message = client.patch("/api/organization", headers=owner.headers, json={"consent_required": True})
    assert needs_message.status_code == 422
    assert client.get("/api/organization", headers=owner.headers).json()["consent_required"] is False
    on = client.patch(
        "/api/organization",
        headers=owner.headers,
        json={"consent_message": CONSENT, "consent_required": True},
    )
    assert on.status_code == 200 and on.json()["consent_message"] == CONSENT

    mine = client.post("/api/inbox/conversations", headers=sam.headers, json={"phone": NIA}).json()["id"]
    sent = client.post(f"/api/conversations/{mine}/messages", headers=sam.headers, json={"body": "Hi Nia"})
    assert sent.status_code == 201
    messages = thread(client, sam, mine)
    assert [(m["body"], m["automatic"]) for m in messages] == [(CONSENT, True), ("Hi Nia", False)]
    eventually(lambda: [s.body for s in simulator(client).sent] == [CONSENT, "Hi Nia"])
    view = client.get(f"/api/conversations/{mine}", headers=sam.headers).json()
    assert view["consent"]["sent_at"] is not None

    # The phone has had it: neither Sam's next text nor Sue's first one repeats it.
    client.post(f"/api/conversations/{mine}/messages", headers=sam.headers, json={"body": "See you"})
    hers = client.post("/api/inbox/conversations", headers=sue.headers, json={"phone": NIA}).json()
    assert hers["consent"]["sent_at"] == view["consent"]["sent_at"]
    client.post(
        f"/api/conversations/{hers['id']}/messages", headers=sue.headers, json={"body": "Hello from Sue"}
    )
    assert [m["automatic"] for m in thread(client, sue, hers["id"])] == [False]
    entry = client.get("/api/address-book?search=0199", headers=sam.headers).json()["contacts"][0]
    assert entry["consent"]["sent_at"] == view["consent"]["sent_at"]
