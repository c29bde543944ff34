"""Recommended replies: ``GET|POST /api/campaigns/{campaign_id}/replies``, ``GET|POST /api/replies``,
and ``PATCH|DELETE /api/replies/{reply_id}`` (either kind, by its id)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from persistence.commands.recommended_replies import (
    create_reply,
    delete_reply,
    list_replies,
    reply_data,
    update_reply,
)

from ..auth import authenticate
from ..parsing import Nullable, Str, param, parse_body
from ..routing import Operation, route
from ..services import services
from .accounts import path_id

__all__ = [
    "ReplyBody",
    "ReplyPatchBody",
    "create_route",
    "delete_route",
    "list_route",
    "patch_route",
    "routes",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplyBody:
    """A recommended reply; its scope is the path (a campaign's, or the organization's), never the body."""

    title: str = param(Str(max_len=200), required=True)
    body: str = param(Str(max_len=1600), required=True)


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplyPatchBody:
    """Changes to a recommended reply; keys left out (or null) stay as they are."""

    title: str | None = param(Nullable(Str(max_len=200)))
    body: str | None = param(Nullable(Str(max_len=1600)))


def _campaign_id(request: Request) -> int | None:
    return path_id(request, "campaign_id") if "campaign_id" in request.path_params else None


async def list_route(request: Request) -> Response:
    actor = await authenticate(request)
    async with services(request).db.session() as session:
        replies = await list_replies(session, actor, campaign_id=_campaign_id(request))
    return JSONResponse({"replies": [reply_data(r) for r in replies]})


async def create_route(request: Request) -> Response:
    actor = await authenticate(request)
    body = await parse_body(request, ReplyBody)
    async with services(request).db.transaction() as session:
        reply = await create_reply(
            session, actor, campaign_id=_campaign_id(request), title=body.title, body=body.body
        )
    return JSONResponse(reply_data(reply), status_code=201)


async def patch_route(request: Request) -> Response:
    actor = await authenticate(request)
    reply_id = path_id(request, "reply_id")
    body = await parse_body(request, ReplyPatchBody)
    async with services(request).db.transaction() as session:
        reply = await update_reply(session, actor, reply_id, title=body.title, body=body.body)
    return JSONResponse(reply_data(reply))


async def delete_route(request: Request) -> Response:
    actor = await authenticate(request)
    reply_id = path_id(request, "reply_id")
    async with services(request).db.transaction() as session:
        await delete_reply(session, actor, reply_id)
    return Response(status_code=204)


_REPLY: dict[str, Any] = {
    "type": "object",
    "required": ["id", "campaign_id", "title", "body"],
    "properties": {
        "id": {"type": "integer"},
        "campaign_id": {"type": ["integer", "null"]},
        "title": {"type": "string"},
        "body": {"type": "string"},
        "created_at": {"type": "string"},
    },
}
_REPLIES = {
    "type": "object",
    "required": ["replies"],
    "properties": {"replies": {"type": "array", "items": _REPLY}},
}
_LIST = Operation("Recommended replies", responses={200: _REPLIES})
_CREATE = Operation("Add a recommended reply", body=ReplyBody, responses={201: _REPLY})

routes: list[BaseRoute] = [
    route("GET", "/api/campaigns/{campaign_id:id}/replies", list_route, _LIST),
    route("POST", "/api/campaigns/{campaign_id:id}/replies", create_route, _CREATE),
    route("GET", "/api/replies", list_route, _LIST),
    route("POST", "/api/replies", create_route, _CREATE),
    route(
        "PATCH",
        "/api/replies/{reply_id:id}",
        patch_route,
        Operation("Change a recommended reply", body=ReplyPatchBody, responses={200: _REPLY}),
    ),
    route(
        "DELETE",
        "/api/replies/{reply_id:id}",
        delete_route,
        Operation("Delete a recommended reply", responses={204: None}),
    ),
]
