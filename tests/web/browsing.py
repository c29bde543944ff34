"""Opening pages as a logged-in user, and the viewports the stories use."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

__all__ = ["BROWSER", "DESKTOP", "ONE_BACKEND", "PHONE", "eventually", "open_as"]

# The marks of a browser test: slow, needs Chromium, and runs in the session's
# event loop, which owns the browser (conftest.browser).
BROWSER = [pytest.mark.browser, pytest.mark.slow, pytest.mark.asyncio(loop_scope="session")]

# For what a page is, not what it does live: axe checks the same markup on
# either backend, so such a test runs on the embedded one only.
ONE_BACKEND = pytest.mark.parametrize("backend", ["sqlite"])

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


async def open_as(
    browser: Any,
    base_url: str,
    email: str,
    password: str,
    path: str,
    *,
    viewport: dict[str, int] = DESKTOP,
    bypass_csp: bool = False,
) -> Any:
    """A page in its own browser context (its own storage), logged in as ``email``, at ``path``.

    The session is put where the login page would put it, so each story does
    not have to type it in again (the login page has its own test).
    """
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
        response = await client.post("/api/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    session = json.dumps({"token": response.json()["token"], "user": response.json()["user"]})
    context = await browser.new_context(viewport=viewport, base_url=base_url, bypass_csp=bypass_csp)
    await context.add_init_script(f"localStorage.setItem('shiftline.session', {json.dumps(session)});")
    page = await context.new_page()
    page.on("pageerror", lambda exc: print(f"page error on {path}: {exc}"))
    await page.goto(path)
    return page


async def eventually(check: Callable[[], bool], within: float = 5.0) -> None:
    """Wait until ``check()`` (blocking, run in a thread: it may call the API) holds."""
    deadline = time.monotonic() + within
    while not await asyncio.to_thread(check):
        assert time.monotonic() < deadline, "the condition never held"
        await asyncio.sleep(0.1)
