"""Moving conversations: bulk reassignment, one conversation, removing a
sender from a campaign, and senders taking conversations themselves."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from persistence.commands.reassign import reassign, reassign_conversation, remove_sender
from persistence.commands.self_assign import self_assign

from .. import live
from ..auth import authenticate
from ..services import services
from ..validation import json_object

__all__ = ["reassign_one_route", "reassign_route", "remove_sender_route", "routes", "self_assign_route"]


async def reassign_route(request: Request) -> Response:
    actor = await authenticate(request)
    body = await json_object(request)
    async with services(request).db.transaction() as session:
        result = await reassign(session, actor, request.path_params["cid"], body)
    return JSONResponse(result.to_json())


async def reassign_one_route(request: Request) -> Response:
    actor = await authenticate(request)
    body = await json_object(request)
    async with services(request).db.transaction() as session:
        result = await reassign_conversation(session, actor, request.path_params["id"], body)
    return JSONResponse(result.to_json())


async def remove_sender_route(request: Request) -> Response:
    actor = await authenticate(request)
    svc = services(request)
    campaign_id: int = request.path_params["cid"]
    user_id: int = request.path_params["uid"]
    async with svc.db.transaction() as session:
        result = await remove_sender(session, actor, campaign_id, user_id)
    # After the commit: the removed sender's live subscriptions end everywhere.
    await live.revoke_access(svc, user_id=user_id, campaign_id=campaign_id)
    return JSONResponse({"removed": user_id, **result.to_json()})


async def self_assign_route(request: Request) -> Response:
    actor = await authenticate(request)
    body = await json_object(request)
    async with services(request).db.transaction() as session:
        result = await self_assign(session, actor, request.path_params["cid"], body)
    return JSONResponse(result.to_json())


routes: list[BaseRoute] = [
    Route("/api/campaigns/{cid:int}/reassign", reassign_route, methods=["POST"]),
    Route("/api/conversations/{id:int}/reassign", reassign_one_route, methods=["POST"]),
    Route("/api/campaigns/{cid:int}/senders/{uid:int}", remove_sender_route, methods=["DELETE"]),
    Route("/api/campaigns/{cid:int}/self-assign", self_assign_route, methods=["POST"]),
]
