"""The automatic rebalance: a campaign setting moves waiting replies away from absent senders."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from datetime import timedelta
from typing import Any

from sqlalchemy import update
from starlette.testclient import TestClient

from persistence.commands.auto_rebalance import claim
from persistence.store.database import Database
from persistence.store.models import Campaign, CampaignSender, PresenceState
from persistence.store.types import utcnow
from server.app import create_app
from server.settings import Settings
from tests.server.shift.presence import online_senders, wait_online
from tests.support.worlds.accounts import login, make_org, sync
from tests.support.worlds.sweep import add_conversations, build_world, build_world_sync


def test_the_setting_is_set_changed_and_turned_off_through_the_campaign(
    database_url: str, client: TestClient
) -> None:
    world = build_world_sync(database_url, make_org(database_url), senders=["Ana"])
    owner = login(client, "owner@example.org")
    url = f"/api/campaigns/{world.campaign_id}"
    assert client.get(url, headers=owner.headers).json()["auto_rebalance_after_minutes"] is None

    response = client.patch(url, json={"auto_rebalance_after_minutes": 5}, headers=owner.headers)
    assert response.status_code == 200 and response.json()["auto_rebalance_after_minutes"] == 5
    for bad in (0, 1441, "5", 2.5):
        response = client.patch(url, json={"auto_rebalance_after_minutes": bad}, headers=owner.headers)
        assert response.status_code == 422, bad
        assert response.json()["error"]["code"] == "invalid_auto_rebalance"
    # Another change leaves it as it is; null turns it off.
    client.patch(url, json={"waiting_alert_minutes": 15}, headers=owner.headers)
    assert client.get(url, headers=owner.headers).json()["auto_rebalance_after_minutes"] == 5
    response = client.patch(url, json={"auto_rebalance_after_minutes": None}, headers=owner.headers)
    assert response.json()["auto_rebalance_after_minutes"] is None


def _went_offline_minutes_ago(database_url: str, campaign_id: int, user_id: int, minutes: int) -> None:
    async def backdate(db: Database) -> None:
        async with db.transaction() as session:
            moved = await session.execute(
                update(PresenceState)
                .where(
                    PresenceState.campaign_id == campaign_id,
                    PresenceState.user_id == user_id,
                    PresenceState.online.is_(False),
                )
                .values(changed_at=utcnow() - timedelta(minutes=minutes))
            )
            assert moved.rowcount == 1  # type: ignore[attr-defined]

    sync(database_url, backdate)


def _added_minutes_ago(database_url: str, campaign_id: int, user_id: int, minutes: int) -> None:
    async def backdate(db: Database) -> None:
        async with db.transaction() as session:
            await session.execute(
                update(CampaignSender)
                .where(CampaignSender.campaign_id == campaign_id, CampaignSender.user_id == user_id)
                .values(added_at=utcnow() - timedelta(minutes=minutes))
            )

    sync(database_url, backdate)


def test_a_sender_offline_for_the_campaigns_minutes_has_their_waiting_replies_moved_to_the_online_ones(
    database_url: str, settings: Settings
) -> None:
    app = create_app(dataclasses.replace(settings, auto_rebalance_interval_seconds=0.2))
    with TestClient(app) as client:
        world = build_world_sync(database_url, make_org(database_url), senders=["Ana", "Ben"])
        ana, ben = world.senders["Ana"], world.senders["Ben"]
        cid = world.campaign_id
        owner = login(client, "owner@example.org")
        s = {n: login(client, f"{n.lower()}.{cid}@example.org") for n in ("Ana", "Ben")}
        waiting = sync(
            database_url, lambda db: add_conversations(db, world, 3, state="needs_reply", assigned_to=ana)
        )
        sync(database_url, lambda db: add_conversations(db, world, 2, assigned_to=ana))
        patch = {"auto_rebalance_after_minutes": 5}
        assert client.patch(f"/api/campaigns/{cid}", json=patch, headers=owner.headers).status_code == 200

        # Ana closes her tab; Ben and a sweeper stay.
        with online_senders(client, cid, [s["Ana"]]):
            wait_online(client, cid, owner.headers, {ana: True})
        with (
            client.websocket_connect(f"/ws?token={owner.token}") as admin,
            online_senders(client, cid, [s["Ben"]]),
        ):
            admin.send_json({"type": "subscribe", "channel": f"campaign:{cid}", "since": None})
            assert admin.receive_json()["type"] == "subscribed"
            wait_online(client, cid, owner.headers, {ana: False, ben: True})

            # Gone a few seconds, not five minutes: her replies stay hers.
            time.sleep(1.0)
            rows = client.get(f"/api/campaigns/{cid}/overview", headers=owner.headers).json()["senders"]
            assert {r["user_id"]: r["needs_reply"] for r in rows}[ana] == 3

            _went_offline_minutes_ago(database_url, cid, ana, 6)
            moved: list[dict[str, Any]] = []
            while sum(len(e["conversation_ids"]) for e in moved) < 3:
                frame = admin.receive_json()
                if frame["type"] == "event" and frame["kind"] == "reassigned":
                    moved.append(frame["data"])
            assert {(e["from"], e["to"]) for e in moved} == {(ana, ben)}
            assert sorted(i for e in moved for i in e["conversation_ids"]) == waiting

        rows = client.get(f"/api/campaigns/{cid}/overview", headers=owner.headers).json()["senders"]
        by_id = {r["user_id"]: r for r in rows}
        assert (by_id[ana]["needs_reply"], by_id[ana]["assigned"], by_id[ben]["needs_reply"]) == (0, 2, 3)
        entries = client.get(f"/api/campaigns/{cid}/audit", headers=owner.headers).json()["entries"]
        auto = [e for e in entries if e["action"] == "auto_rebalance"]
        assert len(auto) == 1 and auto[0]["actor"] is None
        assert auto[0]["detail"]["from"] == [ana] and auto[0]["detail"]["moved"] == 3
        assert auto[0]["detail"]["after_minutes"] == 5


def test_a_campaign_without_the_setting_or_without_anyone_online_keeps_its_replies(
    database_url: str, settings: Settings
) -> None:
    app = create_app(dataclasses.replace(settings, auto_rebalance_interval_seconds=0.2))
    with TestClient(app) as client:
        world = build_world_sync(database_url, make_org(database_url), senders=["Ana", "Ben"])
        ana, cid = world.senders["Ana"], world.campaign_id
        owner = login(client, "owner@example.org")
        sync(database_url, lambda db: add_conversations(db, world, 2, state="needs_reply", assigned_to=ana))
        _added_minutes_ago(database_url, cid, ana, 60)  # and never online since
        ben = login(client, f"ben.{cid}@example.org")
        with online_senders(client, cid, [ben]):
            wait_online(client, cid, owner.headers, {world.senders["Ben"]: True})
            time.sleep(1.0)  # five ticks, with the setting off
        patch = {"auto_rebalance_after_minutes": 1}
        assert client.patch(f"/api/campaigns/{cid}", json=patch, headers=owner.headers).status_code == 200
        time.sleep(1.0)  # five ticks with the setting on, but nobody online to take them
        rows = client.get(f"/api/campaigns/{cid}/overview", headers=owner.headers).json()["senders"]
        assert {r["user_id"]: r["needs_reply"] for r in rows}[ana] == 2
        entries = client.get(f"/api/campaigns/{cid}/audit", headers=owner.headers).json()["entries"]
        assert not [e for e in entries if e["action"] == "auto_rebalance"]


async def test_two_instances_claiming_the_same_tick_of_a_campaign_get_it_once(db: Database) -> None:
    world = await build_world(db, senders=["Ana"])
    async with db.transaction() as session:
        await session.execute(
            update(Campaign).where(Campaign.id == world.campaign_id).values(auto_rebalance_after_minutes=3)
        )
    tick = timedelta(seconds=30)
    now = utcnow()

    async def one_instance() -> int | None:
        async with db.transaction() as session:
            got = await claim(session, world.campaign_id, now=now, tick=tick)
            await asyncio.sleep(0.2)  # hold the claim while the other instance tries
            return got

    results = await asyncio.gather(one_instance(), one_instance())
    assert sorted(results, key=lambda r: r is None) == [3, None]
    # The next tick is open again.
    async with db.transaction() as session:
        assert await claim(session, world.campaign_id, now=now + tick, tick=tick) == 3
        assert await claim(session, world.campaign_id, now=now + tick, tick=tick) is None
