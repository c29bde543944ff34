"""MMS media: ``POST /api/media`` (upload) and ``GET /media/{token}`` (what the provider fetches).

An upload is a ``multipart/form-data`` form with the file in the field
``file``. The body is read with a hard bound: a declared length over the
limit is refused before anything is read, and an undeclared one is cut off
as soon as it passes the limit, so a huge upload is never buffered whole.
The file's type is read from its bytes (``persistence/rules/media.py``).
Nothing is stored unless the whole file is accepted.

``GET /media/{token}`` needs no login: the signed, expiring token is the
permission (``server/media_links.py``), because Twilio fetches the file
without credentials.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from persistence.commands.media import read_media, store_media
from persistence.rules.errors import NotFound
from persistence.rules.media import MAX_MEDIA_BYTES, MEDIA_TYPES, media_warning, sniff

from ..auth import authenticate
from ..errors import ApiError
from ..media_links import read_media_token
from ..routing import Operation, route
from ..services import services

__all__ = ["MAX_FORM_BYTES", "routes", "serve_route", "upload_route"]

# The file plus the form's boundaries and headers.
MAX_FORM_BYTES = MAX_MEDIA_BYTES + 64 * 1024


def _too_large() -> ApiError:
    return ApiError(
        413, "too_large", "The file is larger than 5 MB, more than an MMS can carry; nothing was stored."
    )


async def _bounded(request: Request) -> AsyncGenerator[bytes, None]:
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_FORM_BYTES:
            raise _too_large()
        yield chunk


async def _read_upload(request: Request) -> bytes:
    """The uploaded file's bytes, at most MAX_MEDIA_BYTES of them (else 413)."""
    content_type = request.headers.get("content-type", "")
    if content_type.split(";")[0].strip().lower() != "multipart/form-data":
        raise ApiError(
            422, "unsupported_media_type", "Send the file as a form upload (multipart/form-data) in 'file'."
        )
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > MAX_FORM_BYTES:
        raise _too_large()
    parser = MultiPartParser(request.headers, _bounded(request), max_files=1, max_fields=5)
    try:
        form = await parser.parse()
    except MultiPartException as exc:
        raise ApiError(422, "invalid_input", f"The form upload is not valid: {exc.message}") from None
    try:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise ApiError(422, "invalid_input", "Send the file in a form field named 'file'.")
        data = await upload.read(MAX_MEDIA_BYTES + 1)
    finally:
        await form.close()
    if len(data) > MAX_MEDIA_BYTES:
        raise _too_large()
    return data


async def upload_route(request: Request) -> Response:
    actor = await authenticate(request)
    data = await _read_upload(request)
    content_type = sniff(data[:16])
    if content_type is None:
        raise ApiError(
            422,
            "unsupported_media",
            "Only pictures (JPEG, PNG, GIF, WebP) and video (MP4, 3GP, QuickTime) can be sent by MMS.",
        )
    svc = services(request)
    # The object first, then its row: a failure between leaves an unused object, never a row without file.
    key = await svc.media_store.put(actor.organization_id, data, content_type) if svc.media_store else None
    async with svc.db.transaction() as session:
        media = await store_media(session, actor, data, content_type, storage_key=key)
    answer: dict[str, Any] = {"id": media.id, "content_type": media.content_type, "size": media.size}
    warning = media_warning(media.size)
    if warning is not None:
        answer["warning"] = warning
    return JSONResponse(answer, status_code=201)


async def serve_route(request: Request) -> Response:
    svc = services(request)
    media_id = read_media_token(svc.secret, request.path_params["token"])
    media = None
    if media_id is not None:
        async with svc.db.session() as session:
            media = await read_media(session, media_id)
    data = media.data if media is not None else None
    if media is not None and media.storage_key is not None and svc.media_store is not None:
        data = await svc.media_store.get(media.storage_key)
    if media is None or data is None:
        raise NotFound("No such file, or its link has expired.")
    return Response(
        data,
        media_type=media.content_type,
        headers={
            # The link is the permission: shared caches must not keep it.
            "Cache-Control": "private, max-age=3600",
            "Content-Disposition": "inline",
        },
    )


_UPLOADED = {
    "type": "object",
    "required": ["id", "content_type", "size"],
    "properties": {
        "id": {"type": "integer"},
        "content_type": {"type": "string", "enum": list(MEDIA_TYPES)},
        "size": {"type": "integer"},
        "warning": {"type": "string"},
    },
}

routes: list[BaseRoute] = [
    route(
        "POST",
        "/api/media",
        upload_route,
        Operation(
            "Upload a picture or video to send by MMS (at most 5 MB)",
            body_content={
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file"],
                        "properties": {
                            "file": {"type": "string", "contentMediaType": "application/octet-stream"}
                        },
                    }
                }
            },
            responses={201: _UPLOADED},
        ),
    ),
    route(
        "GET",
        "/media/{token}",
        serve_route,
        Operation(
            "A file behind an expiring link (fetched by the SMS provider)",
            responses={200: {"type": "string"}},
            response_media="application/octet-stream",
            auth=False,
        ),
    ),
]
