"""Moving waiting replies away from senders who left, and a sender's "done for today"."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.server.shift.presence import online_senders, wait_online
from tests.support.worlds.accounts import Login, login, make_org, sync
from tests.support.worlds.sweep import SweepWorld, add_conversations, build_world_sync, snapshot


def setup(
    database_url: str, client: TestClient, names: list[str]
) -> tuple[SweepWorld, Login, dict[str, Login]]:
    org = make_org(database_url)
    world = build_world_sync(database_url, org, senders=names)
    senders = {n: login(client, f"{n.lower()}.{world.campaign_id}@example.org") for n in names}
    return world, login(client, "owner@example.org"), senders


def test_a_sender_closes_their_tab_and_a_rebalance_gives_their_waiting_replies_to_the_online_senders(
    database_url: str, client: TestClient
) -> None:
    world, owner, s = setup(database_url, client, ["Ana", "Ben", "Cy"])
    ana, ben, cy = (world.senders[n] for n in ("Ana", "Ben", "Cy"))
    waiting = sync(
        database_url, lambda db: add_conversations(db, world, 2, state="needs_reply", assigned_to=ana)
    )
    # Ben already has one reply waiting, Cy none: Cy is served first.
    sync(database_url, lambda db: add_conversations(db, world, 1, state="needs_reply", assigned_to=ben))
    sync(database_url, lambda db: add_conversations(db, world, 3, assigned_to=ana))
    url = f"/api/campaigns/{world.campaign_id}/rebalance"
    body = {"from": "offline", "status": "needs_reply"}

    with online_senders(client, world.campaign_id, [s["Ana"]]):
        wait_online(client, world.campaign_id, owner.headers, {ana: True})
    with (
        client.websocket_connect(f"/ws?token={owner.token}") as admin,
        online_senders(client, world.campaign_id, [s["Ben"], s["Cy"]]),
    ):
        admin.send_json({"type": "subscribe", "channel": f"campaign:{world.campaign_id}", "since": None})
        assert admin.receive_json()["type"] == "subscribed"
        wait_online(client, world.campaign_id, owner.headers, {ana: False, ben: True, cy: True})

        preview = client.post(url, json={**body, "dry_run": True}, headers=owner.headers)
        assert preview.status_code == 200, preview.text
        assert preview.json() == {
            "dry_run": True,
            "moved": 2,
            "per_target": {str(cy): 1, str(ben): 1},
            "moves": [{"from": ana, "to": ben, "count": 1}, {"from": ana, "to": cy, "count": 1}],
        }
        # The preview moved nothing.
        rows = client.get(f"/api/campaigns/{world.campaign_id}/overview", headers=owner.headers).json()
        assert {r["user_id"]: r["needs_reply"] for r in rows["senders"]}[ana] == 2

        response = client.post(url, json=body, headers=owner.headers)
        assert response.status_code == 200, response.text
        assert response.json() == {"moved": 2, "per_target": {str(cy): 1, str(ben): 1}}
        events: list[dict[str, Any]] = []
        while len(events) < 2:
            frame = admin.receive_json()
            if frame["type"] == "event" and frame["kind"] == "reassigned":
                events.append(frame["data"])
        assert sorted(i for e in events for i in e["conversation_ids"]) == sorted(waiting)
        assert {(e["from"], e["to"]) for e in events} == {(ana, ben), (ana, cy)}

    rows = client.get(f"/api/campaigns/{world.campaign_id}/overview", headers=owner.headers).json()
    by_id = {r["user_id"]: r for r in rows["senders"]}
    assert (by_id[ana]["needs_reply"], by_id[ana]["assigned"]) == (0, 3)
    assert (by_id[ben]["needs_reply"], by_id[cy]["needs_reply"]) == (2, 1)


def test_without_anyone_online_a_rebalance_is_refused_and_nothing_moves(
    database_url: str, client: TestClient
) -> None:
    world, owner, _ = setup(database_url, client, ["Ana", "Ben"])
    sync(
        database_url,
        lambda db: add_conversations(db, world, 2, state="needs_reply", assigned_to=world.senders["Ana"]),
    )
    before = sync(database_url, lambda db: snapshot(db, world.campaign_id))
    response = client.post(
        f"/api/campaigns/{world.campaign_id}/rebalance",
        json={"from": "offline", "status": "needs_reply"},
        headers=owner.headers,
    )
    assert response.status_code == 409 and response.json()["error"]["code"] == "no_online_senders"
    assert sync(database_url, lambda db: snapshot(db, world.campaign_id)) == before


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"from": "everyone", "status": "needs_reply"}, "invalid_from"),
        ({"from": "offline", "status": "any"}, "invalid_status"),
        ({"from": "offline"}, "invalid_status"),
        ({"from": "offline", "status": "needs_reply", "dry_run": "yes"}, "invalid_input"),
        ({"from": "offline", "status": "needs_reply", "to": "all"}, "unknown_field"),
    ],
)
def test_bad_rebalance_bodies_get_a_json_error(
    database_url: str, client: TestClient, body: dict[str, Any], code: str
) -> None:
    world, owner, s = setup(database_url, client, ["Ana"])
    url = f"/api/campaigns/{world.campaign_id}/rebalance"
    response = client.post(url, json=body, headers=owner.headers)
    assert response.status_code == 422 and response.json()["error"]["code"] == code
    ok = {"from": "offline", "status": "needs_reply"}
    assert client.post(url, json=ok, headers=s["Ana"].headers).status_code == 403


def test_done_for_today_gives_waiting_and_not_started_back_to_the_pool(
    database_url: str, client: TestClient
) -> None:
    world, owner, s = setup(database_url, client, ["Ana", "Ben"])
    ana = world.senders["Ana"]
    sync(database_url, lambda db: add_conversations(db, world, 2, state="needs_reply", assigned_to=ana))
    sync(database_url, lambda db: add_conversations(db, world, 3, assigned_to=ana))
    sync(database_url, lambda db: add_conversations(db, world, 4, state="replied", assigned_to=ana))
    url = f"/api/campaigns/{world.campaign_id}/release"

    response = client.post(url, headers=s["Ana"].headers)

    assert response.status_code == 200, response.text
    assert response.json() == {"moved": 5, "per_target": {"unassigned": 5}}
    rows = client.get(f"/api/campaigns/{world.campaign_id}/overview", headers=owner.headers).json()["senders"]
    by_id = {r["user_id"]: r for r in rows}
    assert (by_id[None]["assigned"], by_id[None]["needs_reply"]) == (5, 2)
    assert (by_id[ana]["assigned"], by_id[ana]["needs_reply"]) == (4, 0)
    # Someone who is not a sender of the campaign has nothing to give back.
    assert client.post(url, headers=owner.headers).status_code == 403
