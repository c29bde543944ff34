"""Every page passes axe-core (pinned in package.json) without a serious or critical violation."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import expect

from tests.support.processes import ServerProcess
from tests.support.worlds.accounts import PASSWORD
from tests.support.worlds.web import build_world

from .browsing import BROWSER, ONE_BACKEND, PHONE, open_as

pytestmark = BROWSER

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
SAM = "sam@example.org"


async def axe_violations(page: Any) -> list[str]:
    """The serious and critical violations axe finds on the page as it is now."""
    # Injected as the test's own script (the context bypasses the CSP; the server relaxes nothing).
    await page.add_script_tag(path=str(AXE))
    result = await page.evaluate("async () => (await axe.run(document)).violations")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in result
        if v["impact"] in ("serious", "critical")
    ]


@pytest.fixture
def have_axe() -> None:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm ci` (axe-core is pinned in package.json)")


@ONE_BACKEND
async def test_every_page_has_no_serious_accessibility_violation(
    have_axe: None, live_server: ServerProcess, database_url: str, browser: Any
) -> None:
    world = await asyncio.to_thread(
        build_world, live_server.url, database_url, senders={SAM: "Sam Sender"}, contacts=3, assign={SAM: 2}
    )
    cid, sam = world.campaign_id, world.senders[SAM]
    conv = world.api("GET", f"/api/campaigns/{cid}/conversations?sender={sam}")["conversations"][0]["id"]
    pages = [
        (SAM, f"/send/{cid}", ".conv-list"),
        ("owner@example.org", "/campaigns", "table"),
        ("owner@example.org", f"/campaigns/{cid}", "#senders-body tr[data-sender]"),
        (
            "owner@example.org",
            f"/campaigns/{cid}/messenger/{sam}?tab=initial&conversation={conv}",
            ".conv h2",
        ),
        ("owner@example.org", f"/lookup/{conv}", "table"),
        ("owner@example.org", "/organization", "#organization-form .buttons"),
        ("owner@example.org", "/drips", "#drip-name"),
        ("owner@example.org", "/no/such/page", "h1"),
        ("owner@example.org", "/campaigns/999999", "h1"),
    ]
    failures: dict[str, list[str]] = {}
    for viewport in ({"width": 1280, "height": 800}, PHONE):
        for email, path, ready in pages:
            page = await open_as(
                browser, live_server.url, email, PASSWORD, path, viewport=viewport, bypass_csp=True
            )
            await expect(page.locator(ready).first).to_be_visible()
            await page.wait_for_function(
                "document.body.dataset.loaded === 'true' || !document.querySelector('.msg-loading')"
            )
            found = await axe_violations(page)
            if found:
                failures[f"{path} at {viewport['width']}px"] = found
            await page.context.close()
    # The login page, logged out.
    context = await browser.new_context(base_url=live_server.url, bypass_csp=True)
    page = await context.new_page()
    await page.goto("/login")
    await expect(page.get_by_label("Email")).to_be_visible()
    if found := await axe_violations(page):
        failures["/login"] = found
    await context.close()
    assert not failures, "\n".join(f"{k}: {v}" for k, vs in failures.items() for v in vs)


@ONE_BACKEND
async def test_the_dialogs_and_menus_have_no_serious_accessibility_violation(
    have_axe: None, live_server: ServerProcess, database_url: str, browser: Any
) -> None:
    world = await asyncio.to_thread(
        build_world, live_server.url, database_url, senders={SAM: "Sam Sender"}, contacts=2, assign={SAM: 1}
    )
    page = await open_as(
        browser,
        live_server.url,
        "owner@example.org",
        PASSWORD,
        f"/campaigns/{world.campaign_id}",
        bypass_csp=True,
    )
    await page.get_by_role("button", name="Reassign menu for Sam Sender").click()
    assert await axe_violations(page) == []
    await page.get_by_role("menuitem", name="Reassign Some").click()
    await expect(page.get_by_role("dialog")).to_be_visible()
    assert await axe_violations(page) == []
    await page.context.close()
