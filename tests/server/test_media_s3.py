"""With an S3-compatible store configured, uploads go to its bucket and the links still serve them.

The store is moto's S3 server, run as a process of its own on loopback; the
server talks to it through boto3 as it would to AWS, MinIO or any other.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from persistence.store.models import Media
from server.app import create_app
from server.settings import Settings
from tests.server.test_media import png, upload
from tests.support.ports import free_port
from tests.support.worlds.accounts import login, sync
from tests.support.worlds.messaging import build_sync

BUCKET = "shiftline-media"
KEYS = {"aws_access_key_id": "test-access", "aws_secret_access_key": "test-secret"}


@pytest.fixture
def s3_url(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = (tmp_path / "moto.log").open("wb")
    moto = Path(sys.executable).with_name("moto_server")
    process = subprocess.Popen([str(moto), "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(url, timeout=1)
                break
            except httpx.TransportError:
                assert process.poll() is None and time.monotonic() < deadline, (
                    "moto's S3 server did not start"
                )
                time.sleep(0.1)
        boto3.client("s3", endpoint_url=url, region_name="us-east-1", **KEYS).create_bucket(Bucket=BUCKET)
        yield url
    finally:
        process.terminate()
        process.wait(10)
        log.close()


@pytest.fixture
def stored_in_s3(settings: Settings, s3_url: str) -> Iterator[TestClient]:
    tuned = replace(
        settings,
        media_s3_bucket=BUCKET,
        media_s3_url=s3_url,
        media_s3_access_key=KEYS["aws_access_key_id"],
        media_s3_secret_key=KEYS["aws_secret_access_key"],
    )
    with TestClient(create_app(tuned)) as client:
        yield client


def test_a_picture_kept_in_the_bucket_is_served_from_its_link(
    stored_in_s3: TestClient, s3_url: str, database_url: str
) -> None:
    world = build_sync(database_url, assign=["Sam"] * 6)
    sam = login(stored_in_s3, "sam@example.org")
    picture = png(4, 4)
    media_id = upload(stored_in_s3, sam, picture).json()["id"]

    async def row(db: Any) -> tuple[bytes | None, str | None]:
        async with db.session() as session:
            found = (
                await session.execute(select(Media.data, Media.storage_key).where(Media.id == media_id))
            ).one()
            return found[0], found[1]

    data, key = sync(database_url, row)
    assert data is None and key is not None and key.startswith(f"media/{world.organization_id}/")
    s3 = boto3.client("s3", endpoint_url=s3_url, region_name="us-east-1", **KEYS)
    stored = s3.get_object(Bucket=BUCKET, Key=key)
    assert stored["Body"].read() == picture and stored["ContentType"] == "image/png"

    sent = stored_in_s3.post(
        f"/api/conversations/{world.conversations[0]}/messages",
        headers=sam.headers,
        json={"media_ids": [media_id]},
    )
    assert sent.status_code == 201, sent.text
    link = sent.json()["message"]["media"][0]["url"]
    served = stored_in_s3.get(link)
    assert served.status_code == 200 and served.content == picture
    assert served.headers["content-type"] == "image/png"

    # An object gone from the bucket is a link to nothing, not an error.
    s3.delete_object(Bucket=BUCKET, Key=key)
    assert stored_in_s3.get(link).status_code == 404
