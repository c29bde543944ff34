"""The audit log keeps who moved, opted out and changed what, as long as the campaign."""

from __future__ import annotations

import csv
import io

from starlette.testclient import TestClient

from tests.support.worlds.accounts import login, make_org, sync
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
