"""An organizer pauses and resumes a campaign: every open page follows at once, without a reload."""

from __future__ import annotations

import asyncio
from typing import Any

from playwright.async_api import expect

from tests.support.processes import ServerProcess
from tests.support.worlds.accounts import PASSWORD
from tests.support.worlds.web import build_world, signed_inbound

from .browsing import BROWSER, open_as

pytestmark = BROWSER

SAM = "sam@example.org"
CLOSED = "Campaign is currently closed"
# Live changes show promptly, with room for a busy test machine.
SOON = 3000


async def test_pause_and_resume_are_seen_live_by_the_sender_and_on_the_overview(
    live_server: ServerProcess, database_url: str, browser: Any
) -> None:
    world = await asyncio.to_thread(
        build_world, live_server.url, database_url, senders={SAM: "Sam Sender"}, contacts=4, assign={SAM: 4}
    )
    cid = world.campaign_id
    admin = await open_as(browser, live_server.url, "owner@example.org", PASSWORD, f"/campaigns/{cid}")
    sender = await open_as(browser, live_server.url, SAM, PASSWORD, f"/send/{cid}")
    send_initial = sender.get_by_role("button", name="Send initial message")
    await expect(send_initial).to_be_focused()
    first = await sender.locator(".conv h2").inner_text()
    await sender.keyboard.press("Enter")
    await expect(sender.locator("#my-stats")).to_contain_text("1/4", timeout=SOON)
    phone = next(c["phone"] for c in world.contacts if first.startswith(c["first_name"]))
    assert (await asyncio.to_thread(signed_inbound, live_server.url, phone, "Sure", "SM-1")).is_success

    # Sam opens the reply; the organizer pauses the campaign meanwhile.
    await sender.get_by_role("tab", name="Responses").click()
    await expect(sender.locator(".conv-list").get_by_role("img", name="Needs reply")).to_have_count(
        1, timeout=SOON
    )
    await sender.locator(".conv-row").first.click()
    reply = sender.get_by_label("Reply", exact=True)
    await reply.fill("Thanks! Polls open at 7.")
    send = sender.get_by_role("button", name="Send", exact=True)
    await expect(send).to_be_enabled()
    await asyncio.to_thread(world.api, "PATCH", f"/api/campaigns/{cid}", json={"status": "paused"})

    # One banner on each page, the same words the server refuses with, and no Send.
    await expect(sender.locator(".banners .banner")).to_have_text([CLOSED], timeout=SOON)
    await expect(admin.locator(".banners .banner")).to_have_text([CLOSED], timeout=SOON)
    await expect(send).to_be_disabled()
    await expect(sender.locator(".send-refused")).to_have_text(CLOSED)
    await expect(reply).to_have_value("Thanks! Polls open at 7.")  # what Sam typed stays
    await sender.get_by_role("tab", name="Initial Messages").click()
    await expect(send_initial).to_be_disabled()

    # Resumed: both pages return to work by themselves.
    await asyncio.to_thread(world.api, "PATCH", f"/api/campaigns/{cid}", json={"status": "active"})
    await expect(sender.locator(".banners .banner")).to_have_count(0, timeout=SOON)
    await expect(admin.locator(".banners .banner")).to_have_count(0, timeout=SOON)
    await expect(send_initial).to_be_enabled()
    await send_initial.click()
    await expect(sender.locator("#my-stats")).to_contain_text("2/4", timeout=SOON)
    await expect(sender.get_by_role("alert")).to_have_count(0)

    # Closed for good: the overview says so too.
    await asyncio.to_thread(world.api, "PATCH", f"/api/campaigns/{cid}", json={"status": "closed"})
    await expect(admin.locator(".banners .banner")).to_have_text([CLOSED], timeout=SOON)
    await expect(sender.locator(".banners .banner")).to_have_text([CLOSED], timeout=SOON)
    await admin.context.close()
    await sender.context.close()
