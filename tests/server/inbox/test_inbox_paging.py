"""A long inbox comes in pages: each page starts where the last one ended, nothing twice, nothing lost."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from tests.support.worlds.accounts import Login, login
from tests.support.worlds.messaging import build_sync

PHONES = [f"+1415555{n:04d}" for n in range(210, 215)]


def _all_pages(client: TestClient, who: Login, params: dict[str, Any]) -> tuple[list[int], int]:
    ids: list[int] = []
    pages = 0
    cursor = None
    while True:
        answer = client.get(
            "/api/inbox", headers=who.headers, params={**params, **({"cursor": cursor} if cursor else {})}
        )
        assert answer.status_code == 200, answer.text
        body = answer.json()
        pages += 1
        ids += [row["id"] for row in body["conversations"]]
        cursor = body["next_cursor"]
        if cursor is None:
            return ids, pages
        assert len(body["conversations"]) == params["limit"]


def test_the_inbox_pages_newest_first_with_a_cursor(client: TestClient, database_url: str) -> None:
    build_sync(database_url, contacts=())
    sam = login(client, "sam@example.org")
    started = []
    for phone in PHONES:
        answer = client.post("/api/inbox/conversations", headers=sam.headers, json={"phone": phone})
        assert answer.status_code == 201, answer.text
        started.append(answer.json()["id"])
    texted = started[:3]
    for cid in texted:
        sent = client.post(f"/api/conversations/{cid}/messages", headers=sam.headers, json={"body": "Hello"})
        assert sent.status_code == 201, sent.text
    # Never texted first (just started), newest of them first; then the most recently texted.
    newest_first = [started[4], started[3], texted[2], texted[1], texted[0]]
    whole = client.get("/api/inbox", headers=sam.headers).json()
    assert [r["id"] for r in whole["conversations"]] == newest_first and whole["next_cursor"] is None

    ids, pages = _all_pages(client, sam, {"limit": 2})
    assert ids == newest_first and pages == 3
    ids, pages = _all_pages(client, sam, {"limit": 1})
    assert ids == newest_first and pages == 5

    # A sweeper pages through Sam's inbox the same way.
    owner = login(client, "owner@example.org")
    ids, _pages = _all_pages(client, owner, {"limit": 2, "user": sam.user_id})
    assert ids == newest_first


def test_a_conversation_that_moves_up_meanwhile_shifts_no_other_row(
    client: TestClient, database_url: str
) -> None:
    build_sync(database_url, contacts=())
    sam = login(client, "sam@example.org")
    ids = []
    for phone in PHONES[:4]:
        cid = client.post("/api/inbox/conversations", headers=sam.headers, json={"phone": phone}).json()["id"]
        assert (
            client.post(
                f"/api/conversations/{cid}/messages", headers=sam.headers, json={"body": "Hi"}
            ).status_code
            == 201
        )
        ids.append(cid)
    first = client.get("/api/inbox", headers=sam.headers, params={"limit": 2}).json()
    assert [r["id"] for r in first["conversations"]] == [ids[3], ids[2]]
    # The oldest one is texted again: it moves to the top, which the next page does not repeat.
    assert (
        client.post(
            f"/api/conversations/{ids[0]}/messages", headers=sam.headers, json={"body": "Again"}
        ).status_code
        == 201
    )
    second = client.get(
        "/api/inbox", headers=sam.headers, params={"limit": 2, "cursor": first["next_cursor"]}
    ).json()
    assert [r["id"] for r in second["conversations"]] == [ids[1]] and second["next_cursor"] is None


def test_a_cursor_the_server_did_not_write_is_refused(client: TestClient, database_url: str) -> None:
    build_sync(database_url, contacts=())
    sam = login(client, "sam@example.org")
    for bad in ("nonsense", "eyJ0IjoiMjAyNi0wMS0wMSIsImlkIjoxfQ", "eyJ0IjpudWxsLCJpZCI6LTF9", "x" * 600):
        answer = client.get("/api/inbox", headers=sam.headers, params={"cursor": bad})
        assert answer.status_code == 422, (bad, answer.text)
        assert answer.json()["error"]["code"] == "invalid_cursor"
