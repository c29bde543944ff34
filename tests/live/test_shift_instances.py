"""Shift control across two real server processes sharing PostgreSQL and Redis."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from persistence.outbox.outbox import open_database
from persistence.store.models import Campaign, CampaignSender, User
from persistence.store.types import utcnow
from server.tokens import issue_token
from tests.support.processes import ServerProcess
from tests.support.worlds.cluster import SECRET, HttpTeam, Member, http_team
from tests.support.worlds.sweep import SweepWorld, add_conversations
from tests.support.wsclient import LiveClient, open_client

pytestmark = pytest.mark.slow

Spawn = Callable[..., ServerProcess]


async def _next(client: LiveClient, kind: str, wait: float = 10.0) -> dict[str, Any]:
    async with asyncio.timeout(wait):
        while True:
            frame = await client.recv(wait)
            if frame.get("kind") == kind:
                return frame


async def _waiting_for_sam(pg_url: str, team: HttpTeam, count: int) -> list[int]:
    """``count`` replies waiting for Sam; the campaign is live."""
    db = open_database(pg_url)
    try:
        async with db.transaction() as session:
            org = await session.scalar(
                select(Campaign.organization_id).where(Campaign.id == team.campaign_id)
            )
            await session.execute(
                update(Campaign).where(Campaign.id == team.campaign_id).values(status="active")
            )
        world = SweepWorld(int(org or 0), team.campaign_id, team.owner.user_id)
        return await add_conversations(db, world, count, state="needs_reply", assigned_to=team.sam.user_id)
    finally:
        await db.dispose()


async def _moderator(pg_url: str) -> Member:
    """Moe, the team's moderator: a second sweeper."""
    db = open_database(pg_url)
    try:
        async with db.session() as session:
            uid, org = (
                await session.execute(
                    select(User.id, User.organization_id).where(User.email == "moe@example.org")
                )
            ).one()
    finally:
        await db.dispose()
    return Member(int(uid), issue_token(SECRET, int(uid), int(org), 3600))


async def test_two_sweepers_on_two_instances_see_each_others_viewing_and_typing(
    spawn: Spawn, pg_url: str
) -> None:
    a, b = spawn("a"), spawn("b")
    await asyncio.gather(a.ready(), b.ready())
    team = await http_team(a.url, pg_url)
    (conversation,) = await _waiting_for_sam(pg_url, team, 1)
    moe = await _moderator(pg_url)
    olive = await open_client(a.ws_url, team.owner.token)
    await olive.subscribe(team.campaign)
    moe_ws = await open_client(b.ws_url, moe.token)
    await moe_ws.subscribe(team.campaign)
    sam = await open_client(a.ws_url, team.sam.token)
    await sam.subscribe(team.sender(team.sam))

    # Moe, on instance b, views Sam: Olive, on instance a, sees it; and back.
    await moe_ws.send({"type": "viewing", "channel": team.campaign, "sender_id": team.sam.user_id})
    event = await _next(olive, "viewing")
    assert (event["seq"], event["data"]) == (None, {"user_id": moe.user_id, "sender_id": team.sam.user_id})
    await olive.send({"type": "viewing", "channel": team.campaign, "sender_id": team.sam.user_id})
    event = await _next(moe_ws, "viewing")
    assert event["data"] == {"user_id": team.owner.user_id, "sender_id": team.sam.user_id}

    # Moe types in Sam's conversation: Olive and Sam, on the other instance, are told.
    await moe_ws.send({"type": "typing", "channel": team.campaign, "conversation_id": conversation})
    for client in (olive, sam):
        event = await _next(client, "typing")
        assert (event["data"]["user_id"], event["data"]["conversation_id"]) == (moe.user_id, conversation)

    # Moe closes the tab: Olive sees him view nothing.
    await moe_ws.close()
    event = await _next(olive, "viewing")
    assert event["data"] == {"user_id": moe.user_id, "sender_id": None}
    await olive.close()
    await sam.close()


async def test_with_two_instances_an_automatic_rebalance_moves_each_waiting_reply_once(
    spawn: Spawn, pg_url: str
) -> None:
    fast = {"SHIFTLINE_AUTO_REBALANCE_SECONDS": "0.3"}
    a, b = spawn("a", **fast), spawn("b", **fast)
    await asyncio.gather(a.ready(), b.ready())
    team = await http_team(a.url, pg_url)
    waiting = await _waiting_for_sam(pg_url, team, 3)
    olive = await open_client(a.ws_url, team.owner.token)
    await olive.subscribe(team.campaign)
    ria = await open_client(b.ws_url, team.ria.token)
    await ria.subscribe(team.sender(team.ria))
    event = await _next(olive, "presence")
    assert event["data"] == {"user_id": team.ria.user_id, "online": True}

    # Sam, never online, joined the campaign ten minutes ago; it moves replies after five.
    db = open_database(pg_url)
    try:
        async with db.transaction() as session:
            await session.execute(
                update(CampaignSender)
                .where(
                    CampaignSender.campaign_id == team.campaign_id,
                    CampaignSender.user_id == team.sam.user_id,
                )
                .values(added_at=utcnow() - timedelta(minutes=10))
            )
            await session.execute(
                update(Campaign).where(Campaign.id == team.campaign_id).values(auto_rebalance_after_minutes=5)
            )
    finally:
        await db.dispose()

    moved: list[int] = []
    while len(moved) < 3:
        event = await _next(olive, "reassigned")
        assert (event["data"]["from"], event["data"]["to"]) == (team.sam.user_id, team.ria.user_id)
        moved += event["data"]["conversation_ids"]
    assert sorted(moved) == waiting
    # Ten more ticks of each instance: nothing moves again.
    with pytest.raises(TimeoutError):
        await _next(olive, "reassigned", wait=3.0)
    async with httpx.AsyncClient(base_url=b.url, timeout=30) as http:
        response = await http.get(
            f"/api/campaigns/{team.campaign_id}/audit?action=auto_rebalance", headers=team.owner.headers
        )
    entries = response.json()["entries"]
    assert len(entries) == 1 and entries[0]["actor"] is None and entries[0]["detail"]["moved"] == 3
    await olive.close()
    await ria.close()
