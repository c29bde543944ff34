"""The Admin Messenger and the actions on one conversation.

``GET /api/campaigns/{campaign_id}/conversations``, ``GET /api/conversations/{conversation_id}``,
``POST .../messages``, ``POST .../opt-out``, ``POST .../opt-in``, ``PUT .../survey``.
(``POST /api/conversations/{conversation_id}/reassign`` lives with the reassignment routes.)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from persistence.commands.messaging import message_data, send_message
from persistence.commands.optouts import change_opt_out
from persistence.commands.scheduled import schedule_message, scheduled_data
from persistence.commands.surveys import record_answers
from persistence.outbox.notify import conversation_data
from persistence.queries.conversations import SenderFilter, conversation_view, list_conversations
from persistence.rules.errors import InvalidInput
from persistence.rules.media import MAX_MEDIA_PER_MESSAGE

from ..auth import authenticate
from ..media_links import with_links
from ..parsing import Bool, DateTime, Int, ListOf, MapOf, Nullable, Str, param, parse_body, parse_query
from ..routing import SENDER_FILTER, Operation, route
from ..services import services
from .accounts import path_id

__all__ = [
    "ListQuery",
    "SendBody",
    "SurveyBody",
    "list_route",
    "opt_in_route",
    "opt_out_route",
    "routes",
    "send_route",
    "survey_route",
    "view_route",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class ListQuery:
    """The Admin Messenger's filters and paging."""

    sender: int | str | None = param(SENDER_FILTER)
    tab: str | None = param(Str(max_len=32), description="initial, responses, follow_ups or opt_outs.")
    search: str | None = param(Str(max_len=200, allow_blank=True), description="Contact name, substring.")
    sort: str | None = param(Str(max_len=32), description="needs_reply, recent or az.")
    limit: int = param(Int(minimum=1), default=50)
    cursor: str | None = param(Str(max_len=2000))


@dataclass(frozen=True, slots=True, kw_only=True)
class SendBody:
    """A text (or a note); an empty body or no ``body`` sends the initial message."""

    # The length rule (and its code) is the message's own, checked when it is sent.
    body: str | None = param(Nullable(Str(max_len=1_000_000, allow_blank=True)))
    follow_up: bool | None = param(Nullable(Bool()), description="Send the campaign's follow-up message.")
    note: bool | None = param(Nullable(Bool()), description="An internal note, never sent to the contact.")
    media_ids: list[int] | None = param(
        Nullable(ListOf(Int(minimum=1), max_items=MAX_MEDIA_PER_MESSAGE)),
        description="Files uploaded with POST /api/media: an MMS (then 'body' may be left out).",
    )
    send_at: datetime | None = param(
        Nullable(DateTime()),
        description="Send later, at this time (inbox conversations, no media_ids; see docs/inbox.md).",
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class SurveyBody:
    """Answers by question id; null clears one."""

    answers: dict[str, str | None] = param(
        MapOf(Nullable(Str(max_len=10_000, allow_blank=True))), required=True
    )


async def list_route(request: Request) -> Response:
    actor = await authenticate(request)
    query = parse_query(request, ListQuery)
    sender = cast(SenderFilter, query.sender)
    async with services(request).db.session() as session:
        page = await list_conversations(
            session,
            actor,
            path_id(request, "campaign_id"),
            sender=sender,
            tab=query.tab,
            search=query.search,
            sort=query.sort,
            limit=query.limit,
            cursor=query.cursor,
        )
    return JSONResponse({"conversations": page.rows, "next_cursor": page.next_cursor})


async def view_route(request: Request) -> Response:
    actor = await authenticate(request)
    svc = services(request)
    async with svc.db.session() as session:
        view = await conversation_view(session, actor, path_id(request, "conversation_id"))
    with_links(svc.secret, view["messages"])
    return JSONResponse(view)


async def send_route(request: Request) -> Response:
    actor = await authenticate(request)
    # No request body at all means the same as {}: send the initial message.
    body = await parse_body(request, SendBody, empty={})
    svc = services(request)
    if body.send_at is not None:
        return await _schedule(request, body, body.send_at)
    async with svc.db.transaction() as session:
        out = await send_message(
            session,
            actor,
            path_id(request, "conversation_id"),
            body=body.body,
            follow_up=body.follow_up or False,
            note=body.note or False,
            media_ids=body.media_ids,
        )
    if out.to is not None:  # queued (notes are not): the send queue takes it from here
        svc.wake_queue()
    return JSONResponse(
        {
            "kind": out.kind,
            "message": with_links(svc.secret, [message_data(out.message)])[0],
            "conversation": conversation_data(out.conversation),
        },
        status_code=201,
    )


async def _schedule(request: Request, body: SendBody, send_at: datetime) -> Response:
    """A text to send later: the scheduler queues it at ``send_at``."""
    if body.follow_up or body.note or body.body is None:
        raise InvalidInput(
            "A scheduled text is a 'body' of its own, not a note or follow-up.", code="invalid_input"
        )
    if body.media_ids:
        # Nothing sent is dropped silently: a picture is sent now or not at all.
        raise InvalidInput("A scheduled text carries no media: send the picture now.", code="invalid_input")
    actor = await authenticate(request)
    async with services(request).db.transaction() as session:
        row = await schedule_message(
            session, actor, path_id(request, "conversation_id"), body=body.body, send_at=send_at
        )
    return JSONResponse({"kind": "scheduled", "scheduled": scheduled_data(row)}, status_code=201)


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
    answers = (await parse_body(request, SurveyBody)).answers
    async with services(request).db.transaction() as session:
        survey = await record_answers(session, actor, path_id(request, "conversation_id"), answers)
    return JSONResponse({"conversation_id": path_id(request, "conversation_id"), "survey": survey})


_OBJECT: dict[str, Any] = {"type": "object"}
_CONVERSATION = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "sender_id": {"type": ["integer", "null"]},
        "status": {"type": "string"},
        "needs_reply": {"type": "boolean"},
        "last_message_at": {"type": ["string", "null"]},
    },
}
_PAGE = {
    "type": "object",
    "required": ["conversations", "next_cursor"],
    "properties": {
        "conversations": {"type": "array", "items": _OBJECT},
        "next_cursor": {"type": ["string", "null"]},
    },
}
_SENT = {
    "type": "object",
    # A text sent now has "message" and "conversation"; one scheduled ("kind": "scheduled") "scheduled".
    "required": ["kind"],
    "properties": {
        "kind": {"type": "string"},
        "message": _OBJECT,
        "conversation": _CONVERSATION,
        "scheduled": _OBJECT,
    },
}
_OPT = {
    "type": "object",
    "required": ["opted_out", "conversations_updated", "conversation"],
    "properties": {
        "opted_out": {"type": "boolean"},
        "conversations_updated": {"type": "integer"},
        "conversation": _CONVERSATION,
    },
}
_SURVEY = {
    "type": "object",
    "required": ["conversation_id", "survey"],
    "properties": {"conversation_id": {"type": "integer"}, "survey": {"type": "array"}},
}
_THREAD = {
    "type": "object",
    "properties": {"messages": {"type": "array"}, "survey": {"type": "array"}, "contact": _OBJECT},
}
_ONE = "/api/conversations/{conversation_id:id}"

routes: list[BaseRoute] = [
    route(
        "GET",
        "/api/campaigns/{campaign_id:id}/conversations",
        list_route,
        Operation("The Admin Messenger's conversation list", query=ListQuery, responses={200: _PAGE}),
    ),
    route("GET", _ONE, view_route, Operation("A conversation's thread", responses={200: _THREAD})),
    route(
        "POST",
        f"{_ONE}/messages",
        send_route,
        Operation(
            "Send a text or add a note",
            body=SendBody,
            body_required=False,
            responses={201: _SENT},
            errors=(409, 423),
        ),
    ),
    route("POST", f"{_ONE}/opt-out", opt_out_route, Operation("Opt the contact out", responses={200: _OPT})),
    route(
        "POST", f"{_ONE}/opt-in", opt_in_route, Operation("Opt the contact back in", responses={200: _OPT})
    ),
    route(
        "PUT",
        f"{_ONE}/survey",
        survey_route,
        Operation("Record survey answers", body=SurveyBody, responses={200: _SURVEY}, errors=(423,)),
    ),
]
