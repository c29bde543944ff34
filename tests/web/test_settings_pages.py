"""Each settings page round-trips: what is saved there is what the page shows after a reload."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
from playwright.async_api import expect

from loadtests.fake_twilio import ACCOUNT_SID, AUTH_TOKEN
from tests.support.processes import ServerProcess
from tests.support.worlds.accounts import PASSWORD
from tests.support.worlds.web import build_world

from .browsing import BROWSER, PHONE, open_as

pytestmark = BROWSER

SAM, RITA = "sam@example.org", "rita@example.org"
GOODBYE = "You\u2019re unsubscribed \u2014 reply START to come back."
CONSENT = "Tenants United here: reply STOP any time to stop our texts."
SERVICE_SID = "MG" + "fedcba9876543210" * 2


def _organization(url: str, token: str) -> dict[str, Any]:
    answer: dict[str, Any] = httpx.get(
        f"{url}/api/organization", headers={"authorization": f"Bearer {token}"}
    ).json()
    return answer


async def test_users_organization_replies_and_opt_outs_round_trip(
    live_server: ServerProcess, database_url: str, browser: Any, screenshots: Path, tmp_path: Path
) -> None:
    world = await asyncio.to_thread(
        build_world,
        live_server.url,
        database_url,
        senders={SAM: "Sam Sender", RITA: "Rita Runner"},
        contacts=3,
    )
    page = await open_as(browser, live_server.url, "owner@example.org", PASSWORD, "/users")

    # Users and roles: a role change and a deactivation hold after a reload.
    await page.get_by_label("Role of Rita Runner").select_option("moderator")
    await expect(page.get_by_text("Rita Runner is now moderator.")).to_be_visible()
    await page.get_by_role("button", name="Deactivate Sam Sender").click()
    await page.get_by_role("dialog").get_by_role("button", name="Deactivate").click()
    await expect(page.get_by_role("dialog")).to_have_count(0)  # closed once the server said yes
    await page.reload()
    await expect(page.get_by_label("Role of Rita Runner")).to_have_value("moderator")
    await expect(page.locator(f'#users-body tr[data-user="{world.senders[SAM]}"]')).to_contain_text(
        "Deactivated"
    )
    await expect(page.get_by_label("Role of Olive Owner")).to_be_disabled()  # nobody changes their own role
    await page.screenshot(path=screenshots / "users.png", full_page=True)

    # Organization settings: phone redaction.
    await page.get_by_role("link", name="Organization settings").click()
    redaction = page.get_by_label("Phone redaction")
    await expect(redaction).not_to_be_checked()
    await redaction.check()
    await page.get_by_role("button", name="Save").click()
    await expect(page.get_by_text("Settings saved.")).to_be_visible()
    await page.reload()
    await expect(page.get_by_label("Phone redaction")).to_be_checked()

    # The texting settings: the opt-out message, plain punctuation, the pace and the provider.
    await page.get_by_label("Opt-out message").fill(GOODBYE)
    await page.get_by_label("Plain punctuation").check()
    await page.get_by_label("Texts per second").fill("4")
    await expect(page.get_by_label("Twilio Account SID")).to_be_hidden()  # the simulator needs none
    await page.get_by_label("SMS provider").select_option("twilio")
    await page.get_by_label("Twilio Account SID").fill(ACCOUNT_SID)
    await page.get_by_label("Twilio auth token").fill(AUTH_TOKEN)
    await page.get_by_role("button", name="Save").click()
    await expect(page.get_by_text("Settings saved.")).to_be_visible()
    await page.reload()
    await expect(page.get_by_label("Opt-out message")).to_have_value(GOODBYE)
    await expect(page.get_by_label("Plain punctuation")).to_be_checked()
    await expect(page.get_by_label("Texts per second")).to_have_value("4")
    await expect(page.get_by_label("SMS provider")).to_have_value("twilio")
    await expect(page.get_by_label("Twilio Account SID")).to_have_value(ACCOUNT_SID)
    await expect(page.get_by_label("Twilio auth token")).to_have_value("")  # write-only
    # The Messaging Service changes without retyping the token; a bad SID is refused in the page.
    await page.get_by_label("Messaging Service SID").fill("MGshort")
    await page.get_by_role("button", name="Save").click()
    await expect(page.get_by_role("alert")).to_contain_text("Messaging Service SID")
    await page.get_by_label("Messaging Service SID").fill(SERVICE_SID)
    await page.get_by_role("button", name="Save").click()
    await expect(page.get_by_text("Settings saved.")).to_be_visible()
    await page.reload()
    await expect(page.get_by_label("Messaging Service SID")).to_have_value(SERVICE_SID)

    # The inbox settings: consent first (which needs a message), no deleting, no drips.
    await expect(page.get_by_label("Allow deleting conversations")).to_be_checked()
    await page.get_by_label("Require consent before the first text").check()
    await page.get_by_role("button", name="Save").click()
    await expect(page.get_by_role("alert")).to_contain_text("no consent message")
    await page.get_by_label("Consent message").fill(CONSENT)
    await page.get_by_label("Allow deleting conversations").uncheck()
    await page.get_by_label("Allow drips").uncheck()
    await page.get_by_role("button", name="Save").click()
    await expect(page.get_by_text("Settings saved.")).to_be_visible()
    await page.reload()
    await expect(page.get_by_label("Consent message")).to_have_value(CONSENT)
    await expect(page.get_by_label("Require consent before the first text")).to_be_checked()
    await expect(page.get_by_label("Allow deleting conversations")).not_to_be_checked()
    await expect(page.get_by_label("Allow drips")).not_to_be_checked()
    await page.screenshot(path=screenshots / "organization.png", full_page=True)
    organization = await asyncio.to_thread(_organization, live_server.url, world.owner_token)
    assert organization["provider"] == {
        "kind": "twilio",
        "account_sid": ACCOUNT_SID,
        "messaging_service_sid": SERVICE_SID,
    }
    assert (organization["opt_out_message"], organization["plain_punctuation"]) == (GOODBYE, True)
    assert organization["send_rate_per_second"] == 4
    assert (organization["consent_message"], organization["consent_required"]) == (CONSENT, True)
    assert (organization["allow_delete"], organization["allow_drips"]) == (False, False)

    # The campaign form: texting hours in a time zone, and practice mode.
    await page.goto(f"{live_server.url}/campaigns/{world.campaign_id}/setup")
    # Filled before the campaign is read, a field would get the campaign's value back.
    await expect(page.locator("body[data-loaded=true]")).to_have_count(1)
    await page.get_by_label("Texting hours start").fill("09:30")
    await page.get_by_label("Texting hours end").fill("20:00")
    await page.get_by_label("Time zone").fill("America/Chicago")
    await page.get_by_label("Practice campaign").check()
    await page.get_by_role("button", name="Save").click()
    await expect(page.get_by_text("Campaign saved.")).to_be_visible()
    await page.reload()
    await expect(page.get_by_label("Texting hours start")).to_have_value("09:30")
    await expect(page.get_by_label("Texting hours end")).to_have_value("20:00")
    await expect(page.get_by_label("Time zone")).to_have_value("America/Chicago")
    await expect(page.get_by_label("Practice campaign")).to_be_checked()
    # Half-filled hours are refused in the page; emptied, the campaign texts at any hour.
    await page.get_by_label("Texting hours end").fill("")
    await page.get_by_role("button", name="Save").click()
    await expect(page.get_by_role("alert")).to_contain_text("needs both a start and an end")
    await page.get_by_label("Texting hours start").fill("")
    await page.get_by_label("Practice campaign").uncheck()
    await page.get_by_role("button", name="Save").click()
    await expect(page.get_by_text("Campaign saved.")).to_be_visible()
    await page.reload()
    await expect(page.get_by_label("Texting hours start")).to_have_value("")
    await expect(page.get_by_label("Practice campaign")).not_to_be_checked()
    await page.goto(f"{live_server.url}/users")

    # Recommended replies of the organization: create, edit, delete.
    await page.get_by_role("link", name="Recommended replies").click()
    await page.get_by_label("Title").fill("Thanks")
    await page.get_by_label("Reply text").fill("Thank you for your time!")
    await page.get_by_role("button", name="Add reply").click()
    await expect(page.locator(".reply")).to_have_count(1)
    await page.get_by_role("button", name="Edit Thanks").click()
    edit = page.get_by_role("form", name="Edit Thanks")
    await edit.get_by_label("Reply text").fill("Thanks so much!")
    await edit.get_by_role("button", name="Save").click()
    await expect(page.get_by_role("button", name="Edit Thanks")).to_be_focused()
    await page.reload()
    await expect(page.locator(".reply .reply-body")).to_have_text(["Thanks so much!"])
    await page.screenshot(path=screenshots / "replies.png", full_page=True)
    await page.get_by_role("button", name="Delete Thanks").click()
    await page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    await expect(page.get_by_text("No recommended replies yet.")).to_be_visible()
    await page.reload()
    await expect(page.get_by_text("No recommended replies yet.")).to_be_visible()

    # Opt-outs: one by hand (with a bad number first), a file, a search, one back in, the download.
    await page.get_by_role("link", name="Opt-outs").click()
    await expect(page.locator("#optout-total")).to_have_text("0 numbers opted out.")
    await page.get_by_label("Phone number").fill("12")
    await page.get_by_role("button", name="Opt out").click()
    await expect(page.locator("#phone-error")).to_contain_text("is not a valid phone number")
    await page.get_by_label("Phone number").fill(world.contacts[0]["phone"])
    await page.get_by_role("button", name="Opt out").click()
    await expect(page.locator("#optout-total")).to_have_text("1 number opted out.")
    csv = tmp_path / "stop.csv"
    csv.write_text("phone\n+12125550100\n(212) 555-0101\nnope\n")
    await page.get_by_label("Opt-out file").set_input_files(csv)
    await page.get_by_role("button", name="Upload").click()
    await expect(page.locator("#optout-upload-result")).to_have_text(
        "2 numbers opted out, 0 already on the list, 1 invalid."
    )
    await page.get_by_label("Search a number").fill("0101")
    await expect(page.locator("#optouts-body tr")).to_have_count(1)
    await page.get_by_role("button", name="Opt +12125550101 back in").click()
    await page.get_by_role("dialog").get_by_role("button", name="Opt in").click()
    await expect(page.locator("#optout-total")).to_have_text("0 numbers match.")
    await page.reload()
    await expect(page.locator("#optout-total")).to_have_text("2 numbers opted out.")
    async with page.expect_download() as download_info:
        await page.get_by_role("button", name="Download the list").click()
    saved = tmp_path / "list.csv"
    await (await download_info.value).save_as(saved)
    assert sorted(line.split(",")[0] for line in saved.read_text().splitlines()[1:]) == sorted(
        [world.contacts[0]["phone"], "+12125550100"]
    )
    await page.set_viewport_size(PHONE)
    await page.screenshot(path=screenshots / "opt-outs-phone.png", full_page=True)
    await page.context.close()
