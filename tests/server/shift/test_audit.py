"""The audit log keeps who moved, opted out and changed what, as long as the campaign."""

from __future__ import annotations

import csv
import io
from urllib.parse import parse_qsl, urlencode

from starlette.testclient import TestClient

from server.signature import compute_signature
from tests.server.shift.presence import online_senders, wait_online
from tests.support.worlds.accounts import login, make_org, sync
from tests.support.worlds.messaging import NUMBER, TOKEN
from tests.support.worlds.messaging import build_sync as build_messaging_world
from tests.support.worlds.sweep import add_conversations, build_world_sync


def test_the_audit_log_lists_a_bulk_move_with_its_actor_and_every_later_change(
    database_url: str, client: TestClient
) -> None:
    org = make_org(database_url)
    world = build_world_sync(database_url, org, senders=["Ana", "Ben"])
    ana, ben = world.senders["Ana"], world.senders["Ben"]
    ids = sync(database_url, lambda db: add_conversations(db, world, 4))
    owner = login(client, "owner@example.org")
    cid = world.campaign_id

    move = {"action": "reassign_all", "from": None, "to": [ana, ben]}
    assert client.post(f"/api/campaigns/{cid}/reassign", json=move, headers=owner.headers).status_code == 200
    assert client.post(f"/api/conversations/{ids[0]}/opt-out", headers=owner.headers).status_code == 200
    assert client.post(f"/api/conversations/{ids[0]}/opt-in", headers=owner.headers).status_code == 200
    assert (
        client.patch(f"/api/campaigns/{cid}", json={"status": "paused"}, headers=owner.headers).status_code
        == 200
    )
    assert client.delete(f"/api/campaigns/{cid}/senders/{ben}", headers=owner.headers).status_code == 200

    page = client.get(f"/api/campaigns/{cid}/audit", headers=owner.headers).json()
    entries = page["entries"]
    assert [e["action"] for e in entries] == [
        "sender_removed",
        "status_changed",
        "opt_in",
        "opt_out",
        "reassign",
    ]
    bulk = entries[-1]
    assert bulk["actor"]["id"] == owner.user_id and bulk["actor"]["first_name"] == "Olive"
    assert bulk["detail"]["moved"] == 4
    assert bulk["detail"]["per_target"] == {str(ana): 2, str(ben): 2}
    assert bulk["detail"]["request"] == {
        "action": "reassign_all",
        "from": [None],
        "status": "any",
        "to": [ana, ben],
    }
    assert entries[1]["detail"] == {"from": "active", "to": "paused"}
    assert entries[3]["detail"] == {"conversation_ids": [ids[0]], "source": "manual"}
    assert entries[0]["detail"]["user_id"] == ben and entries[0]["detail"]["moved"] == 2
    assert page["next_cursor"] is None

    # Keyset pages: two at a time, newest first, none twice.
    seen: list[int] = []
    cursor: str | None = None
    while True:
        params: dict[str, str | int] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        part = client.get(f"/api/campaigns/{cid}/audit", params=params, headers=owner.headers).json()
        seen += [e["id"] for e in part["entries"]]
        cursor = part["next_cursor"]
        if cursor is None:
            break
    assert seen == [e["id"] for e in entries]

    only = client.get(
        f"/api/campaigns/{cid}/audit", params={"action": "opt_out"}, headers=owner.headers
    ).json()
    assert [e["action"] for e in only["entries"]] == ["opt_out"]

    download = client.get(f"/api/campaigns/{cid}/audit.csv", headers=owner.headers)
    assert download.status_code == 200 and download.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(download.text)))
    assert [r["action"] for r in rows] == [e["action"] for e in entries]
    assert rows[-1]["actor_id"] == str(owner.user_id)


def test_senders_and_bad_queries_get_json_errors(database_url: str, client: TestClient) -> None:
    org = make_org(database_url)
    world = build_world_sync(database_url, org, senders=["Ana"])
    owner = login(client, "owner@example.org")
    ana = login(client, f"ana.{world.campaign_id}@example.org")
    url = f"/api/campaigns/{world.campaign_id}/audit"
    assert client.get(url, headers=ana.headers).status_code == 403
    assert client.get(f"{url}.csv", headers=ana.headers).status_code == 403
    for params, code in [({"cursor": "x"}, "invalid_cursor"), ({"action": "hack"}, "invalid_action")]:
        response = client.get(url, params=params, headers=owner.headers)
        assert response.status_code == 422 and response.json()["error"]["code"] == code
    assert (
        client.get(f"/api/campaigns/{world.campaign_id + 1000}/audit", headers=owner.headers).status_code
        == 404
    )


def test_every_kind_of_move_keyword_opt_out_and_a_deletion_is_in_the_log(
    database_url: str, client: TestClient
) -> None:
    world = build_world_sync(database_url, make_org(database_url), senders=["Ana", "Ben"])
    ana, ben, cid = world.senders["Ana"], world.senders["Ben"], world.campaign_id
    owner = login(client, "owner@example.org")
    ben_login = login(client, f"ben.{cid}@example.org")
    one, _two, three = sync(
        database_url, lambda db: add_conversations(db, world, 3, state="needs_reply", assigned_to=ana)
    )
    reassign_one = client.post(f"/api/conversations/{one}/reassign", json={"to": ben}, headers=owner.headers)
    assert reassign_one.status_code == 200
    rebalance = {"from": "offline", "status": "needs_reply"}
    with online_senders(client, cid, [ben_login]):
        wait_online(client, cid, owner.headers, {ben: True})
        response = client.post(f"/api/campaigns/{cid}/rebalance", json=rebalance, headers=owner.headers)
        assert response.json()["moved"] == 2
    assert client.post(f"/api/campaigns/{cid}/release", headers=ben_login.headers).json()["moved"] == 3

    assert client.delete(f"/api/conversations/{three}", headers=owner.headers).status_code == 200

    entries = client.get(f"/api/campaigns/{cid}/audit", headers=owner.headers).json()["entries"]
    assert [(e["action"], (e["actor"] or {}).get("id")) for e in entries] == [
        ("conversation_deleted", owner.user_id),
        ("release", ben),
        ("rebalance", owner.user_id),
        ("reassign_one", owner.user_id),
    ]
    assert entries[0]["detail"]["conversation_id"] == three
    assert entries[3]["detail"]["conversation_id"] == one
    only = client.get(
        f"/api/campaigns/{cid}/audit", params={"action": "conversation_deleted"}, headers=owner.headers
    ).json()["entries"]
    assert [e["id"] for e in only] == [entries[0]["id"]]


def test_a_contact_texting_stop_and_start_is_in_the_log_with_no_actor(
    database_url: str, client: TestClient
) -> None:
    world = build_messaging_world(database_url, assign=["Sam"])
    sam = login(client, "sam@example.org")
    owner = login(client, "owner@example.org")
    (conversation,) = world.conversations[:1]
    client.post(f"/api/conversations/{conversation}/messages", headers=sam.headers, json={})
    for body, sid in (("STOP", "SM-stop"), ("start", "SM-start")):
        params = {"From": world.phones[0], "To": NUMBER, "Body": body, "MessageSid": sid, "NumMedia": "0"}
        raw = urlencode(params).encode()
        pairs = parse_qsl(raw.decode())
        headers = {
            "content-type": "application/x-www-form-urlencoded",
            "x-twilio-signature": compute_signature(TOKEN, "http://testserver/api/sms/inbound", pairs),
        }
        assert client.post("/api/sms/inbound", content=raw, headers=headers).status_code == 200

    url = f"/api/campaigns/{world.campaign_id}/audit"
    entries = client.get(url, headers=owner.headers).json()["entries"]
    assert [(e["action"], e["actor"], e["detail"]) for e in entries] == [
        ("opt_in", None, {"conversation_ids": [conversation], "source": "keyword"}),
        ("opt_out", None, {"conversation_ids": [conversation], "source": "keyword"}),
    ]
