"""A sender texts a picture from the Messenger, and sees the one the contact texts back."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from playwright.async_api import expect

from tests.server.test_media import png
from tests.support.processes import ServerProcess
from tests.support.worlds.accounts import PASSWORD
from tests.support.worlds.web import build_world, signed_inbound

from .browsing import BROWSER, open_as
from .test_accessibility import AXE

pytestmark = BROWSER

SAM = "sam@example.org"
SOON = 3000


async def test_a_sender_attaches_a_picture_and_sees_the_contacts_picture(
    live_server: ServerProcess, database_url: str, browser: Any, tmp_path: Path
) -> None:
    world = await asyncio.to_thread(
        build_world, live_server.url, database_url, senders={SAM: "Sam Sender"}, contacts=1, assign={SAM: 1}
    )
    cid, contact = world.campaign_id, world.contacts[0]
    sender = await open_as(browser, live_server.url, SAM, PASSWORD, f"/send/{cid}")
    await sender.get_by_role("button", name="Send initial message").click()

    # The contact answers with a picture: it shows in the thread as one.
    flyer = f"{live_server.url}/static/favicon.svg"
    response = await asyncio.to_thread(
        signed_inbound,
        live_server.url,
        contact["phone"],
        "Is this the flyer?",
        "SM-mms-1",
        [(flyer, "image/svg+xml")],
    )
    assert response.status_code == 200, response.text
    await sender.get_by_role("tab", name="Responses").click()
    await sender.locator(".conv-row").first.click()
    theirs = sender.locator(".bubble-inbound").get_by_role("img", name="Picture sent by the contact")
    await expect(theirs).to_be_visible(timeout=SOON)
    assert await theirs.evaluate("img => img.complete && img.naturalWidth > 0")

    # Sam types a reply, then attaches a picture with the camera button.
    box = sender.get_by_label("Reply", exact=True)
    await box.fill("Yes! And here is the map.")
    picture = tmp_path / "map.png"
    picture.write_bytes(png(8, 8))
    async with sender.expect_file_chooser() as chooser:
        await sender.get_by_role("button", name="Attach a picture or video").click()
    await (await chooser.value).set_files(str(picture))
    tray = sender.get_by_role("list", name="Attached to the next text")
    thumbnail = tray.get_by_role("img", name="Attached picture")
    await expect(thumbnail).to_be_visible(timeout=SOON)
    # Read in the browser (a blob: URL the page's CSP allows), before it is sent.
    assert await thumbnail.evaluate("img => img.complete && img.naturalWidth === 8")
    await expect(box).to_have_value("Yes! And here is the map.")

    # A file that is no picture is refused, and the typed reply and the picture stay.
    async with sender.expect_file_chooser() as chooser:
        await sender.get_by_role("button", name="Attach a picture or video").click()
    await (await chooser.value).set_files(
        files=[{"name": "notes.png", "mimeType": "image/png", "buffer": b"just some words"}]
    )
    await expect(sender.get_by_text('"notes.png" was not attached')).to_be_visible(timeout=SOON)
    await expect(box).to_have_value("Yes! And here is the map.")
    await expect(tray.get_by_role("img", name="Attached picture")).to_have_count(1)

    await sender.get_by_role("button", name="Send", exact=True).click()
    ours = sender.locator(".bubble-outbound").get_by_role("img", name="Picture sent to the contact")
    await expect(ours).to_be_visible(timeout=SOON)
    await expect(sender.locator(".bubble-outbound .body").last).to_have_text("Yes! And here is the map.")
    assert await ours.evaluate("img => img.complete && img.naturalWidth === 8")
    await expect(sender.get_by_role("list", name="Attached to the next text")).to_have_count(0)
    await expect(box).to_have_value("")

    # The Admin Messenger shows both pictures too, and its message box passes axe-core.
    admin = await open_as(
        browser,
        live_server.url,
        "owner@example.org",
        PASSWORD,
        f"/campaigns/{cid}/messenger/{world.senders[SAM]}",
        bypass_csp=True,
    )
    await admin.locator(".conv-row").first.click()
    await expect(admin.get_by_role("img", name="Picture sent by the contact")).to_be_visible(timeout=SOON)
    await expect(admin.get_by_role("img", name="Picture sent to the contact")).to_be_visible()
    await expect(admin.get_by_role("button", name="Attach a picture or video")).to_be_visible()
    await admin.add_script_tag(path=str(AXE))
    found = await admin.evaluate("async () => (await axe.run('.composer')).violations")
    assert [v["id"] for v in found if v["impact"] in ("serious", "critical")] == []
    for page in (sender, admin):
        await page.context.close()
