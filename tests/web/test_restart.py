"""The server goes away and comes back: both pages show they are offline, then catch up."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

import httpx
from playwright.async_api import expect

from server.settings import Settings
from tests.support.processes import ServerProcess, settings_env
from tests.support.worlds.accounts import PASSWORD
from tests.support.worlds.web import build_world, signed_inbound

from .browsing import BROWSER, open_as

pytestmark = BROWSER

SAM = "sam@example.org"


async def test_both_pages_catch_up_after_a_server_restart(
    live_server: ServerProcess,
    settings: Settings,
    database_url: str,
    browser: Any,
    screenshots: Path,
    tmp_path: Path,
) -> None:
    world = await asyncio.to_thread(
        build_world, live_server.url, database_url, senders={SAM: "Sam Sender"}, contacts=3, assign={SAM: 3}
    )
    cid, sam = world.campaign_id, world.senders[SAM]
    # A second instance on the same database, started now to save time; it
    # will take a reply while the pages' own server is down.
    other = ServerProcess(settings_env(settings), tmp_path, "other")
    other_up = asyncio.create_task(asyncio.to_thread(other.up))
    try:
        # Sam has texted his first contact before the outage.
        listing = world.api("GET", f"/api/campaigns/{cid}/conversations?sender={sam}&tab=initial")
        first = listing["conversations"][0]
        world.api("POST", f"/api/conversations/{first['id']}/messages", token=world.tokens[SAM], json={})

        admin = await open_as(browser, live_server.url, "owner@example.org", PASSWORD, f"/campaigns/{cid}")
        sender = await open_as(browser, live_server.url, SAM, PASSWORD, f"/send/{cid}")
        await sender.get_by_role("tab", name="Responses").click()
        await expect(admin.locator("#count-needs_reply")).to_have_text("0")
        await expect(admin.locator("body")).to_have_attribute("data-live", "online")
        await expect(sender.locator("body")).to_have_attribute("data-live", "online")

        await asyncio.to_thread(live_server.stop)
        offline = "Offline — reconnecting… Changes will appear when the connection is back."
        await expect(admin.get_by_role("alert")).to_have_text(offline, timeout=5000)
        await expect(sender.get_by_role("alert")).to_have_text(offline, timeout=5000)
        await admin.screenshot(path=screenshots / "overview-offline.png")

        # While the pages are cut off, the contact answers through the other
        # instance, which then goes away too.
        await other_up
        phone = first["contact"]["phone"]
        response = await asyncio.to_thread(signed_inbound, other.url, phone, "Who is this?", "SM-restart")
        assert response.status_code == 200, response.text
        # And an admin pauses the campaign there, while both pages are offline.
        paused = await asyncio.to_thread(
            httpx.patch,
            f"{other.url}/api/campaigns/{cid}",
            json={"status": "paused"},
            headers={"Authorization": f"Bearer {world.owner_token}"},
            timeout=10,
        )
        assert paused.status_code == 200, paused.text
        await asyncio.to_thread(other.stop)

        await asyncio.to_thread(live_server.up)
        # Both pages reconnect by themselves and receive what they missed.
        await expect(admin.get_by_role("alert")).to_be_hidden(timeout=15000)
        await expect(sender.get_by_role("alert")).to_be_hidden(timeout=15000)
        await expect(admin.locator("#count-needs_reply")).to_have_text("1", timeout=2000)
        await expect(admin.locator(f'#senders-body tr[data-sender="{sam}"] .col-needs')).to_have_text("1")
        # Sam's Messenger is connected again, so he shows as online again.
        await expect(
            admin.locator(f'#senders-body tr[data-sender="{sam}"]').get_by_role("img", name="Online")
        ).to_be_visible(timeout=3000)
        await expect(sender.locator(".conv-list").get_by_role("img", name="Needs reply")).to_have_count(
            1, timeout=2000
        )
        # Both pages learn on reconnecting that it is paused (refused like a closed one).
        await expect(admin.locator(".banners .banner")).to_have_text(["Campaign is currently closed"])
        await expect(sender.locator(".banners .banner")).to_have_text(["Campaign is currently closed"])
    finally:
        # However the story ends, the second instance is gone after it.
        with contextlib.suppress(Exception):
            await other_up
        await asyncio.to_thread(other.stop)
