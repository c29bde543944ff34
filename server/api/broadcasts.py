"""Broadcasts to every sender of a campaign, and their acknowledgements."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from persistence.commands.broadcasts import MAX_BODY, acknowledge, list_broadcasts, post_broadcast

from ..auth import authenticate
from ..parsing import Str, param, parse_body
from ..routing import Operation, route
from ..services import services

__all__ = ["BroadcastBody", "ack_route", "list_route", "post_route", "routes"]


@dataclass(frozen=True, slots=True, kw_only=True)
class BroadcastBody:
    """A message for every sender of the campaign."""

    body: str = param(Str(max_len=MAX_BODY), required=True, code="invalid_body")


_BROADCAST = {
    "type": "object",
    "required": ["id", "body", "from", "acknowledged_by"],
    "properties": {
        "id": {"type": "integer"},
        "body": {"type": "string"},
        "from": {"type": "object"},
        "created_at": {"type": "string"},
        "acknowledged_by": {"type": "array", "items": {"type": "object"}},
    },
}


async def post_route(request: Request) -> Response:
    actor = await authenticate(request)
    body = await parse_body(request, BroadcastBody)
    async with services(request).db.transaction() as session:
        broadcast = await post_broadcast(session, actor, request.path_params["cid"], body.body.strip())
    return JSONResponse(broadcast, status_code=201)


async def ack_route(request: Request) -> Response:
    actor = await authenticate(request)
    cid: int = request.path_params["cid"]
    bid: int = request.path_params["bid"]
    async with services(request).db.transaction() as session:
        await acknowledge(session, actor, cid, bid)
    return JSONResponse({"id": bid, "user_id": actor.user_id})


async def list_route(request: Request) -> Response:
    actor = await authenticate(request)
    async with services(request).db.session() as session:
        broadcasts = await list_broadcasts(session, actor, request.path_params["cid"])
    return JSONResponse({"broadcasts": broadcasts})


routes: list[BaseRoute] = [
    route(
        "POST",
        "/api/campaigns/{cid:id}/broadcasts",
        post_route,
        Operation(
            "Send a message to every sender of the campaign", body=BroadcastBody, responses={201: _BROADCAST}
        ),
    ),
    route(
        "GET",
        "/api/campaigns/{cid:id}/broadcasts",
        list_route,
        Operation(
            "The campaign's broadcasts with who acknowledged them",
            responses={
                200: {
                    "type": "object",
                    "required": ["broadcasts"],
                    "properties": {"broadcasts": {"type": "array", "items": _BROADCAST}},
                }
            },
        ),
    ),
    route(
        "POST",
        "/api/campaigns/{cid:id}/broadcasts/{bid:id}/ack",
        ack_route,
        Operation(
            "A sender acknowledges a broadcast",
            body_required=False,
            responses={
                200: {
                    "type": "object",
                    "properties": {"id": {"type": "integer"}, "user_id": {"type": "integer"}},
                }
            },
        ),
    ),
]
