"""Recommended replies: ``GET|POST /api/campaigns/{campaign_id}/replies`` and ``GET|POST /api/replies``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from persistence.commands.recommended_replies import create_reply, list_replies, reply_data

from ..auth import authenticate
from ..services import services
from ..validation import json_object, req_str
from .accounts import path_id

__all__ = ["create_route", "list_route", "routes"]


def _campaign_id(request: Request) -> int | None:
    return path_id(request, "campaign_id") if "campaign_id" in request.path_params else None


async def list_route(request: Request) -> Response:
    actor = await authenticate(request)
    async with services(request).db.session() as session:
        replies = await list_replies(session, actor, campaign_id=_campaign_id(request))
    return JSONResponse({"replies": [reply_data(r) for r in replies]})


async def create_route(request: Request) -> Response:
    actor = await authenticate(request)
    body = await json_object(request)
    title = req_str(body, "title", max_len=200)
    text = req_str(body, "body", max_len=1600)
    async with services(request).db.transaction() as session:
        reply = await create_reply(session, actor, campaign_id=_campaign_id(request), title=title, body=text)
    return JSONResponse(reply_data(reply), status_code=201)


routes: list[BaseRoute] = [
    Route("/api/campaigns/{campaign_id}/replies", list_route, methods=["GET"]),
    Route("/api/campaigns/{campaign_id}/replies", create_route, methods=["POST"]),
    Route("/api/replies", list_route, methods=["GET"]),
    Route("/api/replies", create_route, methods=["POST"]),
]
