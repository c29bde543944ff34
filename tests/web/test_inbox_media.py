"""A sender texts a picture from the inbox, and sees the picture and video a neighbour texts back."""

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

pytestmark = BROWSER

SAM = "sam@example.org"
NIA = "+14155550199"
SOON = 3000


async def test_a_sender_texts_a_picture_from_the_inbox_and_sees_the_neighbours_picture(
    live_server: ServerProcess, database_url: str, browser: Any, tmp_path: Path
) -> None:
    await asyncio.to_thread(
        build_world, live_server.url, database_url, senders={SAM: "Sam Sender"}, contacts=1
    )
    page = await open_as(browser, live_server.url, SAM, PASSWORD, "/inbox")
    await page.get_by_role("button", name="New Conversation").click()
    await page.get_by_label("Send to Phone Number:").fill(NIA)
    await page.get_by_role("button", name="Start Conversation").click()
    await expect(page.locator("#conv-name")).to_have_text(NIA)

    # Sam types a text, then attaches a picture with the camera button.
    box = page.get_by_label("Message", exact=True)
    await box.fill("Here is the flyer for Tuesday.")
    picture = tmp_path / "flyer.png"
    picture.write_bytes(png(8, 8))
    async with page.expect_file_chooser() as chooser:
        await page.get_by_role("button", name="Attach a picture or video").click()
    await (await chooser.value).set_files(str(picture))
    tray = page.get_by_role("list", name="Attached to the next text")
    thumbnail = tray.get_by_role("img", name="Attached picture")
    await expect(thumbnail).to_be_visible(timeout=SOON)
    assert await thumbnail.evaluate("img => img.complete && img.naturalWidth === 8")

    # A file that is no picture is refused; the typed text and the picture stay.
    async with page.expect_file_chooser() as chooser:
        await page.get_by_role("button", name="Attach a picture or video").click()
    await (await chooser.value).set_files(
        files=[{"name": "notes.png", "mimeType": "image/png", "buffer": b"just some words"}]
    )
    await expect(page.get_by_text('"notes.png" was not attached')).to_be_visible(timeout=SOON)
    await expect(box).to_have_value("Here is the flyer for Tuesday.")
    await expect(tray.get_by_role("img", name="Attached picture")).to_have_count(1)

    # A scheduled text cannot carry the picture: Sam is told, and nothing is scheduled or dropped.
    await page.get_by_role("button", name="Schedule").click()
    await expect(page.get_by_text("A scheduled text cannot carry a picture")).to_be_visible(timeout=SOON)
    await expect(page.get_by_role("dialog")).to_have_count(0)
    await expect(box).to_have_value("Here is the flyer for Tuesday.")
    await expect(tray.get_by_role("img", name="Attached picture")).to_have_count(1)

    await page.get_by_role("button", name="Send", exact=True).click()
    ours = page.locator(".bubble-outbound").get_by_role("img", name="Picture sent to the contact")
    await expect(ours).to_be_visible(timeout=SOON)
    assert await ours.evaluate("img => img.complete && img.naturalWidth === 8")
    await expect(page.locator(".bubble-outbound .body").last).to_have_text("Here is the flyer for Tuesday.")
    await expect(page.get_by_role("list", name="Attached to the next text")).to_have_count(0)
    await expect(box).to_have_value("")

    # A picture alone, with nothing typed, is a text too.
    async with page.expect_file_chooser() as chooser:
        await page.get_by_role("button", name="Attach a picture or video").click()
    await (await chooser.value).set_files(str(picture))
    await expect(tray.get_by_role("img", name="Attached picture")).to_be_visible(timeout=SOON)
    await page.get_by_role("button", name="Send", exact=True).click()
    await expect(page.get_by_role("img", name="Picture sent to the contact")).to_have_count(2, timeout=SOON)

    # Nia answers with a picture and a video: both show live, the video with its controls.
    flyer = f"{live_server.url}/static/favicon.svg"
    clip = f"{live_server.url}/static/clip.mp4"
    answer = await asyncio.to_thread(
        signed_inbound,
        live_server.url,
        NIA,
        "Is this the right one?",
        "SM-nia-mms",
        [(flyer, "image/svg+xml"), (clip, "video/mp4")],
    )
    assert answer.status_code == 200, answer.text
    inbound = page.locator(".bubble-inbound")
    theirs = inbound.get_by_role("img", name="Picture sent by the contact")
    await expect(theirs).to_be_visible(timeout=SOON)
    assert await theirs.evaluate("img => img.complete && img.naturalWidth > 0")
    video = inbound.locator("video")
    await expect(video).to_have_attribute("aria-label", "Video sent by the contact")
    assert await video.evaluate("v => v.controls")
    await expect(inbound.locator(".body")).to_have_text("Is this the right one?")
    await page.context.close()
