"""An admin sweeps a campaign while a sender works it: both pages live, in real browsers."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from playwright.async_api import expect

from tests.support.processes import ServerProcess
from tests.support.worlds.accounts import PASSWORD
from tests.support.worlds.web import build_world, signed_inbound

from .browsing import BROWSER, PHONE, open_as

pytestmark = BROWSER

SAM, RITA = "sam@example.org", "rita@example.org"
# A contact's reply shows on both pages "within a second" of the webhook's answer.
LIVE = 1000
# Other live changes: promptly, with room for a busy test machine.
SOON = 3000


def sender_row(page: Any, user_id: int | str) -> Any:
    return page.locator(f'#senders-body tr[data-sender="{user_id}"]')


async def test_admin_and_sender_see_each_other_live(
    live_server: ServerProcess, database_url: str, browser: Any, screenshots: Path
) -> None:
    world = await asyncio.to_thread(
        build_world,
        live_server.url,
        database_url,
        senders={SAM: "Sam Sender", RITA: "Rita Runner"},
        contacts=6,
        assign={SAM: 3},
    )
    cid, sam, rita = world.campaign_id, world.senders[SAM], world.senders[RITA]

    admin = await open_as(browser, live_server.url, "owner@example.org", PASSWORD, f"/campaigns/{cid}")
    await expect(admin.locator("#count-total")).to_have_text("6")
    await expect(admin.locator("#count-not_started")).to_have_text("6")
    await expect(sender_row(admin, sam).locator(".col-progress")).to_contain_text("0/3")
    await expect(admin.locator("#senders-body tr").first).to_have_attribute("data-sender", "unassigned")
    await expect(sender_row(admin, sam).get_by_role("img", name="Offline")).to_be_visible()

    # Sam opens his Messenger: the admin sees his dot turn green.
    sender = await open_as(browser, live_server.url, SAM, PASSWORD, f"/send/{cid}")
    await expect(sender_row(admin, sam).get_by_role("img", name="Online")).to_be_visible(timeout=3000)
    await expect(sender_row(admin, rita).get_by_role("img", name="Offline")).to_be_visible()

    # One deliberate key press sends exactly one initial message.
    send = sender.get_by_role("button", name="Send initial message")
    await expect(send).to_be_focused()
    # His own counters are there at once, before any sender_stats event.
    await expect(sender.locator("#my-stats")).to_have_text(
        "0/3 initial messages sent · 0 conversations need a reply"
    )
    await sender.screenshot(path=screenshots / "messenger-initial.png")
    first_contact = await sender.locator(".conv h2").inner_text()
    await sender.keyboard.press("Enter")
    await expect(sender.locator(".conv-list")).to_have_attribute("data-count", "2")
    await expect(sender_row(admin, sam).locator(".col-progress")).to_contain_text("1/3", timeout=SOON)
    await expect(admin.locator("#count-not_started")).to_have_text("5", timeout=SOON)

    # The contact answers through the signed webhook: both pages change within a second.
    await sender.get_by_role("tab", name="Responses").click()
    await expect(sender.locator(".conv-list")).to_have_attribute("data-count", "0")
    phone = next(c["phone"] for c in world.contacts if first_contact.startswith(c["first_name"]))
    response = await asyncio.to_thread(signed_inbound, live_server.url, phone, "Yes, count me in!", "SM-1")
    assert response.status_code == 200, response.text
    await expect(admin.locator("#count-needs_reply")).to_have_text("1", timeout=LIVE)
    await expect(sender_row(admin, sam).locator(".col-needs")).to_have_text("1", timeout=LIVE)
    await expect(sender.locator(".conv-list").get_by_role("img", name="Needs reply")).to_have_count(
        1, timeout=LIVE
    )
    await sender.locator(".conv-row").first.click()
    await expect(sender.locator(".bubble-inbound .body")).to_have_text("Yes, count me in!")
    await expect(sender.locator(".bubble-outbound .body")).to_contain_text("Can we count on your vote?")
    await sender.screenshot(path=screenshots / "messenger-thread.png")
    await admin.screenshot(path=screenshots / "overview.png")

    # Bulk reassign: every conversation of Sam's goes to Rita; rows move on both pages.
    await sender_row(admin, sam).get_by_role("button", name="Reassign menu for Sam Sender").click()
    await admin.get_by_role("menuitem", name="Reassign All").click()
    dialog = admin.get_by_role("dialog")
    await dialog.get_by_label("Rita Runner").check()
    await admin.screenshot(path=screenshots / "bulk-reassign.png")
    await dialog.get_by_role("button", name="Reassign").click()
    await expect(dialog).to_be_hidden()
    await expect(sender_row(admin, sam).locator(".col-progress")).to_contain_text("0/0", timeout=SOON)
    await expect(sender_row(admin, rita).locator(".col-progress")).to_contain_text("1/3", timeout=SOON)
    await expect(sender_row(admin, rita).locator(".col-needs")).to_have_text("1", timeout=SOON)
    await expect(sender.locator(".conv-list")).to_have_attribute("data-count", "0", timeout=SOON)
    await expect(sender.get_by_text("moved away from you.")).to_be_visible(timeout=SOON)

    # The admin follows the conversation into Rita's Messenger.
    await sender_row(admin, rita).get_by_role("link", name="Rita").click()  # the first name
    await admin.wait_for_url(f"**/campaigns/{cid}/messenger/{rita}")
    await expect(admin.locator("#viewing-as")).to_have_attribute("data-sender", str(rita))
    await admin.locator(".conv-row").first.click()
    await expect(admin.locator(".bubble-inbound .body")).to_have_text("Yes, count me in!")
    await admin.get_by_label("Will you vote?").select_option("Yes")  # saved on choice
    await expect(admin.get_by_text("Answers saved.")).to_be_visible()
    await admin.screenshot(path=screenshots / "admin-messenger.png")
    search = admin.get_by_label("Search contacts by name")
    await search.fill("nobody by that name")
    await expect(admin.locator(".conv-list")).to_have_attribute("data-count", "0")
    await search.fill("ada")
    await expect(admin.locator(".conv-list")).to_have_attribute("data-count", "1")

    # The admin hands this one conversation back to Sam, who is told at once.
    await admin.get_by_label("Reassign to").select_option(str(sam))
    conversation = admin.get_by_role("region", name="Conversation", exact=True)
    await conversation.get_by_role("button", name="Reassign", exact=True).click()
    await expect(sender.get_by_text("1 conversation reassigned to you.")).to_be_visible(timeout=SOON)
    await expect(sender.locator(".conv-list").get_by_role("img", name="Needs reply")).to_have_count(
        1, timeout=SOON
    )
    await expect(admin.locator(".conv-list")).to_have_attribute("data-count", "0", timeout=SOON)
    # A recommended reply goes into the message box; opting out and back in.
    await admin.get_by_role("tab", name="Replies").click()
    await admin.get_by_role("button", name="Polling place").click()
    await expect(admin.get_by_label("Reply", exact=True)).to_have_value(
        "Find your polling place at vote.example.org"
    )
    await admin.get_by_role("button", name="Opt Out").click()
    await admin.get_by_role("dialog").get_by_role("button", name="Opt Out").click()
    await expect(admin.get_by_role("button", name="Opt In")).to_be_visible()
    await expect(admin.get_by_text("This contact opted out: no messages can be sent.")).to_be_visible()
    await admin.get_by_role("button", name="Opt In").click()
    await expect(admin.get_by_role("button", name="Opt Out")).to_be_visible()

    await admin.get_by_role("button", name="Next Sender").click()
    await expect(admin.locator("#viewing-as")).to_have_attribute("data-sender", str(sam))
    await admin.context.close()
    await sender.context.close()


async def test_a_sender_on_a_phone_texts_and_follows_up(
    live_server: ServerProcess, database_url: str, browser: Any, screenshots: Path
) -> None:
    world = await asyncio.to_thread(
        build_world,
        live_server.url,
        database_url,
        senders={SAM: "Sam Sender"},
        contacts=2,
        assign={SAM: 2},
        follow_up="Just checking in, %ContactFirstName%: polls close at 8pm.",
    )
    page = await open_as(
        browser, live_server.url, SAM, PASSWORD, f"/send/{world.campaign_id}", viewport=PHONE
    )
    send = page.get_by_role("button", name="Send initial message")
    await expect(send).to_be_focused()
    await page.screenshot(path=screenshots / "messenger-phone.png")
    await send.click()
    await expect(page.locator(".conv-list")).to_have_attribute("data-count", "1")
    await expect(page.locator("#my-stats")).to_contain_text("1/2", timeout=SOON)

    await page.get_by_role("button", name="← Conversations").click()
    await page.get_by_role("tab", name="Follow-ups").click()
    follow_up = page.get_by_role("button", name="Send follow-up")
    await expect(follow_up).to_be_focused()
    await expect(page.get_by_label("Follow-up message")).to_contain_text("polls close at 8pm")
    await follow_up.click()
    await expect(page.locator(".conv-list")).to_have_attribute("data-count", "0")
    # Nothing left to follow up: back to the (empty) list.
    await expect(page.locator(".conv")).to_be_hidden()
    await expect(page.get_by_text("No follow-ups to send")).to_be_visible()
    await page.context.close()


async def test_a_sender_on_a_phone_who_goes_back_while_a_text_is_sending_stays_on_the_list(
    live_server: ServerProcess, database_url: str, browser: Any
) -> None:
    world = await asyncio.to_thread(
        build_world, live_server.url, database_url, senders={SAM: "Sam Sender"}, contacts=2, assign={SAM: 2}
    )
    page = await open_as(
        browser, live_server.url, SAM, PASSWORD, f"/send/{world.campaign_id}", viewport=PHONE
    )
    # A slow network: the send's answer comes only after Sam has gone back to the list.
    answered = asyncio.Event()

    async def slow(route: Any) -> None:
        response = await route.fetch()
        await answered.wait()
        await route.fulfill(response=response)

    await page.route("**/api/conversations/*/messages", slow)
    await page.get_by_role("button", name="Send initial message").click()
    await expect(page.locator("#my-stats")).to_contain_text("1/2", timeout=SOON)  # sent, seen live
    await page.get_by_role("button", name="← Conversations").click()
    async with page.expect_response(lambda r: r.request.method == "GET" and "/api/conversations/" in r.url):
        answered.set()  # the page reads the sent conversation again, then moves its queue on
    await page.evaluate("() => new Promise((done) => setTimeout(done, 300))")

    # The queue did not pull Sam back into the next contact's thread.
    await expect(page.get_by_role("tab", name="Follow-ups")).to_be_visible()
    await expect(page.locator(".conv-list")).to_have_attribute("data-count", "1")
    await page.context.close()
