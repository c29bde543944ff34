"""The organization's opt-out list (owners and admins).

``GET /api/opt-outs`` (``search``, ``limit``, ``after``), ``POST /api/opt-outs``
``{"phone"}``, ``DELETE /api/opt-outs/{phone}`` (opts the number back in),
``POST /api/opt-outs/upload`` (a CSV of numbers to opt out: the ``phone``
column, or the first one) and ``GET /api/opt-outs.csv`` (the whole list).
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any, Final

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import BaseRoute

from persistence.commands.optout_list import (
    MAX_PAGE,
    add_opt_out,
    list_opt_outs,
    opt_out_data,
    opt_out_many,
    remove_opt_out,
)
from persistence.rules.errors import InvalidInput, NotFound

from ..auth import authenticate
from ..errors import ApiError
from ..openapi import CSV_UPLOAD
from ..parsing import Int, Str, param, parse_body, parse_query
from ..routing import Operation, route
from ..services import services

__all__ = [
    "MAX_UPLOAD_BYTES",
    "OptOutBody",
    "OptOutParams",
    "add_route",
    "export_route",
    "list_route",
    "remove_route",
    "routes",
    "upload_route",
]

MAX_UPLOAD_BYTES: Final = 16 * 1024 * 1024
_CSV_TYPES = ("text/csv", "application/csv", "text/plain", "application/vnd.ms-excel")


@dataclass(frozen=True, slots=True, kw_only=True)
class OptOutParams:
    """A page of the list, by number."""

    search: str | None = param(Str(max_len=40, allow_blank=True), description="Digits the number contains.")
    limit: int = param(Int(minimum=1, maximum=MAX_PAGE), default=100)
    after: str | None = param(Str(max_len=20), description="The `next` of the previous page.")


@dataclass(frozen=True, slots=True, kw_only=True)
class OptOutBody:
    """A number to opt out of every campaign of the organization."""

    phone: str = param(Str(max_len=40), required=True)


async def list_route(request: Request) -> Response:
    actor = await authenticate(request)
    params = parse_query(request, OptOutParams)
    async with services(request).db.session() as session:
        page = await list_opt_outs(
            session, actor, search=params.search, limit=params.limit, after=params.after
        )
    return JSONResponse(
        {"opt_outs": [opt_out_data(r) for r in page.rows], "total": page.total, "next": page.next_after}
    )


async def add_route(request: Request) -> Response:
    actor = await authenticate(request)
    phone = (await parse_body(request, OptOutBody)).phone
    async with services(request).db.transaction() as session:
        row = await add_opt_out(session, actor, phone)
    return JSONResponse(opt_out_data(row), status_code=201)


async def remove_route(request: Request) -> Response:
    actor = await authenticate(request)
    async with services(request).db.transaction() as session:
        removed = await remove_opt_out(session, actor, request.path_params["phone"])
    if not removed:
        raise NotFound("That number is not on the opt-out list.")
    return Response(status_code=204)


def _phones(data: bytes) -> Iterator[tuple[int, str]]:
    """(row number, phone) of a CSV: its ``phone`` column, or the first column without a header."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("The file is not UTF-8 text.", code="invalid_csv") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    first = next(reader, None)
    if first is None:
        return
    names = [c.strip().lower() for c in first]
    column = names.index("phone") if "phone" in names else 0
    if "phone" not in names:
        yield 1, first[0] if first else ""
    for number, row in enumerate(reader, start=2):
        if row:
            yield number, row[column] if column < len(row) else ""


async def _upload_bytes(request: Request) -> bytes:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "multipart/form-data":
        async with request.form(max_files=1, max_fields=5, max_part_size=MAX_UPLOAD_BYTES) as form:
            upload = form.get("file")
            if not isinstance(upload, UploadFile):
                raise ApiError(422, "invalid_input", "Send the CSV file in a form field named 'file'.")
            data = await upload.read(MAX_UPLOAD_BYTES + 1)
    elif content_type in _CSV_TYPES:
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_UPLOAD_BYTES:
                break
            chunks.append(chunk)
        data = b"".join(chunks)
    else:
        raise ApiError(
            422,
            "unsupported_media_type",
            "Send a CSV body (text/csv) or a form upload with the CSV in 'file'.",
        )
    if len(data) > MAX_UPLOAD_BYTES:
        raise ApiError(413, "too_large", f"The file is larger than {MAX_UPLOAD_BYTES // 2**20} MB.")
    return data


async def upload_route(request: Request) -> Response:
    actor = await authenticate(request)
    data = await _upload_bytes(request)
    # Parsing and checking numbers is CPU work: off the event loop.
    rows = await run_in_threadpool(lambda: list(_phones(data)))
    async with services(request).db.transaction() as session:
        result = await opt_out_many(session, actor, rows)
    return JSONResponse(result.as_json())


def _csv_line(values: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(values)
    return out.getvalue()


async def export_route(request: Request) -> Response:
    actor = await authenticate(request)
    db = services(request).db
    # Checked before the first byte, so a refusal is still a JSON error.
    async with db.session() as session:
        await list_opt_outs(session, actor, search=None, limit=1, after=None)

    async def lines() -> AsyncIterator[str]:
        yield _csv_line(["phone", "source", "created_at"])
        after: str | None = None
        while True:
            async with db.session() as session:
                page = await list_opt_outs(session, actor, search=None, limit=MAX_PAGE, after=after)
            for row in page.rows:
                data = opt_out_data(row)
                yield _csv_line([data["phone"], data["source"], data["created_at"] or ""])
            if page.next_after is None:
                return
            after = page.next_after

    return StreamingResponse(
        lines(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="opt-outs.csv"'},
    )


_ROW: dict[str, Any] = {
    "type": "object",
    "required": ["phone", "source", "created_at"],
    "properties": {
        "phone": {"type": "string"},
        "source": {"type": "string"},
        "created_at": {"type": ["string", "null"]},
    },
}
_PAGE = {
    "type": "object",
    "required": ["opt_outs", "total", "next"],
    "properties": {
        "opt_outs": {"type": "array", "items": _ROW},
        "total": {"type": "integer"},
        "next": {"type": ["string", "null"]},
    },
}
_UPLOADS = CSV_UPLOAD
_UPLOADED = {
    "type": "object",
    "required": ["added", "already", "invalid", "problems"],
    "properties": {
        "added": {"type": "integer"},
        "already": {"type": "integer"},
        "invalid": {"type": "integer"},
        "problems": {"type": "array"},
    },
}

routes: list[BaseRoute] = [
    route(
        "GET",
        "/api/opt-outs",
        list_route,
        Operation("The opt-out list", query=OptOutParams, responses={200: _PAGE}),
    ),
    route(
        "POST",
        "/api/opt-outs",
        add_route,
        Operation("Opt a number out of every campaign", body=OptOutBody, responses={201: _ROW}),
    ),
    route(
        "POST",
        "/api/opt-outs/upload",
        upload_route,
        Operation("Opt out every number of a CSV", body_content=_UPLOADS, responses={200: _UPLOADED}),
    ),
    route(
        "GET",
        "/api/opt-outs.csv",
        export_route,
        Operation("The opt-out list, as CSV", responses={200: {"type": "string"}}, response_media="text/csv"),
    ),
    route(
        "DELETE",
        "/api/opt-outs/{phone}",
        remove_route,
        Operation("Opt a number back in", responses={204: None}),
    ),
]
