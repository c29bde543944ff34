"""Every page loads, logs in and works by keyboard, in a real browser against a real server."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import expect

from tests.support.processes import ServerProcess
from tests.support.worlds.accounts import PASSWORD, make_org

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_the_pages_and_their_static_files_are_served(live_server: ServerProcess) -> None:
    pages = ["/login", "/campaigns", "/campaigns/1", "/campaigns/1/messenger/unassigned", "/send/1"]
    pages += ["/campaigns/new", "/campaigns/1/setup", "/campaigns/1/contacts", "/campaigns/1/senders"]
    pages += ["/campaigns/1/replies", "/replies", "/users", "/organization", "/opt-outs"]
    for path in pages:
        response = httpx.get(live_server.url + path)
        assert response.status_code == 200, path
        assert response.headers["content-type"].startswith("text/html")
        assert '<script type="module"' in response.text
        module = response.text.split('<script type="module" src="')[1].split('"')[0]
        assert httpx.get(live_server.url + module).status_code == 200, module
    for path in ["/static/css/app.css", "/static/js/live.js", "/static/js/pages/overview.js"]:
        assert httpx.get(live_server.url + path).status_code == 200, path
    assert httpx.get(live_server.url + "/static/js/nope.js").status_code == 404
    home = httpx.get(live_server.url + "/", follow_redirects=False)
    assert home.status_code == 302 and home.headers["location"] == "/campaigns"


@pytest.mark.asyncio(loop_scope="session")
async def test_a_user_logs_in_by_keyboard_and_lands_on_the_campaign_list(
    live_server: ServerProcess, database_url: str, browser: Any, screenshots: Path
) -> None:
    await asyncio.to_thread(make_org, database_url)
    page = await browser.new_page()
    await page.goto(live_server.url + "/campaigns")
    await page.wait_for_url("**/login?next=%2Fcampaigns")
    await page.keyboard.type("owner@example.org")  # the email field has the focus
    await page.keyboard.press("Tab")
    await page.keyboard.type("wrong password")
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("alert")).to_have_text("The email or password is wrong.")
    await page.screenshot(path=screenshots / "login.png")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url("**/campaigns")
    await page.get_by_role("heading", name="Campaigns").wait_for()
    await page.close()
