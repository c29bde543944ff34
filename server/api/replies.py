"""Recommended replies: ``GET|POST /api/campaigns/{cid}/replies`` and ``GET|POST /api/replies``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from persistence.replies import create_reply, list_replies, reply_data

from ..auth import authenticate
from ..services import services
from ..validation import json_object, req_str

__all__ = ["routes"]


async def list_route(request: Request) -> Response:
    actor = await authenticate(request)
    async with services(request).db.session() as session:
        replies = await list_replies(session, actor, campaign_id=request.path_params.get("cid"))
    return JSONResponse({"replies": [reply_data(r) for r in replies]})


async def create_route(request: Request) -> Response:
    actor = await authenticate(request)
    body = await json_object(request)
    title = req_str(body, "title", max_len=200)
    text = req_str(body, "body", max_len=1600)
    async with services(request).db.transaction() as session:
        reply = await create_reply(
            session, actor, campaign_id=request.path_params.get("cid"), title=title, body=text
        )
    return JSONResponse(reply_data(reply), status_code=201)


routes: list[BaseRoute] = [
    Route("/api/campaigns/{cid:int}/replies", list_route, methods=["GET"]),
    Route("/api/campaigns/{cid:int}/replies", create_route, methods=["POST"]),
    Route("/api/replies", list_route, methods=["GET"]),
    Route("/api/replies", create_route, methods=["POST"]),
]
