"""Shift control in the browser: broadcasts and their "Got it", sweepers who see each other, the audit log."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

from playwright.async_api import expect
from sqlalchemy import update

from persistence.store.database import Database
from persistence.store.models import Conversation
from persistence.store.types import utcnow
from tests.support.processes import ServerProcess
from tests.support.worlds.accounts import PASSWORD, sync
from tests.support.worlds.web import World, build_world, signed_inbound

from .browsing import BROWSER, open_as

pytestmark = BROWSER

SAM, RITA = "sam@example.org", "rita@example.org"


def two_waiting_for_sam(base_url: str, database_url: str) -> World:
    """Sam has texted two contacts, who both replied; Rita has nothing waiting."""
    world = build_world(
        base_url, database_url, senders={SAM: "Sam Sender", RITA: "Rita Runner"}, assign={SAM: 2}
    )
    rows = world.api("GET", f"/api/campaigns/{world.campaign_id}/conversations?sender={world.senders[SAM]}")
    for i, row in enumerate(rows["conversations"]):
        world.api("POST", f"/api/conversations/{row['id']}/messages", token=world.tokens[SAM], json={})
        phone = world.api("GET", f"/api/conversations/{row['id']}")["contact"]["phone"]
        assert signed_inbound(base_url, phone, "Yes!", f"SM-wait-{i}").status_code == 200
    return world


async def test_a_sender_closes_their_tab_and_the_overview_moves_their_waiting_replies_to_an_online_sender(
    live_server: ServerProcess, database_url: str, browser: Any, screenshots: Path
) -> None:
    world = await asyncio.to_thread(two_waiting_for_sam, live_server.url, database_url)
    cid = world.campaign_id
    sam_id, rita_id = world.senders[SAM], world.senders[RITA]
    overview = await open_as(browser, live_server.url, "owner@example.org", PASSWORD, f"/campaigns/{cid}")
    sam_row = overview.locator(f"#senders-body tr[data-sender='{sam_id}']")
    rita_row = overview.locator(f"#senders-body tr[data-sender='{rita_id}']")
    await expect(sam_row.locator(".needs")).to_have_text("2")
    # The oldest wait ticks on Sam's row and at the top of the page.
    await expect(sam_row.locator(".wait")).to_contain_text("m ")
    await expect(overview.locator("#oldest-wait")).to_contain_text("m ")

    sam = await open_as(browser, live_server.url, SAM, PASSWORD, f"/send/{cid}")
    await expect(sam_row.locator(".presence")).to_have_attribute("aria-label", "Online")
    rita = await open_as(browser, live_server.url, RITA, PASSWORD, f"/send/{cid}")
    await expect(rita_row.locator(".presence")).to_have_attribute("aria-label", "Online")
    await sam.context.close()  # Sam closes the tab
    await expect(sam_row.locator(".presence")).to_have_attribute("aria-label", "Offline", timeout=40_000)

    await overview.get_by_role("button", name="Move waiting replies from offline senders").click()
    dialog = overview.get_by_role("dialog", name="Move waiting replies from offline senders")
    await expect(dialog.locator("#rebalance-moves")).to_have_text("Sam Sender → Rita Runner: 2")
    await overview.screenshot(path=str(screenshots / "rebalance-preview.png"))
    await dialog.get_by_role("button", name="Move replies").click()
    await expect(dialog).to_be_hidden()

    await expect(rita_row.locator(".needs")).to_have_text("2")
    await expect(sam_row.locator(".needs")).to_have_text("0")
    # Rita's Messenger counts them at once.
    await expect(rita.locator("#my-stats")).to_contain_text("2 conversations need a reply")


async def test_a_broadcast_reaches_a_sender_who_opens_the_messenger_later_and_the_overview_shows_the_ack(
    live_server: ServerProcess, database_url: str, browser: Any, screenshots: Path
) -> None:
    world = await asyncio.to_thread(
        build_world,
        live_server.url,
        database_url,
        senders={SAM: "Sam Sender", RITA: "Rita Runner"},
        assign={SAM: 2},
    )
    cid = world.campaign_id
    overview = await open_as(browser, live_server.url, "owner@example.org", PASSWORD, f"/campaigns/{cid}")
    await overview.get_by_label("Broadcast to senders").fill("New script: mention early voting")
    await overview.get_by_role("button", name="Send broadcast").click()
    item = overview.locator("#broadcasts li").first
    await expect(item).to_contain_text("New script: mention early voting")
    await expect(item).to_contain_text("Nobody has acknowledged yet.")

    # Sam opens the Messenger after the broadcast went out.
    messenger = await open_as(browser, live_server.url, SAM, PASSWORD, f"/send/{cid}")
    banner = messenger.get_by_role("region", name="Messages from your organizers")
    await expect(banner).to_contain_text("New script: mention early voting")
    await messenger.screenshot(path=str(screenshots / "broadcast-banner.png"))
    await banner.get_by_role("button", name="Got it").click()
    await expect(banner).to_be_hidden()

    await expect(item).to_contain_text("Acknowledged by: Sam Sender")
    # A reload keeps it: the acknowledgement is stored, and Sam's banner stays gone.
    await messenger.reload()
    await expect(messenger.locator("#broadcast-banner")).to_be_hidden()


async def test_two_admins_see_each_others_viewing(
    live_server: ServerProcess, database_url: str, browser: Any
) -> None:
    world = await asyncio.to_thread(
        build_world, live_server.url, database_url, senders={SAM: "Sam Sender"}, assign={SAM: 2}
    )
    cid = world.campaign_id
    body = {
        "email": "maya@example.org",
        "password": PASSWORD,
        "first_name": "Maya",
        "last_name": "Admin",
        "role": "admin",
    }
    await asyncio.to_thread(world.api, "POST", "/api/users", json=body)
    sam = world.senders[SAM]
    olive = await open_as(
        browser, live_server.url, "owner@example.org", PASSWORD, f"/campaigns/{cid}/messenger/{sam}"
    )
    await expect(olive.locator("body[data-loaded=true]")).to_have_count(1)
    maya = await open_as(
        browser, live_server.url, "maya@example.org", PASSWORD, f"/campaigns/{cid}/messenger/{sam}"
    )

    await expect(olive.locator("#viewing-others")).to_have_text("Maya Admin is viewing")
    await expect(maya.locator("#viewing-others")).to_have_text("Olive Owner is viewing")

    # Olive moves on to the next sender, where nobody else is, and comes back to Sam with Back.
    await olive.get_by_role("button", name="Next Sender").click()
    await expect(olive.locator("#viewing-others")).to_have_text("")
    await expect(maya.locator("#viewing-others")).to_have_text("")
    await olive.go_back()
    await expect(olive.locator("#viewing-others")).to_have_text("Maya Admin is viewing")
    await expect(maya.locator("#viewing-others")).to_have_text("Olive Owner is viewing")

    # Maya goes back to the overview: there, Sam's row tells that Olive still views him.
    await maya.goto(f"/campaigns/{cid}")
    row = maya.locator(f"#senders-body tr[data-sender='{sam}']")
    await expect(row.locator(".viewing-others")).to_have_text("Olive Owner is viewing")
    await expect(olive.locator("#viewing-others")).to_have_text("")


async def test_the_audit_log_lists_a_bulk_move_with_its_actor_and_downloads_as_csv(
    live_server: ServerProcess, database_url: str, browser: Any
) -> None:
    world = await asyncio.to_thread(
        build_world, live_server.url, database_url, senders={SAM: "Sam Sender"}, assign={SAM: 3}
    )
    cid = world.campaign_id
    page = await open_as(browser, live_server.url, "owner@example.org", PASSWORD, f"/campaigns/{cid}/audit")
    rows = page.locator("#audit-body tr[data-entry]")
    bulk = rows.filter(has_text="Bulk move")
    await expect(bulk).to_have_count(1)
    await expect(bulk.locator(".audit-actor")).to_have_text("Olive Owner")
    await expect(bulk.locator(".audit-detail")).to_contain_text(f"3 moved: 3 to sender {world.senders[SAM]}")
    await expect(rows.filter(has_text="Campaign state")).to_have_count(1)

    await page.get_by_label("Action").select_option("reassign")
    await expect(rows).to_have_count(1)
    async with page.expect_download() as info:
        await page.get_by_role("button", name="Download CSV").click()
    download = await info.value
    text = await asyncio.to_thread(Path(await download.path()).read_text)
    assert text.splitlines()[0] == "id,at,actor_id,actor,action,detail"
    assert len(text.splitlines()) == 2 and ",Olive Owner,reassign," in text


async def test_an_admin_and_the_sender_typing_in_one_conversation_each_see_a_warning(
    live_server: ServerProcess, database_url: str, browser: Any, screenshots: Path
) -> None:
    world = await asyncio.to_thread(two_waiting_for_sam, live_server.url, database_url)
    cid, sam_id = world.campaign_id, world.senders[SAM]
    rows = await asyncio.to_thread(world.api, "GET", f"/api/campaigns/{cid}/conversations?sender={sam_id}")
    conversation = rows["conversations"][0]["id"]
    sam = await open_as(browser, live_server.url, SAM, PASSWORD, f"/send/{cid}?conversation={conversation}")
    olive = await open_as(
        browser,
        live_server.url,
        "owner@example.org",
        PASSWORD,
        f"/campaigns/{cid}/messenger/{sam_id}?conversation={conversation}",
    )
    for page in (sam, olive):
        await expect(page.locator(f".conv[data-conversation='{conversation}'] textarea")).to_be_visible()
    await expect(olive.locator("body[data-loaded=true]")).to_have_count(1)
    await expect(sam.locator("body[data-loaded=true]")).to_have_count(1)

    await olive.get_by_label("Reply", exact=True).press_sequentially("Hi, this is Olive", delay=20)
    warning = sam.get_by_role("status").filter(has_text="is also typing")
    await expect(warning).to_have_text("Olive Owner is also typing in this conversation")
    await sam.screenshot(path=str(screenshots / "typing-warning.png"))

    await sam.get_by_label("Reply", exact=True).press_sequentially("Hello from Sam", delay=20)
    await expect(olive.get_by_role("status").filter(has_text="is also typing")).to_have_text(
        "Sam Sender is also typing in this conversation"
    )
    # Nobody is warned of their own typing; the warning goes after a few seconds of quiet.
    await expect(olive.get_by_text("Olive Owner is also typing")).to_have_count(0)
    await expect(warning).to_have_count(0, timeout=10_000)


def _replies_waiting_since(database_url: str, sender_id: int, minutes: int) -> None:
    async def backdate(db: Database) -> None:
        async with db.transaction() as session:
            await session.execute(
                update(Conversation)
                .where(Conversation.assigned_to == sender_id, Conversation.needs_reply_since.is_not(None))
                .values(needs_reply_since=utcnow() - timedelta(minutes=minutes))
            )

    sync(database_url, backdate)


async def test_the_organizer_sets_the_shift_settings_sorts_by_the_wait_and_a_sender_gives_back_their_work(
    live_server: ServerProcess, database_url: str, browser: Any, screenshots: Path
) -> None:
    world = await asyncio.to_thread(two_waiting_for_sam, live_server.url, database_url)
    cid, sam_id, rita_id = world.campaign_id, world.senders[SAM], world.senders[RITA]
    await asyncio.to_thread(_replies_waiting_since, database_url, sam_id, 20)

    # The campaign page holds the shift settings.
    setup = await open_as(browser, live_server.url, "owner@example.org", PASSWORD, f"/campaigns/{cid}/setup")
    alert = setup.get_by_label("Highlight a reply waiting longer than (minutes)")
    await expect(alert).to_have_value("10")
    await alert.fill("15")
    automatic = setup.get_by_label("Move the waiting replies of a sender offline for (minutes)")
    await expect(automatic).to_have_value("")
    await automatic.fill("5")
    await setup.get_by_role("button", name="Save").click()
    await expect(setup.get_by_text("Campaign saved.")).to_be_visible()
    campaign = await asyncio.to_thread(world.api, "GET", f"/api/campaigns/{cid}")
    assert (campaign["waiting_alert_minutes"], campaign["auto_rebalance_after_minutes"]) == (15, 5)
    await setup.reload()
    await expect(
        setup.get_by_label("Move the waiting replies of a sender offline for (minutes)")
    ).to_have_value("5")
    await setup.get_by_label("Move the waiting replies of a sender offline for (minutes)").fill("")
    await setup.get_by_role("button", name="Save").click()
    await expect(setup.get_by_text("Campaign saved.")).to_be_visible()
    campaign = await asyncio.to_thread(world.api, "GET", f"/api/campaigns/{cid}")
    assert campaign["auto_rebalance_after_minutes"] is None

    # Sam's replies have waited 20 minutes, past the 15: highlighted, and first by Oldest Wait.
    overview = await open_as(browser, live_server.url, "owner@example.org", PASSWORD, f"/campaigns/{cid}")
    sam_row = overview.locator(f"#senders-body tr[data-sender='{sam_id}']")
    await expect(sam_row.locator(".wait")).to_have_class(re.compile(r"\bwait-late\b"))
    await expect(overview.locator("#oldest-wait")).to_have_class(re.compile(r"\bwait-late\b"))
    senders = overview.locator("#senders-body tr[data-sender]:not(.row-unassigned)")
    await overview.get_by_role("button", name="Oldest Wait").click()
    await expect(senders.first).to_have_attribute("data-sender", str(sam_id))
    await overview.get_by_role("button", name="Oldest Wait").click()
    await expect(senders.first).to_have_attribute("data-sender", str(rita_id))
    await overview.get_by_role("button", name="Sent (10 min)").click()  # Sam sent two, Rita none
    await expect(senders.first).to_have_attribute("data-sender", str(sam_id))

    # Sam is done for today: asked first; cancelling keeps everything.
    sam = await open_as(browser, live_server.url, SAM, PASSWORD, f"/send/{cid}")
    await sam.get_by_role("button", name="Done for today").click()
    dialog = sam.get_by_role("dialog", name="Done for today?")
    await expect(dialog).to_be_visible()
    await dialog.get_by_role("button", name="Cancel").click()
    await expect(dialog).to_be_hidden()
    await expect(sam_row.locator(".needs")).to_have_text("2")
    await sam.get_by_role("button", name="Done for today").click()
    await sam.screenshot(path=str(screenshots / "done-for-today.png"))
    await dialog.get_by_role("button", name="Done for today").click()
    await expect(sam.get_by_text("Gave back 2 conversations. Thank you!")).to_be_visible()
    await expect(sam_row.locator(".needs")).to_have_text("0")
    unassigned = overview.locator("#senders-body tr.row-unassigned")
    await expect(unassigned.locator(".needs")).to_have_text("2")
