"""An organizer uploads contact lists: JSON, CSV files and raw CSV, good and bad."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from persistence.outbox.outbox import open_database
from persistence.rules.status import Counts
from persistence.store.counters import recount, stored_counts
from persistence.store.models import Contact, Conversation, Event, OptOut
from tests.support.worlds.accounts import Login, add_user, login, make_campaign, make_org


def _setup(client: TestClient, database_url: str) -> tuple[Login, int]:
    make_org(database_url)
    owner = login(client, "owner@example.org")
    return owner, make_campaign(client, owner)["id"]


def _upload_csv(client: TestClient, who: Login, cid: int, data: bytes, *, raw: bool = False) -> Any:
    if raw:
        return client.post(
            f"/api/campaigns/{cid}/contacts",
            headers={**who.headers, "content-type": "text/csv"},
            content=data,
        )
    return client.post(
        f"/api/campaigns/{cid}/contacts", headers=who.headers, files={"file": ("list.csv", data, "text/csv")}
    )


async def _contacts(url: str, cid: int) -> list[tuple[str, str, str, dict[str, Any]]]:
    db = open_database(url)
    try:
        async with db.session() as s:
            rows = await s.execute(
                select(Contact.first_name, Contact.last_name, Contact.phone, Contact.extra)
                .where(Contact.campaign_id == cid)
                .order_by(Contact.id)
            )
            return [(a, b, c, d) for a, b, c, d in rows]
    finally:
        await db.dispose()


def contacts(url: str, cid: int) -> list[tuple[str, str, str, dict[str, Any]]]:
    return asyncio.run(_contacts(url, cid))


def test_json_upload_normalizes_phones_and_keeps_extra_fields(client: TestClient, database_url: str) -> None:
    owner, cid = _setup(client, database_url)
    response = client.post(
        f"/api/campaigns/{cid}/contacts",
        headers=owner.headers,
        json=[
            {
                "first_name": "Ana",
                "last_name": "Lee",
                "phone": "(212) 555-0101",
                "zip": "10001",
                "tags": ["a"],
            },
            {"first_name": "Bo", "last_name": "Kim", "phone": "+44 20 7946 0958"},
            {"first_name": "Cy", "last_name": "Ng", "phone": 12125550103},
        ],
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"added": 3, "invalid": 0, "duplicate": 0, "opted_out": 0, "problems": []}
    assert contacts(database_url, cid) == [
        ("Ana", "Lee", "+12125550101", {"zip": "10001", "tags": ["a"]}),
        ("Bo", "Kim", "+442079460958", {}),
        ("Cy", "Ng", "+12125550103", {}),
    ]


def test_csv_upload_as_file_and_as_raw_body(client: TestClient, database_url: str) -> None:
    owner, cid = _setup(client, database_url)
    data = (
        b"First Name,Last Name,Cell,Zip\r\n"
        b"Ana,Lee,212-555-0101,10001\r\n"
        b'"O\'Neil, Jr",Kim,"(212) 555-0102",\r\n'
        b"\r\n"
    )
    response = _upload_csv(client, owner, cid, data)
    assert response.status_code == 200, response.text
    assert response.json()["added"] == 2
    raw = _upload_csv(client, owner, cid, b"phone,first_name\n2125550104,Dee\n", raw=True)
    assert raw.status_code == 200, raw.text
    assert raw.json()["added"] == 1
    assert contacts(database_url, cid) == [
        ("Ana", "Lee", "+12125550101", {"Zip": "10001"}),
        ("O'Neil, Jr", "Kim", "+12125550102", {}),
        ("Dee", "", "+12125550104", {}),
    ]


def test_invalid_and_duplicate_phones_are_reported_by_row(client: TestClient, database_url: str) -> None:
    owner, cid = _setup(client, database_url)
    first = client.post(
        f"/api/campaigns/{cid}/contacts",
        headers=owner.headers,
        json=[{"first_name": "Ana", "last_name": "Lee", "phone": "212 555 0101"}],
    )
    assert first.json()["added"] == 1
    data = (
        b"first_name,last_name,phone\n"
        b"Bo,Kim,2125550102\n"  # line 2: added
        b"Cy,Ng,not a number\n"  # line 3: invalid
        b"Di,Oh,+1 (212) 555-0102\n"  # line 4: same as line 2
        b"Ed,Po,2125550101\n"  # line 5: already in the campaign
        b"Fa,Qu,\n"  # line 6: no phone
        b"Gi,Ra,555-0100\n"  # line 7: too short
        b"Ha,Sa,2125550103,extra\n"  # line 8: more fields than the header
    )
    response = _upload_csv(client, owner, cid, data)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["added"], body["invalid"], body["duplicate"], body["opted_out"]) == (1, 4, 2, 0)
    assert [p["row"] for p in body["problems"]] == [3, 4, 5, 6, 7, 8]
    reasons = {p["row"]: p["reason"] for p in body["problems"]}
    assert "invalid phone number" in reasons[3]
    assert "earlier in this upload" in reasons[4]
    assert "already in the campaign" in reasons[5]
    assert "no phone" in reasons[6]
    assert [c[2] for c in contacts(database_url, cid)] == ["+12125550101", "+12125550102"]


def test_opted_out_numbers_are_reported_and_not_added(client: TestClient, database_url: str) -> None:
    owner, cid = _setup(client, database_url)

    async def opt_out() -> None:
        db = open_database(database_url)
        try:
            async with db.transaction() as s:
                org_id = await s.scalar(select(Contact.organization_id).limit(1)) or 1
                s.add(OptOut(organization_id=org_id, phone="+12125550199", source="keyword"))
        finally:
            await db.dispose()

    asyncio.run(opt_out())
    response = client.post(
        f"/api/campaigns/{cid}/contacts",
        headers=owner.headers,
        json=[
            {"first_name": "Ana", "last_name": "Lee", "phone": "2125550101"},
            {"first_name": "Stop", "last_name": "Me", "phone": "212-555-0199"},
        ],
    )
    body = response.json()
    assert (body["added"], body["opted_out"]) == (1, 1)
    assert body["problems"] == [{"row": 2, "reason": "phone number opted out of this organization's texts"}]
    assert [c[0] for c in contacts(database_url, cid)] == ["Ana"]


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"first_name,last_name,number_of_doors\nAna,Lee,3\n", "missing_columns"),
        (b"", "empty_upload"),
        (b"phone,cell\n2125550101,2125550102\n", "invalid_columns"),
        ("first_name,phone\nJos\u00e9,2125550101\n".encode("latin-1"), "invalid_encoding"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "invalid_encoding"),
    ],
)
def test_unusable_files_are_refused_whole(
    client: TestClient, database_url: str, data: bytes, code: str
) -> None:
    owner, cid = _setup(client, database_url)
    response = _upload_csv(client, owner, cid, data)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == code
    assert contacts(database_url, cid) == []


def test_a_bad_byte_deep_in_a_large_file_leaves_nothing_behind(client: TestClient, database_url: str) -> None:
    owner, cid = _setup(client, database_url)
    lines = [f"Name{i},Last,212{5550000 + i:07d}\n".encode() for i in range(12_000)]
    data = b"first_name,last_name,phone\n" + b"".join(lines) + b"Jos\xe9,Last,2125559999\n"
    response = _upload_csv(client, owner, cid, data)
    assert response.status_code == 422
    assert "line 12002" in response.json()["error"]["message"]
    assert contacts(database_url, cid) == []
    assert _count_events(database_url) == 0


def test_utf8_with_bom_and_utf16_files_are_read(client: TestClient, database_url: str) -> None:
    owner, cid = _setup(client, database_url)
    text = "first_name,last_name,phone\nJos\u00e9,Nu\u00f1ez,2125550101\n"
    assert _upload_csv(client, owner, cid, text.encode("utf-8-sig")).json()["added"] == 1
    text16 = "first_name,last_name,phone\r\nZo\u00eb,\u00c5berg,2125550102\r\n"
    assert _upload_csv(client, owner, cid, text16.encode("utf-16")).json()["added"] == 1
    assert [(c[0], c[1]) for c in contacts(database_url, cid)] == [
        ("Jos\u00e9", "Nu\u00f1ez"),
        ("Zo\u00eb", "\u00c5berg"),
    ]


@pytest.mark.parametrize(
    "body",
    [
        {"first_name": "Ana", "phone": "2125550101"},
        [["Ana", "Lee", "2125550101"]],
        [{"first_name": "Ana", "phone": ["2125550101"]}],
        [{"first_name": 7, "phone": "2125550101"}],
        "2125550101",
    ],
)
def test_json_of_the_wrong_shape_is_refused(client: TestClient, database_url: str, body: Any) -> None:
    owner, cid = _setup(client, database_url)
    response = client.post(f"/api/campaigns/{cid}/contacts", headers=owner.headers, json=body)
    assert response.status_code == 422, response.text
    assert set(response.json()["error"]) == {"code", "message"}
    assert contacts(database_url, cid) == []


def test_other_bodies_are_refused(client: TestClient, database_url: str) -> None:
    owner, cid = _setup(client, database_url)
    url = f"/api/campaigns/{cid}/contacts"
    not_json = client.post(url, headers={**owner.headers, "content-type": "application/json"}, content=b"[{")
    assert not_json.status_code == 400
    xml = client.post(url, headers={**owner.headers, "content-type": "application/xml"}, content=b"<a/>")
    assert xml.status_code == 422
    no_file = client.post(url, headers=owner.headers, data={"name": "list"}, files={"other": ("a", b"x")})
    assert no_file.status_code == 422
    assert "'file'" in no_file.json()["error"]["message"]


def test_only_sweepers_of_the_organization_may_upload(client: TestClient, database_url: str) -> None:
    owner, cid = _setup(client, database_url)
    sam = add_user(client, owner, "sam@example.org")
    client.post(f"/api/campaigns/{cid}/senders", headers=owner.headers, json={"user_ids": [sam.user_id]})
    one = [{"first_name": "Ana", "last_name": "Lee", "phone": "2125550101"}]
    assert client.post(f"/api/campaigns/{cid}/contacts", headers=sam.headers, json=one).status_code == 403
    make_org(database_url, "Other", email="boss@other.example")
    boss = login(client, "boss@other.example")
    assert client.post(f"/api/campaigns/{cid}/contacts", headers=boss.headers, json=one).status_code == 404
    assert client.post(f"/api/campaigns/{cid}/contacts", json=one).status_code == 401
    client.patch(f"/api/campaigns/{cid}", headers=owner.headers, json={"status": "closed"})
    closed = client.post(f"/api/campaigns/{cid}/contacts", headers=owner.headers, json=one)
    assert closed.status_code == 423
    assert contacts(database_url, cid) == []


async def _counts(url: str, cid: int) -> tuple[dict[int, Counts], dict[int, Counts], int]:
    db = open_database(url)
    try:
        async with db.session() as s:
            unassigned = await s.scalar(
                select(func.count()).where(
                    Conversation.campaign_id == cid, Conversation.assigned_to.is_(None)
                )
            )
            return await stored_counts(s, cid), await recount(s, cid), int(unassigned or 0)
    finally:
        await db.dispose()


async def _events(url: str) -> int:
    db = open_database(url)
    try:
        async with db.session() as s:
            return int(await s.scalar(select(func.count()).select_from(Event)) or 0)
    finally:
        await db.dispose()


def _count_events(url: str) -> int:
    return asyncio.run(_events(url))


def test_new_conversations_start_unassigned_and_counters_follow(
    client: TestClient, database_url: str
) -> None:
    owner, cid = _setup(client, database_url)
    rows = [{"first_name": f"C{i}", "last_name": "X", "phone": f"212555{i:04d}"} for i in range(100, 130)]
    assert (
        client.post(f"/api/campaigns/{cid}/contacts", headers=owner.headers, json=rows).json()["added"] == 30
    )
    stored, truth, unassigned = asyncio.run(_counts(database_url, cid))
    assert unassigned == 30
    assert stored == truth == {0: Counts(assigned=30, not_started=30)}
    assert client.get(f"/api/campaigns/{cid}", headers=owner.headers).json()["contact_count"] == 30
    # stats and sender_stats for the Unassigned pool, published just after the upload
    deadline = time.monotonic() + 5
    while _count_events(database_url) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _count_events(database_url) >= 2


def test_a_large_upload_goes_through_in_one_request(client: TestClient, database_url: str) -> None:
    """More rows than one chunk of the upload's pipeline (its speed: ``loadtests.bench_contacts``)."""
    owner, cid = _setup(client, database_url)
    lines = b"".join(f"N{i},L,+1212{2000000 + i:07d},{i}\n".encode() for i in range(100_000))
    again = b"Again,L,+12122000000,x\n"  # line 100,002 repeats line 2, two chunks earlier
    response = _upload_csv(client, owner, cid, b"first_name,last_name,phone,ref\n" + lines + again)
    assert response.status_code == 200, response.text
    result = response.json()
    assert (result["added"], result["duplicate"]) == (100_000, 1)
    assert result["problems"] == [
        {"row": 100_002, "reason": "duplicate phone number (earlier in this upload)"}
    ]


def test_text_the_database_cannot_hold_is_rejected_per_row(client: TestClient, database_url: str) -> None:
    owner, cid = _setup(client, database_url)
    # JSON text as a client may send it: escapes for NUL and a lone surrogate.
    body = (
        b'[{"first_name": "Nul\\u0000l", "last_name": "A", "phone": "2125550101"},'
        b' {"first_name": "Ok", "last_name": "B", "phone": "2125550102", "note": "\\ud800"},'
        b' {"first_name": "Ok", "last_name": "C", "phone": "2125550103", "note": "\\u0000"},'
        b' {"first_name": "Fine", "last_name": "D", "phone": "2125550104"}]'
    )
    response = client.post(
        f"/api/campaigns/{cid}/contacts",
        headers={**owner.headers, "content-type": "application/json"},
        content=body,
    )
    assert response.status_code == 200, response.text
    assert (response.json()["added"], response.json()["invalid"]) == (1, 3)
    csv_nul = _upload_csv(client, owner, cid, b"first_name,phone\nA\x00b,2125550105\n")
    assert (csv_nul.json()["added"], csv_nul.json()["invalid"]) == (0, 1)
    assert [c[0] for c in contacts(database_url, cid)] == ["Fine"]
