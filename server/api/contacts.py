"""``POST /api/campaigns/{cid}/contacts``: a JSON list, a CSV form upload or a raw CSV body.

The body is spooled (memory up to 1 MB, then a temporary file) and parsed in a
worker thread batch by batch, so neither a large upload nor phone-number
checking blocks the event loop.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from tempfile import SpooledTemporaryFile
from typing import IO, Any

from starlette.concurrency import iterate_in_threadpool, run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from persistence.commands.contacts import check_upload_allowed, upload_contacts
from persistence.rules.contact_rows import ParseReport, Row, csv_batches, json_batches

from ..auth import authenticate
from ..errors import ApiError
from ..openapi import CSV_UPLOAD
from ..parsing import is_json_media_type, read_json
from ..routing import Operation, route
from ..services import services
from .accounts import path_id

__all__ = ["MAX_UPLOAD_BYTES", "routes", "upload_route"]

# A million contacts with a few extra columns fit in well under this.
MAX_UPLOAD_BYTES = 512 * 1024 * 1024
_SPOOL_BYTES = 1024 * 1024
_CSV_TYPES = ("text/csv", "application/csv", "text/plain", "application/vnd.ms-excel")


def _too_large() -> ApiError:
    return ApiError(413, "too_large", f"The upload is larger than {MAX_UPLOAD_BYTES // 2**20} MB.")


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
    if is_json_media_type(content_type):
        # Decoded like every JSON body (a large one in a worker thread); the rows' own
        # extra keys are data, so they are not checked against a definition.
        yield json_batches(await read_json(request), report)
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


_ROW: dict[str, Any] = {
    "type": "object",
    "required": ["first_name", "last_name", "phone"],
    "properties": {
        "first_name": {"type": "string"},
        "last_name": {"type": "string"},
        "phone": {"type": "string"},
    },
    "additionalProperties": True,
    "description": "A contact; other keys are kept as the contact's data.",
}
_UPLOADS = {"application/json": {"schema": {"type": "array", "items": _ROW}}, **CSV_UPLOAD}
_COUNTS = {
    "type": "object",
    "required": ["added", "invalid", "duplicate", "opted_out"],
    "properties": {
        "added": {"type": "integer"},
        "invalid": {"type": "integer"},
        "duplicate": {"type": "integer"},
        "opted_out": {"type": "integer"},
    },
}

routes: list[BaseRoute] = [
    route(
        "POST",
        "/api/campaigns/{campaign_id:id}/contacts",
        upload_route,
        Operation("Upload contacts", body_content=_UPLOADS, responses={200: _COUNTS}, errors=(409, 423)),
    ),
]
