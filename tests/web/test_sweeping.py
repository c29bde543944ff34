"""The Overview's table tools, the Unassign All confirmation, campaign banners and self-assign."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from playwright.async_api import expect

from tests.support.processes import ServerProcess
from tests.support.worlds.accounts import PASSWORD
from tests.support.worlds.web import build_world

from .browsing import BROWSER, PHONE, open_as

pytestmark = BROWSER

SAM, RITA, ZOE = "sam@example.org", "rita@example.org", "zoe@example.org"


async def table_order(page: Any) -> list[str]:
    """The table's rows as "First Last" (First Name and Last Name are columns of their own)."""
    rows = page.locator("#senders-body tr[data-sender]")
    names: list[str] = []
    for i in range(await rows.count()):
        first = await rows.nth(i).locator(".col-first").inner_text()
        last = await rows.nth(i).locator(".col-last").inner_text()
        names.append(f"{first} {last}".strip())
    return names


async def test_the_admin_sorts_searches_and_unassigns_everything_after_confirming(
    live_server: ServerProcess, database_url: str, browser: Any, screenshots: Path
) -> None:
    world = await asyncio.to_thread(
        build_world,
        live_server.url,
        database_url,
        senders={SAM: "Sam Sender", RITA: "Rita Runner", ZOE: "Zoe Zed"},
        contacts=6,
        assign={SAM: 3, RITA: 1},
    )
    cid = world.campaign_id
    page = await open_as(browser, live_server.url, "owner@example.org", PASSWORD, f"/campaigns/{cid}")
    await expect(page.locator("#senders-body tr")).to_have_count(4)
    assert await table_order(page) == ["Unassigned", "Rita Runner", "Sam Sender", "Zoe Zed"]

    progress = page.get_by_role("button", name="Progress")
    await progress.click()  # seed 001: the first click puts the most assigned on top
    assert await table_order(page) == ["Unassigned", "Sam Sender", "Rita Runner", "Zoe Zed"]
    await expect(page.get_by_role("columnheader", name="Progress")).to_have_attribute(
        "aria-sort", "descending"
    )
    await progress.click()  # the same header again flips the order; Unassigned stays first
    assert await table_order(page) == ["Unassigned", "Zoe Zed", "Rita Runner", "Sam Sender"]
    await expect(page.get_by_role("columnheader", name="Progress")).to_have_attribute(
        "aria-sort", "ascending"
    )

    await page.get_by_label("Search senders by name").fill("ri")
    assert await table_order(page) == ["Unassigned", "Rita Runner"]
    await page.get_by_label("Search senders by name").fill("")

    # The row menus work by keyboard.
    menu_button = page.get_by_role("button", name="Reassign menu for Rita Runner")
    await menu_button.focus()
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("menuitem", name="Unassign All")).to_be_focused()
    await page.keyboard.press("ArrowDown")
    await expect(page.get_by_role("menuitem", name="Reassign Some")).to_be_focused()
    await page.keyboard.press("Escape")
    await expect(page.get_by_role("menu")).to_have_count(0)
    await expect(menu_button).to_be_focused()

    await page.get_by_role("button", name="Bulk Reassign").click()
    dialog = page.get_by_role("dialog")
    await dialog.get_by_label("Unassign All").check()
    await dialog.get_by_role("button", name="Unassign All").click()
    await expect(dialog.get_by_role("alert")).to_contain_text("back to Unassigned")
    await expect(page.locator('#senders-body tr[data-sender="unassigned"] .col-progress')).to_contain_text(
        "0/2"
    )
    await dialog.get_by_role("button", name="Yes, unassign all").click()
    await expect(dialog).to_be_hidden()
    await expect(page.locator('#senders-body tr[data-sender="unassigned"] .col-progress')).to_contain_text(
        "0/6", timeout=3000
    )
    await expect(page.get_by_text("Moved 4 conversations. 4 to Unassigned.")).to_be_visible()

    world.api("PATCH", f"/api/campaigns/{cid}", json={"status": "closed"})
    await page.set_viewport_size(PHONE)
    await page.reload()
    await expect(page.get_by_text("Campaign is currently closed")).to_be_visible()
    await expect(page.locator("#senders-body tr")).to_have_count(4)
    await page.screenshot(path=screenshots / "overview-phone.png")
    await page.context.close()


async def test_a_sender_asks_for_more_conversations(
    live_server: ServerProcess, database_url: str, browser: Any
) -> None:
    world = await asyncio.to_thread(
        build_world, live_server.url, database_url, senders={SAM: "Sam Sender"}, contacts=4, self_assign=True
    )
    page = await open_as(browser, live_server.url, SAM, PASSWORD, f"/send/{world.campaign_id}")
    await expect(page.locator(".conv-list")).to_have_attribute("data-count", "0")
    await page.get_by_label("How many").fill("3")
    await page.get_by_role("button", name="Request more conversations").click()
    await expect(page.get_by_text("You got 3 more conversations.")).to_be_visible()
    await expect(page.locator(".conv-list")).to_have_attribute("data-count", "3")
    await expect(page.get_by_role("button", name="Send initial message")).to_be_focused()
    await expect(page.locator("#my-stats")).to_contain_text("0/3", timeout=3000)
    await page.context.close()


async def test_the_admin_moves_some_distributes_the_pool_and_sends_a_sender_back_to_unassigned(
    live_server: ServerProcess, database_url: str, browser: Any
) -> None:
    world = await asyncio.to_thread(
        build_world,
        live_server.url,
        database_url,
        senders={SAM: "Sam Sender", RITA: "Rita Runner", ZOE: "Zoe Zed"},
        contacts=9,
        assign={SAM: 3},
    )
    cid = world.campaign_id
    sam, rita, zoe = world.senders[SAM], world.senders[RITA], world.senders[ZOE]
    page = await open_as(browser, live_server.url, "owner@example.org", PASSWORD, f"/campaigns/{cid}")
    dialog = page.get_by_role("dialog")

    async def expect_progress(expected: dict[str, str]) -> None:
        for key, text in expected.items():
            cell = page.locator(f'#senders-body tr[data-sender="{key}"] .col-progress')
            await expect(cell).to_have_text(text, timeout=5000)

    async def open_menu(name: str, action: str) -> None:
        await page.get_by_role("button", name=f"Reassign menu for {name}").click()
        await page.get_by_role("menuitem", name=action).click()
        await expect(dialog).to_be_visible()

    await expect_progress({"unassigned": "0/6", f"{sam}": "0/3", f"{rita}": "0/0", f"{zoe}": "0/0"})

    # Reassign Some with a count: 2 of Sam's 3 go to Rita, the third stays with him.
    await open_menu("Sam Sender", "Reassign Some")
    await dialog.get_by_label("How many").fill("2")
    await dialog.get_by_label("Rita Runner").check()
    await dialog.get_by_role("button", name="Reassign").click()
    await expect(dialog).to_be_hidden()
    await expect(page.get_by_text("Moved 2 conversations. 2 to Rita Runner.")).to_be_visible()
    await expect_progress({"unassigned": "0/6", f"{sam}": "0/1", f"{rita}": "0/2", f"{zoe}": "0/0"})

    # Distribute to all senders: the pool's 6 divide evenly, 2 to each of the three.
    await open_menu("Unassigned", "Reassign All")
    await dialog.get_by_label("Distribute to all senders").check()
    await expect(dialog.get_by_label("Rita Runner")).to_be_hidden()  # no ticking needed
    await dialog.get_by_role("button", name="Reassign").click()
    await expect(dialog).to_be_hidden()
    await expect(
        page.get_by_text("Moved 6 conversations. 2 to Sam Sender, 2 to Rita Runner, 2 to Zoe Zed.")
    ).to_be_visible()
    await expect_progress({"unassigned": "0/0", f"{sam}": "0/3", f"{rita}": "0/4", f"{zoe}": "0/2"})

    # The Unassigned target: all of Rita's go back to the pool; nobody else's move.
    await open_menu("Rita Runner", "Reassign All")
    await dialog.get_by_label("Unassigned", exact=True).check()
    await dialog.get_by_role("button", name="Reassign").click()
    await expect(dialog).to_be_hidden()
    await expect(page.get_by_text("Moved 4 conversations.")).to_be_visible()
    await expect_progress({"unassigned": "0/4", f"{sam}": "0/3", f"{rita}": "0/0", f"{zoe}": "0/2"})
    await expect(page.locator("#count-total")).to_have_text("9")
    await page.context.close()


async def test_a_send_refused_because_the_campaign_closed_shows_why_at_once(
    live_server: ServerProcess, database_url: str, browser: Any
) -> None:
    world = await asyncio.to_thread(
        build_world, live_server.url, database_url, senders={SAM: "Sam Sender"}, contacts=2, assign={SAM: 2}
    )
    cid = world.campaign_id
    page = await open_as(browser, live_server.url, SAM, PASSWORD, f"/send/{cid}")
    send = page.get_by_role("button", name="Send initial message")
    await expect(send).to_be_focused()
    await expect(page.locator(".banners .banner")).to_have_count(0)

    # The campaign closes while Sam's page is open: the banner shows, and nothing more can be sent.
    world.api("PATCH", f"/api/campaigns/{cid}", json={"status": "closed"})
    await page.keyboard.press("Enter")
    await expect(page.locator(".banners .banner")).to_have_text(
        ["Campaign is currently closed"], timeout=5000
    )
    await expect(send).to_be_disabled(timeout=5000)
    await expect(page.locator(".conv-list")).to_have_attribute("data-count", "2")
    await expect(page.locator("#my-stats")).to_have_text(
        "0/2 initial messages sent · 0 conversations need a reply"
    )
    await page.context.close()


async def test_the_sending_window_closes_while_the_page_is_open(
    live_server: ServerProcess, database_url: str, browser: Any
) -> None:
    world = await asyncio.to_thread(
        build_world, live_server.url, database_url, senders={SAM: "Sam Sender"}, contacts=2, assign={SAM: 2}
    )
    cid = world.campaign_id
    now = datetime.now(UTC)
    window = {
        "start": (now - timedelta(hours=1)).isoformat(),
        "end": (now + timedelta(seconds=10)).isoformat(),
    }
    world.api("PATCH", f"/api/campaigns/{cid}", json={"sending_window": window})
    page = await open_as(browser, live_server.url, SAM, PASSWORD, f"/send/{cid}")
    send = page.get_by_role("button", name="Send initial message")
    await expect(send).to_be_enabled()
    await expect(page.locator(".banners .banner")).to_have_count(0)

    # Without any reload or event, the page turns on time.
    passed = "Initial message sending window has passed"
    await expect(page.locator(".banners .banner")).to_have_text([passed], timeout=20_000)
    # Seed 001: the Initial Messages tab is hidden once the window has passed; nothing to send.
    await expect(page.get_by_role("tab", name="Initial Messages")).to_be_hidden(timeout=5000)
    await expect(send).to_be_disabled()
    await expect(page.get_by_role("tab", name="Responses")).to_have_attribute("aria-selected", "true")
    await expect(page.locator(".conv-list")).to_have_attribute("data-count", "0", timeout=5000)
    await page.context.close()
