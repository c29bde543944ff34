"""One HTML shell for every page, carrying the close-code table the scripts act on."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import httpx
import pytest
from playwright.async_api import expect

from persistence.rules.export_range import MAX_EXPORT_RANGE
from server.live.close_codes import CLOSE_CODES, Action, client_table
from tests.support.processes import ServerProcess
from tests.support.worlds.accounts import PASSWORD
from tests.support.worlds.web import build_world

from .browsing import open_as
from .fake_live import FakeLive, fake_live

PAGES = {
    "/login": ("Log in", "login"),
    "/campaigns": ("Campaigns", "campaigns"),
    "/campaigns/1": ("Conversations Overview", "overview"),
    "/campaigns/1/messenger/unassigned": ("Admin Messenger", "admin_messenger"),
    "/send/1": ("Messenger", "messenger"),
}
CONFIG = re.compile(r'<script type="application/json" id="shiftline-config">(.*?)</script>', re.S)

SAM = "sam@example.org"
# Codes the server never sends: like a dropped network, they mean "reconnect".
UNKNOWN_CODES = [1008, 4401, 4403]


pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_every_page_is_the_one_shell_with_its_title_module_close_codes_and_export_limit(
    live_server: ServerProcess,
) -> None:
    for path, (title, module) in PAGES.items():
        text = httpx.get(live_server.url + path).text
        assert f"<title>{title} · shiftline</title>" in text, path
        assert f'<script type="module" src="/static/js/pages/{module}.js"></script>' in text, path
        assert f'<body class="page-{module}">' in text, path
        found = CONFIG.search(text)
        assert found is not None, path
        assert json.loads(found.group(1)) == {
            "close_codes": client_table(),
            "export_max_days": MAX_EXPORT_RANGE.days,
        }, path


async def _close_and_watch(page: Any, fake: FakeLive, code: int) -> str:
    """Connect a live client of the page to ``fake``, have it closed with ``code``: what did it do?"""
    fake.close_next_with(code)
    await page.evaluate(
        """async (url) => {
          const { Live } = await import("/static/js/live.js");
          window.outcome = [];
          window.live?.stop();
          window.live = new Live({ token: () => "a-token", url, onAuthFailed: () => outcome.push("login") });
          window.live.subscribe("campaign:1", {
            onEvent: (_kind, _data, seq) => outcome.push(`event ${seq}`),
            onSubscribed: (seq, resumed) => resumed && outcome.push(`resumed ${seq}`),
          });
          window.live.start();
        }""",
        fake.url,
    )
    for _ in range(100):
        outcome = await page.evaluate("window.outcome")
        if "login" in outcome or "resumed 6" in outcome:
            break
        await asyncio.sleep(0.05)
    assert outcome[0] == "event 6", outcome
    if "login" in outcome:
        await asyncio.sleep(1.0)  # longer than the first backoff: no retry may follow
        assert fake.connections == 1, f"{code}: reconnected after being told to log in"
        return "login"
    # It came back with `since` at the last event it saw, so nothing is missed.
    assert fake.subscribes == [("campaign:1", None), ("campaign:1", 6)], code
    return "reconnect"


@pytest.mark.asyncio(loop_scope="session")
async def test_the_live_client_does_what_the_servers_table_says_for_each_close_code(
    live_server: ServerProcess, browser: Any
) -> None:
    # The fake server listens on a port of its own, which the pages' policy (connect-src
    # 'self') rightly refuses: this story is about the client's logic, so it sets the policy aside.
    context = await browser.new_context(bypass_csp=True)
    page = await context.new_page()
    await page.goto(live_server.url + "/login")
    async with fake_live() as fake:
        for close in CLOSE_CODES:
            expected = "login" if close.action is Action.LOGIN else "reconnect"
            assert await _close_and_watch(page, fake, close.code) == expected, close
        for code in UNKNOWN_CODES:
            assert await _close_and_watch(page, fake, code) == "reconnect", code
        await page.evaluate("window.live.stop()")
    await context.close()


@pytest.mark.asyncio(loop_scope="session")
async def test_a_sender_deactivated_while_working_is_sent_to_log_in_and_back(
    live_server: ServerProcess, database_url: str, browser: Any
) -> None:
    world = await asyncio.to_thread(
        build_world, live_server.url, database_url, senders={SAM: "Sam Sender"}, contacts=2, assign={SAM: 1}
    )
    cid = world.campaign_id
    page = await open_as(browser, live_server.url, SAM, PASSWORD, f"/send/{cid}")
    await expect(page.locator("body")).to_have_attribute("data-live", "online")
    await asyncio.to_thread(world.api, "PATCH", f"/api/users/{world.senders[SAM]}", json={"active": False})
    # The server closes the live connection with 4003, which its table marks "login".
    # The address keeps the place (tab, conversation), so the login comes back to it.
    await page.wait_for_url(f"**/login?next=%2Fsend%2F{cid}*")
    await expect(page.get_by_role("heading", name="Log in to shiftline")).to_be_visible()
    await page.context.close()
