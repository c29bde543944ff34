"""Fixtures of the browser tests: a real server, headless Chromium, logged-in pages."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from server.settings import Settings
from tests.support.processes import ServerProcess, settings_env
from tests.support.services import REQUIRED

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HAVE_CHROMIUM = CHROMIUM.exists()

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def chromium() -> AsyncIterator[Any]:
    """Headless Chromium (Debian's), launched once, driven through Playwright's async API.

    Async, because Playwright's sync API keeps an event loop running in the
    test's thread, and the database fixtures need ``asyncio.run`` there. The
    browser tests run in the session's event loop (see ``browsing.BROWSER``), which
    owns the browser; each test works in contexts of its own.
    """
    if not HAVE_CHROMIUM:
        message = f"{CHROMIUM} is missing (apt-get install chromium)"
        if REQUIRED or os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + " and CI requires the browser tests")
        pytest.skip(message)
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            await chromium.close()


@pytest_asyncio.fixture(loop_scope="session")
async def browser(chromium: Any) -> AsyncIterator[Any]:
    """The shared browser; whatever contexts a test leaves open (a failed one) are closed after it."""
    yield chromium
    for context in list(chromium.contexts):
        await context.close()


@pytest.fixture
def live_server(settings: Settings, tmp_path: Path) -> Iterator[ServerProcess]:
    logs = tmp_path / "logs"
    logs.mkdir()
    server = ServerProcess(settings_env(settings), logs).up()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the stories save their screenshots.

    ``SHIFTLINE_SCREENSHOTS=docs`` refreshes the ones in docs/screenshots (shown
    in the README); otherwise they go to a temporary folder, so a test run never
    changes tracked files.
    """
    if os.environ.get("SHIFTLINE_SCREENSHOTS") == "docs":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        return SCREENSHOTS
    return tmp_path_factory.mktemp("screenshots")
