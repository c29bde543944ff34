"""The inbox's conversation tools in a browser: export a stretch of it, the contact's details, and a
sweeper looking at a sender's inbox, page after page."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
from playwright.async_api import expect

from tests.support.processes import ServerProcess
from tests.support.worlds.accounts import PASSWORD
from tests.support.worlds.web import build_world

from .browsing import BROWSER, ONE_BACKEND, PHONE, open_as
from .test_accessibility import axe_violations, have_axe

pytestmark = BROWSER
__all__ = ["have_axe"]  # the fixture, used by name

SAM = "sam@example.org"
OWNER = "owner@example.org"
NIA = "+14155550199"


async def test_a_sender_exports_a_week_of_a_conversation_and_an_eight_day_range_is_refused(
    live_server: ServerProcess, database_url: str, browser: Any, tmp_path: Path
) -> None:
    world = await asyncio.to_thread(
        build_world, live_server.url, database_url, senders={SAM: "Sam Sender"}, contacts=1
    )
    conversation = world.api("POST", "/api/inbox/conversations", world.tokens[SAM], json={"phone": NIA})
    for body in ("Hi Nia, the meeting is on Tuesday", "Bring a friend!"):
        world.api(
            "POST",
            f"/api/conversations/{conversation['id']}/messages",
            world.tokens[SAM],
            json={"body": body},
        )
    page = await open_as(browser, live_server.url, SAM, PASSWORD, "/inbox")
    await page.locator("#inbox-list").get_by_role("button", name=NIA).click()
    action = page.get_by_role("button", name="Action", exact=True)
    await action.click()
    await page.get_by_role("menuitem", name="Export").click()

    dialog = page.get_by_role("dialog", name="Export Messages")
    await expect(dialog.get_by_label("Start date")).to_be_focused()
    today = date.fromisoformat(await dialog.get_by_label("End date").input_value())
    # Eight days, both included: refused in the dialog, and nothing is asked of the server.
    await dialog.get_by_label("Start date").fill((today - timedelta(days=7)).isoformat())
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url) if "/export" in request.url else None)
    await dialog.get_by_role("button", name="Export").click()
    await expect(dialog.get_by_role("alert")).to_contain_text("at most 7 days")
    assert asked == []

    await dialog.get_by_label("Start date").fill((today - timedelta(days=6)).isoformat())
    await dialog.get_by_label("CSV").check()
    async with page.expect_download() as download_info:
        await dialog.get_by_role("button", name="Export").click()
    saved = tmp_path / "conversation.csv"
    await (await download_info.value).save_as(saved)
    content = saved.read_text()
    assert "Hi Nia, the meeting is on Tuesday" in content and "Bring a friend!" in content
    await expect(dialog).to_have_count(0)
    # The focus goes back to the menu's button: the item is hidden with its menu.
    await expect(action).to_be_focused()


async def test_an_owner_deletes_a_conversation_from_its_action_menu_after_confirming(
    live_server: ServerProcess, database_url: str, browser: Any
) -> None:
    world = await asyncio.to_thread(
        build_world, live_server.url, database_url, senders={SAM: "Sam Sender"}, contacts=1
    )
    conversation = world.api("POST", "/api/inbox/conversations", json={"phone": NIA})
    world.api("POST", f"/api/conversations/{conversation['id']}/messages", json={"body": "Hi Nia"})
    page = await open_as(browser, live_server.url, OWNER, PASSWORD, "/inbox")
    await page.locator("#inbox-list").get_by_role("button", name=NIA).click()
    action = page.get_by_role("button", name="Action", exact=True)
    await action.click()
    await expect(page.get_by_role("menuitem")).to_have_text(["Archive", "Export", "Delete"])
    await page.get_by_role("menuitem", name="Delete").click()

    # Asked first, and told it cannot be undone; Cancel keeps everything.
    dialog = page.get_by_role("dialog", name="Delete this conversation?")
    await expect(dialog).to_contain_text("cannot be undone")
    await dialog.get_by_role("button", name="Cancel").click()
    await expect(dialog).to_have_count(0)
    await expect(action).to_be_focused()
    await expect(page.locator(".bubble-outbound")).to_contain_text("Hi Nia")

    await action.click()
    await page.get_by_role("menuitem", name="Delete").click()
    await dialog.get_by_role("button", name="Delete").click()
    await expect(page.get_by_text("Conversation deleted.")).to_be_visible()
    await expect(page.get_by_text("No conversations here.")).to_be_visible()
    response = await asyncio.to_thread(
        httpx.get,
        f"{live_server.url}/api/conversations/{conversation['id']}",
        headers={"Authorization": f"Bearer {world.owner_token}"},
    )
    assert response.status_code == 404


async def test_a_sender_renames_a_contact_and_opts_them_out_from_the_details(
    live_server: ServerProcess, database_url: str, browser: Any
) -> None:
    world = await asyncio.to_thread(
        build_world, live_server.url, database_url, senders={SAM: "Sam Sender"}, contacts=1
    )
    world.api(
        "PATCH",
        "/api/organization",
        json={"consent_message": "Hi, this is the union. Reply STOP to stop.", "consent_required": True},
    )
    entry = world.api(
        "POST",
        "/api/address-book",
        world.tokens[SAM],
        json={"first_name": "", "last_name": "", "phone": NIA, "Ward": "3"},
    )
    conversation = world.api(
        "POST", "/api/inbox/conversations", world.tokens[SAM], json={"contact_id": entry["id"]}
    )
    world.api(
        "POST", f"/api/conversations/{conversation['id']}/messages", world.tokens[SAM], json={"body": "Hello"}
    )

    page = await open_as(browser, live_server.url, SAM, PASSWORD, "/inbox")
    await page.locator("#inbox-list").get_by_role("button", name=NIA).click()
    # The organization requires consent: its status is next to the name.
    await expect(page.locator("#consent-state")).to_contain_text("Consent sent")
    await page.get_by_role("button", name="Details").click()
    dialog = page.get_by_role("dialog", name="Contact Details")
    await expect(dialog.get_by_label("Phone")).to_have_value(NIA)
    await expect(dialog.get_by_label("Phone")).not_to_be_editable()
    await expect(dialog.get_by_label("Ward")).to_have_value("3")
    await expect(dialog).to_contain_text("Consent sent")
    await dialog.get_by_label("First name").fill("Nia")
    await dialog.get_by_label("Last name").fill("Okafor")
    await dialog.get_by_label("Opted out").check()
    await dialog.get_by_role("button", name="Update Contact Details").click()

    await expect(dialog).to_have_count(0)
    await expect(page.locator("#conv-name")).to_have_text("Nia Okafor")
    await expect(page.locator("#opted-out-state")).to_have_text("Opted out")
    await expect(page.locator("#inbox-list")).to_contain_text("Nia Okafor")
    # The composer says so and sends nothing; what is typed stays.
    await expect(page.locator("#inbox-opted-out")).to_be_visible()
    await page.get_by_label("Message", exact=True).fill("Are you still coming?")
    await expect(page.get_by_role("button", name="Send", exact=True)).to_be_disabled()
    await page.get_by_label("Message", exact=True).press("Shift+Enter")
    await expect(page.get_by_label("Message", exact=True)).to_have_value("Are you still coming?")
    thread = world.api("GET", f"/api/conversations/{conversation['id']}", world.tokens[SAM])
    assert [m["body"] for m in thread["messages"] if not m.get("automatic")] == ["Hello"]
    saved = world.api("GET", f"/api/address-book/{entry['id']}", world.tokens[SAM])
    assert (saved["first_name"], saved["last_name"], saved["opted_out"]) == ("Nia", "Okafor", True)


async def test_an_owner_looks_at_a_senders_inbox_page_by_page_and_live(
    live_server: ServerProcess, database_url: str, browser: Any
) -> None:
    world = await asyncio.to_thread(
        build_world, live_server.url, database_url, senders={SAM: "Sam Sender"}, contacts=1
    )
    phones = [f"+1415555{n:04d}" for n in range(300, 351)]  # one more than a page
    for phone in phones:
        world.api("POST", "/api/inbox/conversations", world.tokens[SAM], json={"phone": phone})
    page = await open_as(browser, live_server.url, "owner@example.org", PASSWORD, "/inbox")
    await expect(page.get_by_text("No conversations here.")).to_be_visible()
    await page.get_by_label("Inbox of").select_option(label="Sam Sender")
    await page.wait_for_url("**/inbox?user=*")
    rows = page.locator("#inbox-list > li")
    await expect(rows).to_have_count(50)
    # Newest first: the first one Sam started is on the next page.
    await expect(page.locator("#inbox-list")).not_to_contain_text(phones[0])
    await page.get_by_role("button", name="Load more").click()
    await expect(rows).to_have_count(51)
    await expect(page.locator("#inbox-list")).to_contain_text(phones[0])
    await expect(page.get_by_role("button", name="Load more")).to_be_hidden()

    # Sam starts another: it shows at the top at once, and the rows loaded stay.
    world.api("POST", "/api/inbox/conversations", world.tokens[SAM], json={"phone": NIA})
    await expect(rows.first).to_contain_text(NIA)
    await expect(rows).to_have_count(52)


@ONE_BACKEND
async def test_the_export_and_details_dialogs_have_no_serious_accessibility_violation(
    have_axe: None, live_server: ServerProcess, database_url: str, browser: Any
) -> None:
    world = await asyncio.to_thread(
        build_world, live_server.url, database_url, senders={SAM: "Sam Sender"}, contacts=1
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
        openers = (("Action", "Export", "Export Messages"), ("Details", None, "Contact Details"))
        for opener, item, title in openers:
            await page.get_by_role("button", name=opener, exact=True).click()
            if item:
                await page.get_by_role("menuitem", name=item).click()
            dialog = page.get_by_role("dialog", name=title)
            await expect(dialog).to_be_visible()
            assert await axe_violations(page) == [], (viewport, title)
            assert await page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
            # Escape closes it and gives the focus back to the button that opened it.
            await page.keyboard.press("Escape")
            await expect(dialog).to_have_count(0)
            await expect(page.get_by_role("button", name=opener, exact=True)).to_be_focused()
        await page.context.close()
