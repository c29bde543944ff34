"""A carrier refuses texts: both Messengers show why, and the overview counts the filtered ones, live."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import expect
from sqlalchemy import select

from persistence.store.database import Database
from persistence.store.models import Contact, Conversation, Message
from server.settings import Settings
from tests.support.processes import ServerProcess, settings_env
from tests.support.worlds.accounts import PASSWORD, sync
from tests.support.worlds.web import build_world, signed_status

from .browsing import BROWSER, eventually, open_as

pytestmark = BROWSER

SAM = "sam@example.org"
OWNER = "owner@example.org"
# Live changes show promptly, with room for a busy test machine.
SOON = 3000
LANDLINE = "Not sent (30006): The number is a landline or cannot receive texts."


@pytest.fixture
def server(settings: Settings, tmp_path: Path) -> Iterator[ServerProcess]:
    """A server whose simulator reports "delivered" only after ten minutes: the carrier's callbacks decide."""
    logs = tmp_path / "logs"
    logs.mkdir()
    env = {**settings_env(settings), "SHIFTLINE_SIMULATOR_RECEIPT_SECONDS": "600"}
    process = ServerProcess(env, logs).up()
    try:
        yield process
    finally:
        process.stop()


def provider_ids(database_url: str) -> dict[str, str]:
    """Each contact's phone -> the id the provider gave the text sent to it (once it has one)."""

    async def read(db: Database) -> dict[str, str]:
        async with db.session() as session:
            rows = await session.execute(
                select(Contact.phone, Message.provider_message_id)
                .join(Conversation, Conversation.id == Message.conversation_id)
                .join(Contact, Contact.id == Conversation.contact_id)
                .where(Message.direction == "outbound", Message.provider_message_id.is_not(None))
            )
            return {phone: str(sid) for phone, sid in rows}

    return sync(database_url, read)


async def test_carrier_errors_show_on_both_messengers_and_filtering_is_counted_live(
    server: ServerProcess, database_url: str, browser: Any
) -> None:
    world = await asyncio.to_thread(
        build_world,
        server.url,
        database_url,
        senders={SAM: "Sam Sender"},
        contacts=2,
        assign={SAM: 2},
        follow_up="Just checking in, %ContactFirstName%: polls close at 8pm.",
    )
    cid, sam = world.campaign_id, world.senders[SAM]
    overview = await open_as(browser, server.url, OWNER, PASSWORD, f"/campaigns/{cid}")
    await expect(overview.locator("#count-total")).to_have_text("2")
    filtered = overview.locator("#carrier-filtered")
    await expect(filtered).to_be_hidden()

    # Sam texts both contacts; the simulator hands each text a provider id.
    sender = await open_as(browser, server.url, SAM, PASSWORD, f"/send/{cid}")
    send_initial = sender.get_by_role("button", name="Send initial message")
    for sent in ("1/2", "2/2"):
        await expect(send_initial).to_be_enabled()
        await send_initial.click()
        await expect(sender.locator("#my-stats")).to_contain_text(sent, timeout=SOON)
    await eventually(lambda: len(provider_ids(database_url)) == 2, within=10)
    sids = await asyncio.to_thread(provider_ids, database_url)

    # Sam looks at a text that got no answer; an organizer looks at the same one in his Messenger.
    await sender.get_by_role("tab", name="Follow-ups").click()
    await expect(sender.get_by_role("button", name="Send follow-up")).to_be_visible()
    name = await sender.locator(".conv h2").inner_text()
    landline = next(c for c in world.contacts if name.startswith(c["first_name"]))
    other = next(c for c in world.contacts if c is not landline)
    admin = await open_as(browser, server.url, OWNER, PASSWORD, f"/campaigns/{cid}/messenger/{sam}")
    await admin.get_by_role("tab", name="Follow-ups").click()
    await admin.locator(".conv-row", has_text=landline["first_name"]).click()
    await expect(admin.locator(".bubble-outbound .body")).to_contain_text("Can we count on your vote?")
    for page in (sender, admin):
        await expect(page.locator(".delivery-error")).to_have_count(0)

    # The carrier answers that the number is a landline: both Messengers say so, without a reload.
    response = await asyncio.to_thread(
        signed_status, server.url, landline["phone"], sids[landline["phone"]], "failed", "30006"
    )
    assert response.status_code == 200, response.text
    for page in (sender, admin):
        error = page.locator(".bubble-outbound .delivery-error")
        await expect(error).to_have_text(LANDLINE, timeout=SOON)
        await expect(error).to_have_attribute("data-error-code", "30006")
    await expect(filtered).to_be_hidden()  # a landline is not filtering

    # The other text is filtered as spam: the overview's badge appears with its count.
    response = await asyncio.to_thread(
        signed_status, server.url, other["phone"], sids[other["phone"]], "undelivered", "30007"
    )
    assert response.status_code == 200, response.text
    await expect(filtered).to_be_visible(timeout=SOON)
    await expect(filtered).to_have_text("Filtered by carriers: 1")
    for context in {page.context for page in (overview, sender, admin)}:
        await context.close()
