"""Issue 14's "Missing or rough" list: counts, addresses, stable layouts, the keyboard, pictures."""

from __future__ import annotations

import asyncio
import base64
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from playwright.async_api import expect

from tests.support.processes import ServerProcess
from tests.support.worlds.accounts import PASSWORD
from tests.support.worlds.web import ORG_NUMBER, WEBHOOK_TOKEN, build_world, signed_inbound
from tests.support.worlds.web import _signature as signature

from .browsing import BROWSER, PHONE, open_as

pytestmark = BROWSER

SAM, RITA = "sam@example.org", "rita@example.org"
OWNER = "owner@example.org"
SOON = 5000
# A 1x1 PNG, as a provider's media host would serve a contact's picture.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


@pytest.fixture
def media_host() -> Iterator[str]:
    """A local stand-in for the provider's media host, over real HTTP on loopback."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(PNG)))
            self.end_headers()
            self.wfile.write(PNG)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


async def test_tabs_count_and_a_reply_badges_responses_and_a_picture_shows_as_one(
    live_server: ServerProcess, database_url: str, browser: Any, media_host: str
) -> None:
    world = await asyncio.to_thread(
        build_world, live_server.url, database_url, senders={SAM: "Sam Sender"}, contacts=3, assign={SAM: 3}
    )
    page = await open_as(browser, live_server.url, SAM, PASSWORD, f"/send/{world.campaign_id}")
    initial = page.get_by_role("tab", name="Initial Messages")
    await expect(initial.locator(".tab-count")).to_have_text(" 3")
    await page.get_by_role("button", name="Send initial message").click()
    await expect(initial.locator(".tab-count")).to_have_text(" 2", timeout=SOON)
    # A reply with a picture arrives while Sam is on Initial Messages.
    url = f"{live_server.url}/api/sms/inbound"
    params = {
        "From": "+14155551000",
        "To": ORG_NUMBER,
        "Body": "Here is my ballot",
        "MessageSid": "SM-pic",
        "NumMedia": "1",
        "MediaUrl0": f"{media_host}/ballot.png",
        "MediaContentType0": "image/png",
    }
    headers = {"X-Twilio-Signature": signature(WEBHOOK_TOKEN, url, params)}
    assert (await asyncio.to_thread(httpx.post, url, data=params, headers=headers)).status_code == 200
    responses = page.get_by_role("tab", name="Responses")
    await expect(responses.locator(".tab-badge")).to_be_visible(timeout=SOON)
    await expect(responses.locator(".tab-count")).to_have_text(" 1")
    await responses.click()
    await expect(responses.locator(".tab-badge")).to_be_hidden()
    await expect(page.locator(".conv-row")).to_have_count(1)
    await page.locator(".conv-row").first.click()
    await expect(page.locator(".conv h2")).to_have_text("Ada Contact0")
    picture = page.get_by_role("img", name="Picture sent by the contact")
    await expect(picture).to_be_visible()
    assert await picture.evaluate("img => img.complete && img.naturalWidth") == 1
    await page.context.close()


async def test_empty_searches_and_unknown_addresses_say_so(
    live_server: ServerProcess, database_url: str, browser: Any
) -> None:
    world = await asyncio.to_thread(
        build_world, live_server.url, database_url, senders={SAM: "Sam Sender"}, contacts=2, assign={SAM: 2}
    )
    page = await open_as(browser, live_server.url, OWNER, PASSWORD, f"/campaigns/{world.campaign_id}")
    await page.get_by_label("Search senders by name").fill("nobody")
    await expect(page.get_by_text("No senders match “nobody”.")).to_be_visible()
    await page.goto(f"/campaigns/{world.campaign_id}/messenger/{world.senders[SAM]}?tab=initial")
    await page.get_by_label("Search contacts by name").fill("zzz")
    await expect(page.get_by_text("No contacts match “zzz”.", exact=False)).to_be_visible()
    await page.goto("/campaigns/999999")
    await expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    response = await page.goto("/no/such/page")
    assert response is not None and response.status == 404
    await expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    await page.context.close()


async def test_the_address_keeps_the_place_and_the_draft_and_back_goes_one_step(
    live_server: ServerProcess, database_url: str, browser: Any
) -> None:
    world = await asyncio.to_thread(
        build_world, live_server.url, database_url, senders={SAM: "Sam Sender"}, contacts=3, assign={SAM: 3}
    )
    cid = world.campaign_id
    page = await open_as(browser, live_server.url, SAM, PASSWORD, f"/send/{cid}")
    send = page.get_by_role("button", name="Send initial message")
    await expect(send).to_be_focused()  # a fresh start of the queue: ready to send
    await send.click()
    assert (
        await asyncio.to_thread(signed_inbound, live_server.url, "+14155551000", "Maybe", "SM-a")
    ).status_code == 200
    await page.get_by_role("tab", name="Responses").click()
    # The reply reaches the list live: wait for Ada's row, not the first row of whatever shows.
    ada = page.locator(".conv-row", has_text="Ada Contact0")
    await expect(ada).to_be_visible()
    await ada.click()
    await page.get_by_label("Reply", exact=True).fill("Thanks Ada, see you there")
    assert "tab=responses" in page.url and "conversation=" in page.url

    await page.reload()
    await expect(page.get_by_label("Reply", exact=True)).to_have_value("Thanks Ada, see you there")
    await expect(page.get_by_role("tab", name="Responses")).to_have_attribute("aria-selected", "true")
    # After a reload nothing that sends has the focus: an Enter sends nothing.
    await page.get_by_role("tab", name="Initial Messages").click()
    await expect(page.get_by_role("heading", level=2)).to_be_visible()
    await page.reload()
    await expect(page.get_by_role("button", name="Send initial message")).to_be_visible()
    await expect(page.get_by_role("button", name="Send initial message")).not_to_be_focused()
    await page.keyboard.press("Enter")
    await page.wait_for_timeout(500)
    sent = world.api("GET", f"/api/campaigns/{cid}/me", token=world.tokens[SAM])["sent"]
    assert sent == 1
    # Back goes back one step: to Responses, where Ada's conversation was open.
    await page.go_back()
    await expect(page.get_by_role("tab", name="Responses")).to_have_attribute("aria-selected", "true")
    await expect(page).to_have_url(re.compile(rf"/send/{cid}\?tab=responses&conversation=\d+$"))
    await expect(page.get_by_role("heading", name="Ada Contact0")).to_be_visible()
    await page.context.close()


async def test_layouts_stay_put(live_server: ServerProcess, database_url: str, browser: Any) -> None:
    world = await asyncio.to_thread(
        build_world,
        live_server.url,
        database_url,
        senders={SAM: "Sam Sender", RITA: "Rita Runner-Longname"},
        contacts=4,
        assign={SAM: 3, RITA: 1},
    )
    cid = world.campaign_id
    page = await open_as(browser, live_server.url, OWNER, PASSWORD, f"/campaigns/{cid}")
    await expect(page.locator("#senders-body tr[data-sender]")).to_have_count(3)
    widths = "() => [...document.querySelectorAll('#senders thead th')].map(th => th.offsetWidth)"
    before = await page.evaluate(widths)
    await page.get_by_role("button", name="Progress").click()
    assert await page.evaluate(widths) == before
    await page.get_by_label("Search senders by name").fill("sam")
    assert await page.evaluate(widths) == before

    await page.set_viewport_size({"width": 1400, "height": 900})
    await page.goto(f"/campaigns/{cid}/messenger/{world.senders[SAM]}?tab=initial")
    await expect(page.get_by_text("Choose a conversation from the list")).to_be_visible()
    tabs = page.get_by_role("tablist", name="Conversation tabs")
    assert await tabs.evaluate("t => t.scrollWidth <= t.clientWidth")
    tops = await tabs.evaluate("t => [...t.children].filter(c => !c.hidden).map(c => c.offsetTop)")
    assert len(set(tops)) == 1, tops
    heights = []
    for i in range(2):
        row = page.locator(".conv-row").nth(i)
        await row.click()
        await expect(page.locator(".conv h2")).to_have_text(await row.locator(".conv-name").inner_text())
        heights.append(await page.locator(".conv-head").evaluate("el => el.getBoundingClientRect().height"))
    world.api(
        "POST", f"/api/conversations/{await page.locator('.conv').get_attribute('data-conversation')}/opt-out"
    )
    await expect(page.get_by_role("button", name="Opt In")).to_be_visible(timeout=SOON)
    heights.append(await page.locator(".conv-head").evaluate("el => el.getBoundingClientRect().height"))
    assert len(set(heights)) == 1, heights

    await page.set_viewport_size(PHONE)
    crumbs = page.get_by_role("navigation", name="Breadcrumb")
    assert await crumbs.evaluate("n => n.scrollWidth <= n.clientWidth")
    await page.context.close()


async def test_the_keyboard_reaches_everything_and_dialogs_hold_the_focus(
    live_server: ServerProcess, database_url: str, browser: Any
) -> None:
    world = await asyncio.to_thread(
        build_world, live_server.url, database_url, senders={SAM: "Sam Sender"}, contacts=3, assign={SAM: 3}
    )
    cid = world.campaign_id
    page = await open_as(browser, live_server.url, OWNER, PASSWORD, f"/campaigns/{cid}")
    await expect(page.locator("#senders-body tr[data-sender]")).to_have_count(2)
    await page.keyboard.press("Tab")
    await expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    ring = await page.get_by_role("link", name="Skip to content").evaluate(
        "el => [getComputedStyle(el).outlineStyle, parseFloat(getComputedStyle(el).outlineWidth)]"
    )
    assert ring[0] != "none" and ring[1] >= 2, ring

    menu = page.get_by_role("button", name="Reassign menu for Sam Sender")
    await menu.focus()
    await page.keyboard.press("Enter")
    await page.keyboard.press("ArrowDown")
    await page.keyboard.press("Enter")  # Reassign Some
    dialog = page.get_by_role("dialog")
    await expect(dialog).to_be_visible()
    for _ in range(20):  # Tab round and round: the focus never leaves the dialog
        await page.keyboard.press("Tab")
        assert await dialog.evaluate("d => d.contains(document.activeElement)")
    await page.keyboard.press("Escape")
    await expect(dialog).to_have_count(0)
    await expect(menu).to_be_focused()

    # The conversation list is one stop of Tab; the arrow keys move in it.
    await page.goto(f"/campaigns/{cid}/messenger/{world.senders[SAM]}?tab=initial")
    rows = page.locator(".conv-row")
    await expect(rows).to_have_count(3)
    await page.get_by_label("Search contacts by name").focus()
    stops = await page.evaluate(
        "() => [...document.querySelectorAll('.conv-row')].filter(b => b.tabIndex === 0).length"
    )
    assert stops == 1
    await rows.first.focus()
    await page.keyboard.press("ArrowDown")
    await expect(rows.nth(1)).to_be_focused()
    await page.keyboard.press("End")
    await expect(rows.nth(2)).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(page.locator(".conv h2")).to_have_text(await rows.nth(2).locator(".conv-name").inner_text())
    await page.context.close()


async def test_the_admin_messenger_loads_once_and_logged_out_pages_go_quietly_to_the_login(
    live_server: ServerProcess, database_url: str, browser: Any
) -> None:
    world = await asyncio.to_thread(
        build_world, live_server.url, database_url, senders={SAM: "Sam Sender"}, contacts=2, assign={SAM: 2}
    )
    loads: list[str] = []
    context = await browser.new_context(base_url=live_server.url)
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    for path in ("/", "/campaigns"):
        await page.goto(path)
        await page.wait_for_url("**/login?next=*")
    assert errors == []
    await context.close()

    page = await open_as(browser, live_server.url, OWNER, PASSWORD, "/campaigns")
    page.on(
        "request",
        lambda r: loads.append(r.url) if "/overview" in r.url or "/conversations?" in r.url else None,
    )
    await page.goto(f"/campaigns/{world.campaign_id}/messenger/{world.senders[SAM]}")
    await expect(page.locator("body")).to_have_attribute("data-loaded", "true")
    await page.wait_for_timeout(2000)  # past the slow-connection fallback
    assert sum("/overview" in u for u in loads) == 1, loads
    assert sum("/conversations?" in u for u in loads) == 1, loads
    await page.context.close()
