"""Issue 14's "Different from the seeds": the sweeping pages as the ThruText documents describe them."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from playwright.async_api import expect

from tests.support.processes import ServerProcess
from tests.support.worlds.accounts import PASSWORD
from tests.support.worlds.web import World, build_world, signed_inbound

from .browsing import BROWSER, open_as
from .test_sweeping import table_order

pytestmark = BROWSER

SAM, RITA, ZOE = "sam@example.org", "rita@example.org", "zoe@example.org"
OWNER = "owner@example.org"
SOON = 5000


def team(base_url: str, database_url: str) -> World:
    """Sam holds 3 (one texted), Rita 2 (both texted, one waiting for her reply), Zoe nothing."""
    world = build_world(
        base_url,
        database_url,
        senders={SAM: "Sam Sender", RITA: "Rita Runner", ZOE: "Zoe Zed"},
        contacts=6,
        assign={SAM: 3, RITA: 2},
    )
    texted: list[int] = []
    for email, texts in ((SAM, 1), (RITA, 2)):
        rows = world.api(
            "GET", f"/api/campaigns/{world.campaign_id}/conversations?sender={world.senders[email]}"
        )
        for row in rows["conversations"][:texts]:
            world.api("POST", f"/api/conversations/{row['id']}/messages", token=world.tokens[email], json={})
            texted.append(row["id"])
    phone = world.api("GET", f"/api/conversations/{texted[-1]}")["contact"]["phone"]
    assert signed_inbound(base_url, phone, "Yes!", "SM-seed").status_code == 200
    return world


async def test_the_senders_table_sorts_and_columns_follow_seeds_001_and_002(
    live_server: ServerProcess, database_url: str, browser: Any
) -> None:
    world = await asyncio.to_thread(team, live_server.url, database_url)
    page = await open_as(browser, live_server.url, OWNER, PASSWORD, f"/campaigns/{world.campaign_id}")
    await expect(page.locator("#senders-body tr[data-sender]")).to_have_count(4)
    for header in ("Status", "First Name", "Last Name", "Progress", "Needs Reply"):
        await expect(page.get_by_role("columnheader", name=header, exact=True)).to_be_visible()
    assert await table_order(page) == ["Unassigned", "Rita Runner", "Sam Sender", "Zoe Zed"]

    # Each first click sorts from the top: the most assigned, the most waiting, first names Z to A.
    await page.get_by_role("button", name="Progress").click()
    assert await table_order(page) == ["Unassigned", "Sam Sender", "Rita Runner", "Zoe Zed"]
    await page.get_by_role("button", name="Needs Reply").click()
    await expect(
        page.locator(f'#senders-body tr[data-sender="{world.senders[RITA]}"] .col-needs')
    ).to_have_text("1")
    assert await table_order(page) == ["Unassigned", "Rita Runner", "Sam Sender", "Zoe Zed"]
    await page.get_by_role("button", name="First Name").click()
    assert await table_order(page) == ["Unassigned", "Zoe Zed", "Sam Sender", "Rita Runner"]
    await page.get_by_role("button", name="First Name").click()
    assert await table_order(page) == ["Unassigned", "Rita Runner", "Sam Sender", "Zoe Zed"]

    # The Unassigned row's menu has nothing to unassign.
    await page.get_by_role("button", name="Reassign menu for Unassigned").click()
    await expect(page.get_by_role("menuitem")).to_have_text(["Reassign Some", "Reassign All"])
    await page.keyboard.press("Escape")

    # The green dot is a waiting contact; online status looks different (seed 000).
    sam = await open_as(browser, live_server.url, SAM, PASSWORD, f"/send/{world.campaign_id}")
    online = page.locator(f'#senders-body tr[data-sender="{world.senders[SAM]}"]').get_by_role(
        "img", name="Online"
    )
    await expect(online).to_be_visible(timeout=SOON)
    admin = await open_as(
        browser,
        live_server.url,
        OWNER,
        PASSWORD,
        f"/campaigns/{world.campaign_id}/messenger/{world.senders[RITA]}",
    )
    waiting = admin.locator(".conv-list").get_by_role("img", name="Needs reply")
    await expect(waiting).to_have_count(1)
    style = "el => { const s = getComputedStyle(el); return [s.backgroundColor, s.borderTopColor]; }"
    assert await online.evaluate(style) != await waiting.evaluate(style)
    await sam.context.close()
    await admin.context.close()
    await page.context.close()


async def test_the_viewing_as_bar_switches_sorts_and_reassigns_as_seed_001_says(
    live_server: ServerProcess, database_url: str, browser: Any
) -> None:
    world = await asyncio.to_thread(team, live_server.url, database_url)
    cid, sam, rita = world.campaign_id, world.senders[SAM], world.senders[RITA]
    # The order last used on the overview: Progress, the most assigned first.
    overview = await open_as(browser, live_server.url, OWNER, PASSWORD, f"/campaigns/{cid}")
    await overview.get_by_role("button", name="Progress").click()
    await overview.get_by_role("link", name="Sam").click()
    page = overview
    await page.wait_for_url(f"**/campaigns/{cid}/messenger/{sam}")
    bar = page.get_by_role("region", name="Viewing as")
    color = await bar.evaluate("el => getComputedStyle(el).backgroundColor")
    assert color == "rgb(255, 230, 128)", color  # yellow

    await bar.locator("#viewing-as").click()
    switcher = page.get_by_role("dialog", name="Choose a sender")
    await expect(switcher.get_by_label("Search senders by name")).to_be_focused()
    rows = switcher.locator(".switcher-row-name")
    await expect(rows).to_have_text(["Unassigned", "Sam Sender", "Rita Runner", "Zoe Zed"])
    await expect(switcher.get_by_role("img", name="Offline")).to_have_count(3)
    await switcher.get_by_role("button", name="Needs Reply").click()
    await expect(rows).to_have_text(["Unassigned", "Rita Runner", "Sam Sender", "Zoe Zed"])
    await switcher.get_by_label("Search senders by name").fill("zo")
    await expect(rows).to_have_text(["Unassigned", "Zoe Zed"])
    await switcher.get_by_label("Search senders by name").fill("")
    await switcher.get_by_role("button", name="Rita Runner").click()
    await expect(page).to_have_url(re.compile(f"/campaigns/{cid}/messenger/{rita}(\\?|$)"))
    await expect(page.locator("#viewing-as")).to_have_attribute("data-sender", str(rita))
    await expect(page.locator("#viewing-as")).to_be_focused()

    # The bar's Reassign menu acts on the sender viewed.
    await bar.get_by_role("button", name="Reassign").click()
    await expect(bar.get_by_role("menuitem")).to_have_text(["Unassign All", "Reassign Some", "Reassign All"])
    await bar.get_by_role("menuitem", name="Unassign All").click()
    dialog = page.get_by_role("dialog")
    await expect(dialog).to_contain_text("From: Rita Runner")
    await dialog.get_by_role("button", name="Unassign All").click()
    await expect(dialog.get_by_role("alert")).to_contain_text(
        "Move all 2 conversations of Rita Runner back to Unassigned"
    )
    await dialog.get_by_role("button", name="Yes, unassign all").click()
    await expect(page.get_by_text("Moved 2 conversations. 2 to Unassigned.")).to_be_visible()
    await expect(page.locator("#viewing-stats")).to_contain_text("0/0 sent", timeout=SOON)
    await page.context.close()


async def test_the_messenger_shows_what_seed_001_lists(
    live_server: ServerProcess, database_url: str, browser: Any
) -> None:
    world = await asyncio.to_thread(team, live_server.url, database_url)
    cid, rita = world.campaign_id, world.senders[RITA]
    # Every contact is in a second campaign too: the phone lookup finds both conversations.
    other = world.api("POST", "/api/campaigns", json={"title": "Spring Drive", "initial_message": "Hi"})
    world.api("POST", f"/api/campaigns/{other['id']}/contacts", json=world.contacts)
    page = await open_as(browser, live_server.url, OWNER, PASSWORD, f"/campaigns/{cid}/messenger/{rita}")
    # Rita texted everyone she holds: no Initial Messages tab.
    await expect(page.get_by_role("tab", name="Responses")).to_have_attribute("aria-selected", "true")
    await expect(page.get_by_role("tab", name="Initial Messages")).to_be_hidden()
    await page.locator(".conv-row").first.click()
    contact = world.api(
        "GET", f"/api/conversations/{int(await page.locator('.conv').get_attribute('data-conversation'))}"
    )
    phone = page.get_by_role("link", name=contact["contact"]["phone"])
    await expect(phone).to_be_visible()

    await page.get_by_role("tab", name="Info").click()
    info = page.locator(".info")
    await expect(info).to_contain_text("CampaignGet Out The Vote")
    await expect(info).to_contain_text("Created")

    await phone.click()
    await page.wait_for_url("**/lookup/*")
    await expect(page.get_by_role("heading", name="Phone Number Lookup")).to_be_visible()
    await expect(page.get_by_role("row")).to_have_count(3)  # the header and two conversations
    await expect(page.get_by_role("cell", name="Get Out The Vote")).to_be_visible()
    await expect(page.get_by_role("cell", name="Spring Drive")).to_be_visible()
    await page.context.close()


async def test_a_to_z_sorts_by_the_name_as_shown(
    live_server: ServerProcess, database_url: str, browser: Any
) -> None:
    world = await asyncio.to_thread(
        build_world, live_server.url, database_url, senders={SAM: "Sam Sender"}, contacts=13, assign={SAM: 13}
    )
    rows = world.api("GET", f"/api/campaigns/{world.campaign_id}/conversations")["conversations"]
    by_name = {f"{r['contact']['first_name']} {r['contact']['last_name']}": r["id"] for r in rows}
    for name in ("Ben Contact1", "Kai Contact10", "Ada Contact12"):
        world.api("POST", f"/api/conversations/{by_name[name]}/opt-out")
    page = await open_as(
        browser,
        live_server.url,
        OWNER,
        PASSWORD,
        f"/campaigns/{world.campaign_id}/messenger/{world.senders[SAM]}?tab=opt_outs",
    )
    await page.get_by_label("Sort", exact=True).select_option("az")
    await expect(page.locator(".conv-name")).to_have_text(["Ada Contact12", "Ben Contact1", "Kai Contact10"])
    await page.context.close()
