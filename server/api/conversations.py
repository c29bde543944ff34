"""The Admin Messenger and the actions on one conversation.

``GET /api/campaigns/{campaign_id}/conversations``, ``GET /api/conversations/{conversation_id}``,
``POST .../messages``, ``POST .../opt-out``, ``POST .../opt-in``, ``PUT .../survey``.
(``POST /api/conversations/{conversation_id}/reassign`` lives with the reassignment routes.)
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from persistence.commands.messaging import message_data, send_message
from persistence.commands.optouts import change_opt_out
from persistence.commands.surveys import record_answers
from persistence.outbox.notify import conversation_data
from persistence.queries.conversations import SenderFilter, conversation_view, list_conversations

from ..auth import authenticate
from ..errors import ApiError
from ..providers import deliver
from ..services import services
from ..validation import json_object, opt_bool, query_int
from .accounts import path_id

__all__ = [
    "list_route",
    "opt_in_route",
    "opt_out_route",
    "routes",
    "send_route",
    "survey_route",
    "view_route",
]


def _invalid(message: str) -> ApiError:
    return ApiError(422, "invalid_input", message)


async def list_route(request: Request) -> Response:
    actor = await authenticate(request)
    q = request.query_params
    sender: SenderFilter = None
    raw_sender = q.get("sender")
    if raw_sender:
        if raw_sender == "unassigned":
            sender = "unassigned"
        else:
            if not raw_sender.isdigit() or len(raw_sender) > 18:
                raise _invalid("'sender' must be a user id or 'unassigned'.")
            sender = int(raw_sender)
    search = q.get("search")
    if search is not None and len(search) > 200:
        raise _invalid("'search' is longer than 200 characters.")
    limit = query_int(request, "limit", default=50, minimum=1) or 50
    async with services(request).db.session() as session:
        page = await list_conversations(
            session,
            actor,
            path_id(request, "campaign_id"),
            sender=sender,
            tab=q.get("tab") or None,
            search=search,
            sort=q.get("sort") or None,
            limit=limit,
            cursor=q.get("cursor") or None,
        )
    return JSONResponse({"conversations": page.rows, "next_cursor": page.next_cursor})


async def view_route(request: Request) -> Response:
    actor = await authenticate(request)
    async with services(request).db.session() as session:
        view = await conversation_view(session, actor, path_id(request, "conversation_id"))
    return JSONResponse(view)


async def send_route(request: Request) -> Response:
    actor = await authenticate(request)
    # No request body at all means the same as {}: send the initial message.
    body = await json_object(request) if (await request.body()).strip() else {}
    text = body.get("body")
    if text is not None and not isinstance(text, str):
        raise _invalid("'body' must be a string.")
    follow_up = opt_bool(body, "follow_up") or False
    note = opt_bool(body, "note") or False
    svc = services(request)
    async with svc.db.transaction() as session:
        out = await send_message(
            session, actor, path_id(request, "conversation_id"), body=text, follow_up=follow_up, note=note
        )
    message = await deliver(svc, out)
    return JSONResponse(
        {
            "kind": out.kind,
            "message": message_data(message),
            "conversation": conversation_data(out.conversation),
        },
        status_code=201,
    )


async def _opt(request: Request, opted_out: bool) -> Response:
    actor = await authenticate(request)
    async with services(request).db.transaction() as session:
        result = await change_opt_out(
            session, actor, path_id(request, "conversation_id"), opted_out=opted_out
        )
    return JSONResponse(
        {
            "opted_out": result.opted_out,
            "conversations_updated": result.conversations_updated,
            "conversation": conversation_data(result.conversation),
        }
    )


async def opt_out_route(request: Request) -> Response:
    return await _opt(request, True)


async def opt_in_route(request: Request) -> Response:
    return await _opt(request, False)


async def survey_route(request: Request) -> Response:
    actor = await authenticate(request)
    body = await json_object(request)
    answers: Any = body.get("answers")
    if not isinstance(answers, dict):
        raise _invalid("'answers' must be an object of question id to answer.")
    async with services(request).db.transaction() as session:
        survey = await record_answers(session, actor, path_id(request, "conversation_id"), answers)
    return JSONResponse({"conversation_id": path_id(request, "conversation_id"), "survey": survey})


routes: list[BaseRoute] = [
    Route("/api/campaigns/{campaign_id}/conversations", list_route, methods=["GET"]),
    Route("/api/conversations/{conversation_id}", view_route, methods=["GET"]),
    Route("/api/conversations/{conversation_id}/messages", send_route, methods=["POST"]),
    Route("/api/conversations/{conversation_id}/opt-out", opt_out_route, methods=["POST"]),
    Route("/api/conversations/{conversation_id}/opt-in", opt_in_route, methods=["POST"]),
    Route("/api/conversations/{conversation_id}/survey", survey_route, methods=["PUT"]),
]
