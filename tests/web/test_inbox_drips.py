"""The inbox composer's helpers in a browser: a canned response fills the box (never sends), a drip
applied with a preview, and the contact's answer stopping it live; an admin makes a drip on its page."""

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
__all__ = ["have_axe"]  # a fixture, used by name

SAM = "sam@example.org"
NIA = "+14155550199"
CANNED = "Thanks for writing! Our next meeting is Tuesday at 7."


async def test_a_sender_picks_a_canned_response_and_applies_a_drip_that_a_reply_stops(
    live_server: ServerProcess, database_url: str, browser: Any, screenshots: Path
) -> None:
    world = await asyncio.to_thread(build_world, live_server.url, database_url, senders={SAM: "Sam Sender"})
    world.api("POST", "/api/replies", json={"title": "Meeting", "body": CANNED})
    steps = [
        {"after_seconds": 86400, "body": "Hi again from the tenants' union"},
        {"after_seconds": 3 * 86400, "body": "Last nudge: the meeting is Tuesday"},
    ]
    world.api("POST", "/api/drips", json={"name": "Welcome", "steps": steps})
    page = await open_as(browser, live_server.url, SAM, PASSWORD, "/inbox")
    await page.get_by_role("button", name="New Conversation").click()
    await page.get_by_label("Send to Phone Number:").fill(NIA)
    await page.get_by_role("button", name="Start Conversation").click()
    await expect(page.locator("#conv-name")).to_have_text(NIA)

    # The canned response fills the text area; nothing is sent until Sam sends it (Shift+Enter).
    await page.get_by_role("button", name="Insert a canned response").click()
    await page.get_by_role("dialog").get_by_role("button", name="Meeting").click()
    box = page.get_by_label("Message", exact=True)
    await expect(box).to_have_value(CANNED)
    await expect(box).to_be_focused()
    await expect(page.locator(".bubble-outbound")).to_have_count(0)
    await box.press("Shift+Enter")
    await expect(page.locator(".bubble-outbound")).to_contain_text("next meeting is Tuesday")

    # A text scheduled for later leaves the box, waits in the thread's list, and can be cancelled.
    await box.fill("Reminder: bring a friend")
    await page.get_by_role("button", name="Schedule", exact=True).click()
    await expect(page.get_by_role("dialog").get_by_label("Send at")).not_to_have_value("")
    await page.get_by_role("dialog").get_by_role("button", name="Schedule text").click()
    scheduled = page.get_by_label("Scheduled texts")
    await expect(scheduled).to_contain_text("Reminder: bring a friend")
    await expect(box).to_have_value("")
    await scheduled.get_by_role("button", name="Cancel").click()
    await expect(page.get_by_role("region", name="Scheduled")).to_be_hidden()

    # The drip dialog previews each step with its time, then schedules them.
    await page.get_by_role("button", name="Apply a drip").click()
    dialog = page.get_by_role("dialog")
    await expect(dialog.get_by_label("Preview")).to_contain_text("in 1 day")
    await expect(dialog.get_by_label("Preview")).to_contain_text("in 3 days")
    await page.screenshot(path=screenshots / "inbox-drip.png", full_page=True)
    await dialog.get_by_role("button", name="Apply Campaign").click()
    await expect(scheduled.locator("li")).to_have_count(2)
    await expect(scheduled).to_contain_text("Drip step 1")

    # Nia answers: the steps not yet sent are gone, without a reload.
    answer = await asyncio.to_thread(signed_inbound, live_server.url, NIA, "Who is this?", "SM-nia-1")
    assert answer.status_code == 200
    await expect(page.locator(".bubble-inbound")).to_contain_text("Who is this?")
    await expect(page.get_by_role("region", name="Scheduled")).to_be_hidden()

    # Where the organization turned drips off, the composer does not offer them.
    world.api("PATCH", "/api/organization", json={"allow_drips": False})
    await page.reload()
    await page.locator("#inbox-list").get_by_role("button", name=NIA).click()
    await expect(page.get_by_role("button", name="Insert a canned response")).to_be_visible()
    await expect(page.get_by_role("button", name="Apply a drip")).to_have_count(0)


async def test_an_admin_makes_a_drip_with_steps_and_intervals(
    live_server: ServerProcess, database_url: str, browser: Any
) -> None:
    await asyncio.to_thread(build_world, live_server.url, database_url, senders={SAM: "Sam Sender"})
    page = await open_as(browser, live_server.url, "owner@example.org", PASSWORD, "/drips")
    await expect(page.get_by_text("No drips yet.")).to_be_visible()
    await page.get_by_label("Name", exact=True).fill("Welcome")
    await page.get_by_label("Send after").fill("1")
    await page.get_by_label("Text", exact=True).fill("Welcome to the union!")
    await page.get_by_role("button", name="Add step").click()
    await page.get_by_label("Send after").nth(1).fill("3")
    await page.get_by_label("Text", exact=True).nth(1).fill("Can you come Tuesday?")
    await page.get_by_role("button", name="Save drip").click()
    drip = page.locator("#drips li.card")
    await expect(drip).to_contain_text("Welcome")
    await expect(drip).to_contain_text("in 1 day")
    await expect(drip).to_contain_text("in 3 days")

    # Steps out of order are refused with the reason, and what was typed stays.
    await page.get_by_label("Name", exact=True).fill("Backwards")
    await page.get_by_label("Send after").fill("5")
    await page.get_by_label("Text", exact=True).fill("Later")
    await page.get_by_role("button", name="Add step").click()
    await page.get_by_label("Send after").nth(1).fill("2")
    await page.get_by_label("Text", exact=True).nth(1).fill("Sooner")
    await page.get_by_role("button", name="Save drip").click()
    await expect(page.get_by_role("alert")).to_contain_text("ascending order")
    await expect(page.get_by_label("Name", exact=True)).to_have_value("Backwards")


@ONE_BACKEND
async def test_the_drips_page_and_the_composer_dialogs_pass_axe_on_a_desktop_and_a_phone(
    have_axe: None, live_server: ServerProcess, database_url: str, browser: Any
) -> None:
    world = await asyncio.to_thread(build_world, live_server.url, database_url, senders={SAM: "Sam Sender"})
    world.api("POST", "/api/replies", json={"title": "Meeting", "body": CANNED})
    world.api("POST", "/api/drips", json={"name": "Welcome", "steps": [{"after_seconds": 60, "body": "Hi"}]})
    failures: dict[str, list[str]] = {}
    for viewport in ({"width": 1280, "height": 800}, PHONE):
        where = f"at {viewport['width']}px"
        page = await open_as(
            browser,
            live_server.url,
            "owner@example.org",
            PASSWORD,
            "/drips",
            viewport=viewport,
            bypass_csp=True,
        )
        await expect(page.locator("#drips li.card")).to_contain_text("Welcome")
        failures[f"/drips {where}"] = await axe_violations(page)
        await page.goto("/inbox")
        await page.get_by_role("button", name="New Conversation").click()
        await page.get_by_label("Send to Phone Number:").fill(NIA)
        await page.get_by_role("button", name="Start Conversation").click()
        await expect(page.locator("#conv-name")).to_have_text(NIA)
        for button in ("Apply a drip", "Insert a canned response"):
            await page.get_by_role("button", name=button).click()
            await expect(page.get_by_role("dialog")).to_be_visible()
            failures[f"{button} {where}"] = await axe_violations(page)
            await page.keyboard.press("Escape")
            await expect(page.get_by_role("button", name=button)).to_be_focused()
        await page.context.close()
    assert not any(failures.values()), failures
