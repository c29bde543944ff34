"""Issue 14's "Broken" list: the sweeping pages never lose a sender's work, nor mislead."""

from __future__ import annotations

import asyncio
from typing import Any

from playwright.async_api import expect

from tests.support.processes import ServerProcess
from tests.support.worlds.accounts import PASSWORD
from tests.support.worlds.web import World, build_world, signed_inbound

from .browsing import BROWSER, PHONE, eventually, open_as

pytestmark = BROWSER

SAM, RITA, ZOE = "sam@example.org", "rita@example.org", "zoe@example.org"
OWNER = "owner@example.org"
SOON = 5000
# Inside the window, and the point at its centre is the element itself: nothing covers or clips it.
ON_TOP = """el => {
  const r = el.getBoundingClientRect();
  const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
  return r.bottom <= innerHeight && r.right <= innerWidth && (hit === el || el.contains(hit));
}"""


def answer_of(world: World, conversation_id: int) -> str | None:
    survey = world.api("GET", f"/api/conversations/{conversation_id}")["survey"]
    answer: str | None = survey[0]["answer"]
    return answer


async def open_id(page: Any) -> int:
    return int(await page.locator(".conv").get_attribute("data-conversation"))


async def test_survey_answers_are_saved_when_chosen_in_both_messengers(
    live_server: ServerProcess, database_url: str, browser: Any
) -> None:
    world = await asyncio.to_thread(
        build_world, live_server.url, database_url, senders={SAM: "Sam Sender"}, contacts=3, assign={SAM: 3}
    )
    cid = world.campaign_id
    sam = await open_as(browser, live_server.url, SAM, PASSWORD, f"/send/{cid}")
    await expect(sam.get_by_role("button", name="Send initial message")).to_be_focused()
    first = await open_id(sam)
    # Sam chooses an answer and sends at once: there is no Save button to forget.
    await sam.get_by_label("Will you vote?").select_option("Yes")
    await expect(sam.get_by_role("button", name="Save answers")).to_have_count(0)
    await sam.get_by_role("button", name="Send initial message").click()
    await expect(sam.locator(".conv-list")).to_have_attribute("data-count", "2")
    await expect(sam.locator(".conv")).not_to_have_attribute("data-conversation", str(first))
    await eventually(lambda: answer_of(world, first) == "Yes")
    await sam.context.close()

    # The owner, sweeping: choose, then straight on to another conversation and back.
    admin = await open_as(
        browser,
        live_server.url,
        OWNER,
        PASSWORD,
        f"/campaigns/{cid}/messenger/{world.senders[SAM]}?tab=initial",
    )
    rows = admin.locator(".conv-row")
    await expect(rows).to_have_count(2)
    await rows.nth(0).click()
    second = await open_id(admin)
    await admin.get_by_label("Will you vote?").select_option("Maybe")
    await rows.nth(1).click()
    await expect(admin.locator(".conv")).not_to_have_attribute("data-conversation", str(second))
    await rows.nth(0).click()
    await expect(admin.get_by_label("Will you vote?")).to_have_value("Maybe")
    assert await asyncio.to_thread(answer_of, world, second) == "Maybe"
    # Clearing an answer is a choice too.
    await admin.get_by_label("Will you vote?").select_option("")
    await expect(admin.get_by_text("Answers saved.")).to_be_visible()
    assert await asyncio.to_thread(answer_of, world, second) is None
    await admin.context.close()


async def test_a_row_menu_is_never_cut_off_by_the_table(
    live_server: ServerProcess, database_url: str, browser: Any
) -> None:
    world = await asyncio.to_thread(
        build_world,
        live_server.url,
        database_url,
        senders={SAM: "Sam Sender", RITA: "Rita Runner", ZOE: "Zoe Zed"},
        contacts=3,
    )
    for viewport in ({"width": 1280, "height": 800}, PHONE):
        page = await open_as(
            browser, live_server.url, OWNER, PASSWORD, f"/campaigns/{world.campaign_id}", viewport=viewport
        )
        await expect(page.locator("#senders-body tr[data-sender]")).to_have_count(4)
        for name in ("Sam Sender", "Zoe Zed"):  # the third row, and the last
            before = await page.evaluate("window.scrollY")
            await page.get_by_role("button", name=f"Reassign menu for {name}").click()
            for item in ("Unassign All", "Reassign Some", "Reassign All"):
                menuitem = page.get_by_role("menuitem", name=item)
                await expect(menuitem).to_be_visible()
                # Nothing covers or clips it: the point at its centre is the item itself.
                on_top = await menuitem.evaluate(ON_TOP)
                assert on_top, (viewport, name, item)
            # Opening it scrolled nothing away.
            assert await page.evaluate("window.scrollY") == before
            await page.keyboard.press("Escape")
            await expect(page.get_by_role("menu")).to_have_count(0)
        await page.context.close()


async def test_the_initial_message_a_sweeper_sends_is_the_one_previewed(
    live_server: ServerProcess, database_url: str, browser: Any
) -> None:
    world = await asyncio.to_thread(
        build_world, live_server.url, database_url, senders={SAM: "Sam Sender"}, contacts=1, assign={SAM: 1}
    )
    page = await open_as(
        browser,
        live_server.url,
        OWNER,
        PASSWORD,
        f"/campaigns/{world.campaign_id}/messenger/{world.senders[SAM]}?tab=initial",
    )
    await page.locator(".conv-row").first.click()
    preview = page.get_by_label("Initial message", exact=True)
    await expect(preview).to_have_text("Hi Ada, it's Sam. Can we count on your vote?")
    await page.get_by_role("button", name="Send initial message").click()
    # The contact has been talking to Sam: the text says Sam, as the preview did.
    await expect(page.locator(".bubble-outbound .body")).to_have_text(
        "Hi Ada, it's Sam. Can we count on your vote?"
    )
    # And the thread says who pressed Send.
    await expect(page.locator(".bubble-outbound .author")).to_have_text(" · Sent by Olive Owner (sweeper)")
    await page.context.close()


async def test_a_reassignment_names_the_contact_and_keeps_the_senders_draft(
    live_server: ServerProcess, database_url: str, browser: Any
) -> None:
    world = await asyncio.to_thread(
        build_world,
        live_server.url,
        database_url,
        senders={SAM: "Sam Sender", RITA: "Rita Runner"},
        contacts=1,
        assign={SAM: 1},
    )
    cid, sam_id, rita_id = world.campaign_id, world.senders[SAM], world.senders[RITA]
    conv = world.api("GET", f"/api/campaigns/{cid}/conversations?sender={sam_id}")["conversations"][0]["id"]
    world.api("POST", f"/api/conversations/{conv}/messages", token=world.tokens[SAM], json={})
    response = await asyncio.to_thread(
        signed_inbound, live_server.url, "+14155551000", "Where do I vote?", "SM-d1"
    )
    assert response.status_code == 200

    page = await open_as(browser, live_server.url, SAM, PASSWORD, f"/send/{cid}?tab=responses")
    await page.locator(".conv-row").first.click()
    draft = "Your polling place is the library on Main St"
    await page.get_by_label("Reply", exact=True).fill(draft)

    world.api("POST", f"/api/conversations/{conv}/reassign", json={"to": rita_id})
    note = page.locator(".notice", has_text="Ada Contact0 was moved away from you.")
    await expect(note).to_be_visible(timeout=SOON)
    await expect(note.get_by_role("textbox", name="Your unsent reply to Ada Contact0")).to_have_value(draft)
    await expect(note.get_by_role("button", name="Copy draft")).to_be_visible()
    await page.wait_for_timeout(6500)  # a notice with a kept draft does not fade away by itself
    await expect(note).to_be_visible()

    # Handed back: the reply is still in the box.
    world.api("POST", f"/api/conversations/{conv}/reassign", json={"to": sam_id})
    await expect(page.locator(".conv-row")).to_have_count(1, timeout=SOON)
    await page.locator(".conv-row").first.click()
    await expect(page.get_by_label("Reply", exact=True)).to_have_value(draft)
    await page.context.close()


async def test_opting_out_asks_first_and_says_it_applies_to_the_whole_organization(
    live_server: ServerProcess, database_url: str, browser: Any
) -> None:
    world = await asyncio.to_thread(
        build_world, live_server.url, database_url, senders={SAM: "Sam Sender"}, contacts=1, assign={SAM: 1}
    )
    conv = world.api("GET", f"/api/campaigns/{world.campaign_id}/conversations")["conversations"][0]["id"]
    page = await open_as(
        browser,
        live_server.url,
        OWNER,
        PASSWORD,
        f"/campaigns/{world.campaign_id}/messenger/{world.senders[SAM]}?tab=initial",
    )
    await page.locator(".conv-row").first.click()
    opt_out = page.get_by_role("region", name="Conversation", exact=True).get_by_role(
        "button", name="Opt Out"
    )
    await opt_out.click()
    dialog = page.get_by_role("dialog", name="Opt out Ada Contact0?")
    await expect(dialog).to_contain_text("whole organization")
    await expect(
        dialog.get_by_role("button", name="Cancel")
    ).to_be_focused()  # Enter never confirms by accident
    await page.keyboard.press("Escape")
    await expect(dialog).to_have_count(0)
    await expect(opt_out).to_be_focused()
    assert world.api("GET", f"/api/conversations/{conv}")["opted_out"] is False

    await opt_out.click()
    await dialog.get_by_role("button", name="Opt Out").click()
    await expect(page.get_by_role("button", name="Opt In")).to_be_visible()
    assert world.api("GET", f"/api/conversations/{conv}")["opted_out"] is True
    await page.context.close()
