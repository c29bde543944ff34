"""The overview tells a sweeper who has waited longest and how fast each sender goes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select
from starlette.testclient import TestClient

from persistence.store.database import Database
from persistence.store.models import Conversation, Message
from tests.support.worlds.accounts import login, make_org, sync
from tests.support.worlds.sweep import BASE_TIME, SweepWorld, add_conversations, build_world_sync


async def add_sends(db: Database, world: SweepWorld, user_id: int, ages: list[timedelta]) -> None:
    """Outbound texts ``user_id`` sent ``ages`` ago, on one of their conversations."""
    now = datetime.now(UTC)
    async with db.transaction() as session:
        conversation_id = await session.scalar(
            select(Conversation.id).where(Conversation.campaign_id == world.campaign_id).limit(1)
        )
        await session.execute(
            insert(Message),
            [
                {
                    "organization_id": world.organization_id,
                    "conversation_id": conversation_id,
                    "direction": "outbound",
                    "body": "Hi",
                    "sender_id": user_id,
                    "created_at": now - age,
                }
                for age in ages
            ],
        )


def test_each_sender_row_shows_the_oldest_wait_the_last_send_and_the_recent_pace(
    database_url: str, client: TestClient
) -> None:
    org = make_org(database_url)
    world = build_world_sync(database_url, org, senders=["Ana", "Ben"])
    ana, ben = world.senders["Ana"], world.senders["Ben"]
    # Ana's replies have waited since minute 5 and 6; the pool's since minute 2.
    sync(
        database_url,
        lambda db: add_conversations(db, world, 2, state="needs_reply", assigned_to=ana, first_minute=5),
    )
    sync(database_url, lambda db: add_conversations(db, world, 1, state="needs_reply", first_minute=2))
    sync(database_url, lambda db: add_conversations(db, world, 1, state="opted_out_waiting", assigned_to=ben))
    ages = [timedelta(minutes=m) for m in (1, 4, 9, 30)]
    sync(database_url, lambda db: add_sends(db, world, ana, ages))
    owner = login(client, "owner@example.org")

    body = client.get(f"/api/campaigns/{world.campaign_id}/overview", headers=owner.headers).json()

    rows = {row["user_id"]: row for row in body["senders"]}
    assert rows[ana]["oldest_needs_reply_at"] == (BASE_TIME + timedelta(minutes=5)).isoformat()
    assert rows[None]["oldest_needs_reply_at"] == (BASE_TIME + timedelta(minutes=2)).isoformat()
    # An opted-out contact's reply waits for nobody.
    assert rows[ben]["oldest_needs_reply_at"] is None
    assert rows[ana]["sent_last_10_min"] == 3
    last = datetime.fromisoformat(rows[ana]["last_action_at"])
    assert timedelta(0) < datetime.now(UTC) - last < timedelta(minutes=2)
    assert (rows[ben]["last_action_at"], rows[ben]["sent_last_10_min"]) == (None, 0)
    # The campaign's longest wait sits on top, and when a wait is too long.
    assert body["oldest_needs_reply_at"] == (BASE_TIME + timedelta(minutes=2)).isoformat()
    assert body["waiting_alert_minutes"] == 10


def test_an_organizer_sets_when_a_wait_counts_as_too_long(database_url: str, client: TestClient) -> None:
    org = make_org(database_url)
    world = build_world_sync(database_url, org, senders=["Ana"])
    owner = login(client, "owner@example.org")
    url = f"/api/campaigns/{world.campaign_id}"
    assert client.get(url, headers=owner.headers).json()["waiting_alert_minutes"] == 10

    changed = client.patch(url, json={"waiting_alert_minutes": 3}, headers=owner.headers)

    assert changed.status_code == 200 and changed.json()["waiting_alert_minutes"] == 3
    overview = client.get(f"{url}/overview", headers=owner.headers).json()
    assert overview["waiting_alert_minutes"] == 3
    for bad in (0, 1441, "5", 2.5):
        response = client.patch(url, json={"waiting_alert_minutes": bad}, headers=owner.headers)
        assert response.status_code == 422 and response.json()["error"]["code"] == "invalid_waiting_alert"
    assert client.get(url, headers=owner.headers).json()["waiting_alert_minutes"] == 3
