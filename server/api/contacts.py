"""``POST /api/campaigns/{cid}/contacts``: a JSON list, a CSV form upload or a raw CSV body.

The body is spooled (memory up to 1 MB, then a temporary file) and parsed in a
worker thread batch by batch, so neither a large upload nor phone-number
checking blocks the event loop.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from tempfile import SpooledTemporaryFile
from typing import IO, Any

from starlette.concurrency import iterate_in_threadpool, run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from persistence.commands.contacts import check_upload_allowed, upload_contacts
from persistence.rules.contact_rows import ParseReport, Row, csv_batches, json_batches

from ..auth import authenticate
from ..errors import ApiError
from ..services import services
from ..validation import MAX_JSON_BYTES
from .accounts import path_id

__all__ = ["MAX_UPLOAD_BYTES", "routes", "upload_route"]

# A million contacts with a few extra columns fit in well under this.
MAX_UPLOAD_BYTES = 512 * 1024 * 1024
_SPOOL_BYTES = 1024 * 1024
_CSV_TYPES = ("text/csv", "application/csv", "text/plain", "application/vnd.ms-excel")


def _too_large() -> ApiError:
    return ApiError(413, "too_large", f"The upload is larger than {MAX_UPLOAD_BYTES // 2**20} MB.")


async def _json_list(request: Request) -> Any:
    """The JSON body, decoded in a worker thread (a large list takes a while)."""
    raw = await request.body()
    if len(raw) > MAX_JSON_BYTES:
        raise ApiError(413, "too_large", "The JSON body is too large; upload a CSV file instead.")
    try:
        return await run_in_threadpool(json.loads, raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ApiError(400, "invalid_json", f"The request body is not valid JSON: {exc}") from None


@asynccontextmanager
async def _spooled_body(request: Request) -> AsyncIterator[IO[bytes]]:
    # Closed in the finally below (the file outlives this generator's frame).
    spool: SpooledTemporaryFile[bytes] = SpooledTemporaryFile(max_size=_SPOOL_BYTES)  # noqa: SIM115
    try:
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_UPLOAD_BYTES:
                raise _too_large()
            await run_in_threadpool(spool.write, chunk)
        await run_in_threadpool(spool.seek, 0)
        yield spool
    finally:
        await run_in_threadpool(spool.close)


@asynccontextmanager
async def _rows(request: Request, report: ParseReport) -> AsyncIterator[Iterator[list[Row]]]:
    """The upload's batches of rows, whatever the body's form."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/json" or content_type.endswith("+json"):
        yield json_batches(await _json_list(request), report)
    elif content_type == "multipart/form-data":
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > MAX_UPLOAD_BYTES:
            raise _too_large()
        async with request.form(max_files=1, max_fields=20) as form:
            upload = form.get("file")
            if not isinstance(upload, UploadFile):
                raise ApiError(422, "invalid_input", "Send the CSV file in a form field named 'file'.")
            yield csv_batches(upload.file, report)
    elif content_type in _CSV_TYPES:
        async with _spooled_body(request) as spool:
            yield csv_batches(spool, report)
    else:
        raise ApiError(
            422,
            "unsupported_media_type",
            "Send a JSON list (application/json), a CSV body (text/csv), "
            "or a form upload with the CSV in the field 'file'.",
        )


async def upload_route(request: Request) -> Response:
    actor = await authenticate(request)
    campaign_id = path_id(request, "campaign_id")
    svc = services(request)
    # Refuse before reading what may be a large body.
    async with svc.db.session() as session:
        await check_upload_allowed(session, actor, campaign_id)
    report = ParseReport()
    async with _rows(request, report) as batches, svc.db.transaction() as session:
        result = await upload_contacts(session, actor, campaign_id, iterate_in_threadpool(batches), report)
    return JSONResponse(result.as_json())


routes: list[BaseRoute] = [
    Route("/api/campaigns/{campaign_id}/contacts", upload_route, methods=["POST"]),
]
