"""An inbox's live channel: its user and the sweepers watch it; nobody else may."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from tests.support.worlds.accounts import login
from tests.support.worlds.messaging import build_sync

NIA = "+14155550199"


def _subscribe(ws: Any, channel: str, since: int | None = None) -> dict[str, Any]:
    ws.send_json({"type": "subscribe", "channel": channel, "since": since})
    frame: dict[str, Any] = ws.receive_json()
    return frame


def _next_event(ws: Any) -> dict[str, Any]:
    while True:
        frame: dict[str, Any] = ws.receive_json()
        if frame["type"] == "event":
            return frame


def test_a_sweeper_watches_a_senders_inbox_live_and_resumes_without_gaps(
    client: TestClient, database_url: str
) -> None:
    build_sync(database_url, contacts=())
    sam, sue, owner = (login(client, f"{n}@example.org") for n in ("sam", "sue", "owner"))
    channel = f"inbox:{sam.user_id}"
    with (
        client.websocket_connect(f"/ws?token={owner.token}", subprotocols=["json"]) as watcher,
        client.websocket_connect(f"/ws?token={sue.token}", subprotocols=["json"]) as other,
    ):
        assert _subscribe(watcher, channel)["type"] == "subscribed"
        refused = _subscribe(other, channel)
        assert refused["type"] == "error" and refused["code"] == "forbidden"
        cid = client.post("/api/inbox/conversations", headers=sam.headers, json={"phone": NIA}).json()["id"]
        started = _next_event(watcher)
        assert started["kind"] == "conversation" and started["data"]["id"] == cid
        client.post(f"/api/conversations/{cid}/messages", headers=sam.headers, json={"body": "Hi Nia"})
        seqs = [started["seq"]]
        kinds = []
        while "message" not in kinds:
            frame = _next_event(watcher)
            seqs.append(frame["seq"])
            kinds.append(frame["kind"])
        assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
    # Sam's own page resumes after the first event and gets the rest, in order, none twice.
    with client.websocket_connect(f"/ws?token={sam.token}", subprotocols=["json"]) as page:
        page.send_json({"type": "subscribe", "channel": channel, "since": seqs[0]})
        replayed: list[int] = []
        while len(replayed) < len(seqs) - 1:
            frame = page.receive_json()
            if frame["type"] == "event":
                replayed.append(frame["seq"])
        assert replayed == seqs[1:]
    with client.websocket_connect(f"/ws?token={owner.token}", subprotocols=["json"]) as ws:
        bad = _subscribe(ws, "inbox:0")
        assert bad["type"] == "error" and bad["code"] == "invalid_channel"
        missing = _subscribe(ws, "inbox:999999")
        assert missing["type"] == "error" and missing["code"] == "not_found"
