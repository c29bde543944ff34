"""An organizer sets up and runs a campaign using only the pages, from an empty organization."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from playwright.async_api import expect

from tests.support.processes import ServerProcess
from tests.support.worlds.accounts import PASSWORD, make_org
from tests.support.worlds.web import ORG_NUMBER, WEBHOOK_TOKEN

from .browsing import BROWSER, open_as

pytestmark = BROWSER

OWNER, SAM = "owner@example.org", "sam@example.org"
SOON = 5000


def contacts_csv(rows: int, *, extra: str = "") -> str:
    """A contacts file of ``rows`` distinct valid phones, plus ``extra`` lines."""
    lines = ["first_name,last_name,phone"]
    lines += [f"Ada{i},Lovelace,+1212{200 + i // 10000:03d}{i % 10000:04d}" for i in range(rows)]
    return "\n".join(lines) + "\n" + extra


async def test_from_an_empty_organization_to_a_first_text_using_only_the_pages(
    live_server: ServerProcess, database_url: str, browser: Any, screenshots: Path, tmp_path: Path
) -> None:
    await asyncio.to_thread(make_org, database_url, number=ORG_NUMBER, webhook_token=WEBHOOK_TOKEN)
    page = await open_as(browser, live_server.url, OWNER, PASSWORD, "/campaigns")
    await expect(page.get_by_text("No campaigns yet.")).to_be_visible()

    # A teammate to text with.
    await page.get_by_role("link", name="Users").click()
    await page.get_by_label("First name").fill("Sam")
    await page.get_by_label("Last name").fill("Sender")
    await page.get_by_label("Email").fill(SAM)
    await page.get_by_label("Password").fill("short")
    await page.get_by_role("button", name="Add user").click()
    # The API's error shows next to the field it is about, which gets the focus.
    await expect(page.locator("#password-error")).to_have_text(
        "The password must have at least 8 characters."
    )
    await expect(page.get_by_label("Password")).to_be_focused()
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Add user").click()
    await expect(page.locator("#users-body tr")).to_have_count(2)
    await expect(page.get_by_label("Role of Sam Sender")).to_have_value("sender")

    # The campaign form: a live preview and segment count.
    await page.get_by_role("link", name="Campaigns").click()
    await page.get_by_role("button", name="New campaign").click()
    await page.wait_for_url("**/campaigns/new")
    await expect(page.get_by_label("Title")).to_be_focused()
    await page.get_by_label("Title").fill("Early vote")
    initial = page.get_by_label("Initial message")
    await initial.fill("Hi %ContactFirstName%, it's %SenderFirstName%. Will you vote early?")
    await expect(page.locator("#initial-preview")).to_have_text("Hi Alex, it's Olive. Will you vote early?")
    await expect(page.locator("#initial-segments")).to_have_text("1 SMS segment (GSM-7, 41 characters)")
    await initial.press("End")
    await initial.type(" 🗳")
    await expect(page.locator("#initial-segments")).to_contain_text("UCS-2")
    await initial.fill("Hi %ContactFirstName%, it's %SenderFirstName%. Will you vote early?")
    await page.get_by_label("Self-assign").check()
    await page.get_by_role("button", name="Add question").click()
    await page.get_by_label("Question 1", exact=True).fill("Which day?")
    await page.get_by_label("Answers to question 1 (one per line)").fill("Saturday\nSunday")
    await page.get_by_role("button", name="Add question").click()
    await page.get_by_label("Question 2", exact=True).fill("Need a ride?")
    await page.get_by_role("button", name="Move up question 2").click()
    await expect(page.get_by_label("Question 1", exact=True)).to_have_value("Need a ride?")
    # A reload loses nothing typed.
    await page.reload()
    await expect(page.get_by_label("Question 2", exact=True)).to_have_value("Which day?")
    await expect(page.get_by_label("Title")).to_have_value("Early vote")
    await page.screenshot(path=screenshots / "campaign-form.png", full_page=True)
    await page.get_by_role("button", name="Save").click()
    await page.wait_for_url("**/campaigns/*/contacts")
    cid = int(page.url.split("/")[-2])

    # Launch refuses a campaign without contacts, in the dialog, and changes nothing.
    await page.get_by_role("link", name="Setup").click()
    await page.get_by_role("button", name="Launch").click()
    dialog = page.get_by_role("dialog")
    await expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    await dialog.get_by_role("button", name="Launch").click()
    await expect(dialog.get_by_role("alert")).to_have_text(
        "Upload contacts before launching: the campaign has none to text."
    )
    await page.keyboard.press("Escape")
    await expect(dialog).to_have_count(0)
    await expect(page.get_by_role("button", name="Launch")).to_be_focused()  # the focus came back

    # Contacts: three good rows, one bad, one twice.
    csv = tmp_path / "contacts.csv"
    csv.write_text(contacts_csv(3, extra="Bad,Row,12\nAda0,Lovelace,+12122000000\n"))
    await page.get_by_role("link", name="Contacts").click()
    await page.get_by_label("Contacts file").set_input_files(csv)
    await page.get_by_role("button", name="Upload").click()
    await expect(page.locator("#result-added")).to_have_text("3", timeout=SOON)
    await expect(page.locator("#result-invalid")).to_have_text("1")
    await expect(page.locator("#result-duplicate")).to_have_text("1")
    await expect(page.locator("#result-opted_out")).to_have_text("0")
    await expect(page.locator("#invalid-rows tbody tr")).to_have_count(2)
    async with page.expect_download() as download_info:
        await page.get_by_role("button", name="Download rows not added").click()
    saved = tmp_path / "invalid.csv"
    await (await download_info.value).save_as(saved)
    assert saved.read_text().splitlines()[0] == "row,reason"
    assert "invalid phone number" in saved.read_text()
    await expect(page.locator("#contact-count")).to_have_text("3 contacts in this campaign.")
    await page.screenshot(path=screenshots / "contacts-upload.png", full_page=True)

    # Senders.
    await page.get_by_role("link", name="Senders").click()
    await page.get_by_label("Sam Sender").check()
    await page.get_by_role("button", name="Add senders").click()
    await expect(page.locator("#current-senders tr[data-sender]")).to_have_count(1)
    await expect(page.get_by_role("button", name="Remove Sam Sender")).to_be_visible()
    await page.screenshot(path=screenshots / "senders.png", full_page=True)

    # Launch, for real this time.
    await page.get_by_role("link", name="Setup").click()
    await page.get_by_role("button", name="Launch").click()
    await page.get_by_role("dialog").get_by_role("button", name="Launch").click()
    await expect(page.locator("#campaign-status")).to_contain_text("Active")
    await expect(page.get_by_role("button", name="Pause")).to_be_visible()
    await expect(page.get_by_role("button", name="Close campaign")).to_be_visible()
    await page.screenshot(path=screenshots / "campaign-setup.png", full_page=True)

    # Sam takes conversations and sends the first text.
    sender = await open_as(browser, live_server.url, SAM, PASSWORD, f"/send/{cid}")
    await sender.get_by_label("How many").fill("2")
    await sender.get_by_role("button", name="Request more conversations").click()
    send = sender.get_by_role("button", name="Send initial message")
    await expect(sender.get_by_label("Initial message", exact=True)).to_contain_text(
        "it's Sam. Will you vote early?"
    )
    await send.click()
    await expect(sender.locator("#my-stats")).to_contain_text("1/2 initial messages sent", timeout=SOON)

    # The export has it.
    await page.reload()
    async with page.expect_download() as download_info:
        await page.get_by_role("button", name="Export CSV").click()
    exported = tmp_path / "export.csv"
    await (await download_info.value).save_as(exported)
    assert "it's Sam. Will you vote early?" in exported.read_text()
    await sender.context.close()
    await page.context.close()


async def test_a_hundred_thousand_contacts_upload_with_its_progress_shown(
    live_server: ServerProcess, database_url: str, browser: Any, tmp_path: Path
) -> None:
    await asyncio.to_thread(make_org, database_url)
    page = await open_as(browser, live_server.url, OWNER, PASSWORD, "/campaigns/new")
    await page.get_by_label("Title").fill("Big list")
    await page.get_by_label("Initial message").fill("Hi %ContactFirstName%!")
    await page.get_by_role("button", name="Save").click()
    await page.wait_for_url("**/campaigns/*/contacts")
    csv = tmp_path / "big.csv"
    csv.write_text(contacts_csv(100_000))
    await page.get_by_label("Contacts file").set_input_files(csv)
    await page.get_by_role("button", name="Upload").click()
    bar = page.get_by_role("progressbar", name="Upload progress")
    # Sent, then worked through: the bar stays while the server checks the rows.
    await expect(bar).to_have_attribute("aria-valuetext", "Checking the contacts", timeout=SOON)
    await expect(page.locator("#upload-status")).to_have_text("Uploaded; checking the contacts…")
    await expect(page.locator("#result-added")).to_have_text("100000", timeout=180_000)
    await expect(bar).to_be_hidden()
    await expect(page.locator("#contact-count")).to_have_text("100000 contacts in this campaign.")
    await page.context.close()
