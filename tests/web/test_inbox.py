"""The inbox in a browser: a sender starts a conversation, texts, gets the reply live, archives it."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from playwright.async_api import expect

from tests.support.processes import ServerProcess
from tests.support.worlds.accounts import PASSWORD
from tests.support.worlds.web import build_world, signed_inbound

from .browsing import BROWSER, ONE_BACKEND, PHONE, open_as
from .test_accessibility import axe_violations, have_axe

pytestmark = BROWSER
__all__ = ["have_axe"]  # the fixture, used by name

SAM = "sam@example.org"
NIA = "+14155550199"


async def test_a_sender_texts_a_neighbour_from_the_inbox_and_sees_the_reply_live(
    live_server: ServerProcess, database_url: str, browser: Any, screenshots: Path
) -> None:
    await asyncio.to_thread(
        build_world, live_server.url, database_url, senders={SAM: "Sam Sender"}, contacts=2
    )
    page = await open_as(browser, live_server.url, SAM, PASSWORD, "/inbox")
    await expect(page.get_by_text("No conversations here.")).to_be_visible()

    await page.get_by_role("button", name="New Conversation").click()
    # The address book lists the campaign's contacts too.
    await expect(page.locator("#address-book")).to_contain_text("Ada Contact0")
    await page.get_by_label("Send to Phone Number:").fill("(415) 555-0199")
    await page.get_by_role("button", name="Start Conversation").click()
    await expect(page.locator("#conv-name")).to_have_text(NIA)

    await page.get_by_label("Message", exact=True).fill("Hi Nia, it's Sam from the tenants' union")
    await page.get_by_role("button", name="Send", exact=True).click()
    await expect(page.locator(".bubble-outbound")).to_contain_text("Hi Nia, it's Sam")
    await expect(page.get_by_label("Message", exact=True)).to_have_value("")

    answer = await asyncio.to_thread(signed_inbound, live_server.url, NIA, "Hi Sam! Count me in.", "SM-nia-1")
    assert answer.status_code == 200
    # The reply arrives without a reload, and the list shows it waiting.
    await expect(page.locator(".bubble-inbound")).to_contain_text("Count me in.")
    await expect(page.locator("#inbox-list")).to_contain_text("Needs reply")
    await page.screenshot(path=screenshots / "inbox.png", full_page=True)

    # What Sam types is kept across a reload.
    await page.get_by_label("Message", exact=True).fill("See you Tues")
    await page.reload()
    await page.locator("#inbox-list").get_by_role("button", name=NIA).click()
    await expect(page.get_by_label("Message", exact=True)).to_have_value("See you Tues")

    # The conversation's actions are in its Action menu (seed 004), and it works by keyboard.
    action = page.get_by_role("button", name="Action", exact=True)
    await action.focus()
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("menuitem", name="Archive")).to_be_focused()
    await expect(action).to_have_attribute("aria-expanded", "true")
    # A sender archives and exports; deleting is for owners and admins.
    await expect(page.get_by_role("menuitem")).to_have_text(["Archive", "Export"])
    await page.keyboard.press("ArrowDown")
    await expect(page.get_by_role("menuitem", name="Export")).to_be_focused()
    await page.keyboard.press("ArrowDown")  # round to the first again
    await expect(page.get_by_role("menuitem", name="Archive")).to_be_focused()
    await page.keyboard.press("Escape")
    await expect(page.get_by_role("menu")).to_have_count(0)
    await expect(action).to_be_focused()
    await expect(action).to_have_attribute("aria-expanded", "false")

    await action.click()
    await page.get_by_role("menuitem", name="Archive").click()
    await expect(page.get_by_text("No conversations here.")).to_be_visible()
    await page.get_by_label("Archived").check()
    await expect(page.locator("#inbox-list")).to_contain_text(NIA)


async def test_a_sender_archives_a_whole_page_of_conversations_with_select_all(
    live_server: ServerProcess, database_url: str, browser: Any
) -> None:
    world = await asyncio.to_thread(
        build_world, live_server.url, database_url, senders={SAM: "Sam Sender"}, contacts=2
    )
    for phone in ("+14155550101", "+14155550102", "+14155550103"):
        world.api("POST", "/api/inbox/conversations", world.tokens[SAM], json={"phone": phone})
    page = await open_as(browser, live_server.url, SAM, PASSWORD, "/inbox")
    rows = page.locator("#inbox-list li")
    await expect(rows).to_have_count(3)
    select_all = page.get_by_label("Select all")
    archive = page.get_by_role("button", name="Archive selected")
    await expect(archive).to_be_disabled()

    # One ticked by hand: Select all shows the mix; ticking it takes every row.
    await page.get_by_label("Select +14155550102").check()
    assert await select_all.evaluate("box => box.indeterminate")
    await select_all.check()
    for phone in ("+14155550101", "+14155550102", "+14155550103"):
        await expect(page.get_by_label(f"Select {phone}")).to_be_checked()
    await select_all.uncheck()
    await expect(archive).to_be_disabled()

    await select_all.check()
    await archive.click()
    await expect(page.get_by_text("No conversations here.")).to_be_visible()
    await expect(select_all).to_be_disabled()
    listed = world.api("GET", "/api/inbox?archived=true", world.tokens[SAM])["conversations"]
    assert len(listed) == 3 and all(row["archived"] for row in listed)


async def test_the_inbox_works_on_a_phone(
    live_server: ServerProcess, database_url: str, browser: Any, screenshots: Path
) -> None:
    await asyncio.to_thread(
        build_world, live_server.url, database_url, senders={SAM: "Sam Sender"}, contacts=2
    )
    page = await open_as(browser, live_server.url, SAM, PASSWORD, "/inbox", viewport=PHONE)
    await page.get_by_role("button", name="New Conversation").click()
    await page.get_by_label("Choose Contact").fill("ada")
    await page.locator("#address-book").get_by_role("button", name="Ada Contact0").click()
    await expect(page.locator("#conv-name")).to_have_text("Ada Contact0")
    await expect(page.get_by_label("Message", exact=True)).to_be_visible()
    await page.get_by_role("button", name="Back to the list").click()
    await expect(page.locator("#inbox-list")).to_contain_text("Ada Contact0")
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]


@ONE_BACKEND
async def test_the_inbox_has_no_serious_accessibility_violation(
    have_axe: None, live_server: ServerProcess, database_url: str, browser: Any
) -> None:
    world = await asyncio.to_thread(
        build_world, live_server.url, database_url, senders={SAM: "Sam Sender"}, contacts=2
    )
    conversation = world.api("POST", "/api/inbox/conversations", world.tokens[SAM], json={"phone": NIA})
    world.api(
        "POST", f"/api/conversations/{conversation['id']}/messages", world.tokens[SAM], json={"body": "Hi"}
    )
    for viewport in ({"width": 1280, "height": 800}, PHONE):
        page = await open_as(
            browser, live_server.url, SAM, PASSWORD, "/inbox", viewport=viewport, bypass_csp=True
        )
        await page.locator("#inbox-list").get_by_role("button", name=NIA).click()
        await expect(page.locator(".bubble-outbound")).to_contain_text("Hi")
        await page.get_by_role("button", name="New Conversation").click()
        await expect(page.locator("#address-book")).to_contain_text("Ada Contact0")
        assert await axe_violations(page) == [], viewport
        await page.context.close()
