"""Where uploaded media bytes live: the database (the default) or an S3-compatible store.

With ``SHIFTLINE_MEDIA_S3_BUCKET`` set, uploads go to that bucket (AWS S3, or any
S3-compatible service at ``SHIFTLINE_MEDIA_S3_URL``: MinIO, Ceph, Garage, R2...)
and the ``media`` row keeps only the object's key; otherwise the row keeps the
bytes. boto3 does the talking (signing, retries, endpoints); its calls block,
so each runs in a worker thread, never on the event loop. boto3 is optional:
``pip install 'shiftline[s3]'``.
"""

from __future__ import annotations

import secrets
from typing import Any, Protocol

from starlette.concurrency import run_in_threadpool

from .settings import Settings

__all__ = ["MediaStore", "S3Store", "media_store"]


class MediaStore(Protocol):
    async def put(self, organization_id: int, data: bytes, content_type: str) -> str:
        """Keep ``data``; return the key it is kept under."""
        ...

    async def get(self, key: str) -> bytes | None:
        """The bytes kept under ``key``, or None when there are none."""
        ...


class S3Store:
    """One bucket of an S3-compatible service."""

    def __init__(self, client: Any, bucket: str) -> None:
        self._client = client
        self._bucket = bucket

    def __repr__(self) -> str:  # never the keys
        return f"S3Store({self._bucket!r})"

    @classmethod
    def from_settings(cls, settings: Settings) -> S3Store:
        try:
            import boto3  # imported here: only a deployment that stores media in S3 needs it
        except ImportError:  # pragma: no cover - depends on the installation
            raise ImportError("SHIFTLINE_MEDIA_S3_BUCKET needs boto3: pip install 'shiftline[s3]'") from None
        client = boto3.client(
            "s3",
            endpoint_url=settings.media_s3_url,
            region_name=settings.media_s3_region,
            aws_access_key_id=settings.media_s3_access_key,
            aws_secret_access_key=settings.media_s3_secret_key,
        )
        return cls(client, settings.media_s3_bucket or "")

    async def put(self, organization_id: int, data: bytes, content_type: str) -> str:
        # Random, not the row id: the object is written before the row exists.
        key = f"media/{organization_id}/{secrets.token_urlsafe(24)}"
        await run_in_threadpool(
            self._client.put_object, Bucket=self._bucket, Key=key, Body=data, ContentType=content_type
        )
        return key

    async def get(self, key: str) -> bytes | None:
        def read() -> bytes | None:
            try:
                answer = self._client.get_object(Bucket=self._bucket, Key=key)
            except self._client.exceptions.NoSuchKey:
                return None
            body: bytes = answer["Body"].read()
            return body

        return await run_in_threadpool(read)


def media_store(settings: Settings) -> MediaStore | None:
    """The configured S3-compatible store, or None: the database keeps the bytes."""
    return S3Store.from_settings(settings) if settings.media_s3_bucket else None
