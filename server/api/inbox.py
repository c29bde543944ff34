"""The inbox and what any conversation can have done to it besides texting.

``POST /api/inbox/conversations`` (start or reuse), ``GET /api/inbox``;
``POST /api/conversations/{id}/archive`` and ``/unarchive``, bulk
``POST /api/conversations/archive``; ``DELETE /api/conversations/{id}``;
``GET /api/conversations/{id}/export``. The thread, texting, notes and
opt-outs of an inbox conversation are the campaign conversations' routes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from persistence.commands.deletion import delete_conversation
from persistence.commands.inbox import MAX_BULK, set_archived, set_archived_many, start_conversation
from persistence.queries.conversation_export import export_conversation
from persistence.queries.conversations import conversation_view
from persistence.queries.inbox import MAX_LIMIT, list_inbox
from persistence.rules.export_range import export_range
from persistence.rules.inbox_cursor import InboxCursor, decode_inbox_cursor
from persistence.store.types import utcnow

from ..auth import authenticate
from ..parsing import Bool, Choice, Cursor, DateTime, Int, ListOf, Str, param, parse_body, parse_query
from ..routing import Operation, route
from ..services import services
from .accounts import path_id

__all__ = [
    "ArchiveBody",
    "ExportQuery",
    "InboxQuery",
    "StartBody",
    "archive_many_route",
    "archive_route",
    "delete_route",
    "export_route",
    "list_route",
    "routes",
    "start_route",
    "unarchive_route",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class StartBody:
    """Either a phone number or an address-book contact."""

    phone: str | None = param(Str(max_len=40), description="Any common form; stored in E.164.")
    contact_id: int | None = param(Int(minimum=1), description="An address-book (or campaign) contact.")


@dataclass(frozen=True, slots=True, kw_only=True)
class InboxQuery:
    user: int | None = param(Int(minimum=1), description="Another user's inbox (sweepers).")
    archived: bool = param(Bool(), default=False, description="List the archived conversations instead.")
    search: str | None = param(
        Str(max_len=200, allow_blank=True),
        description="Contact name, or digits of the phone; finds archived ones too.",
    )
    limit: int = param(Int(minimum=1, maximum=MAX_LIMIT), default=50)
    cursor: InboxCursor | None = param(
        Cursor(decode_inbox_cursor), code="invalid_cursor", description="The previous page's next_cursor."
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class ArchiveBody:
    conversation_ids: list[int] = param(
        ListOf(Int(minimum=1), min_items=1, max_items=MAX_BULK), required=True
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class ExportQuery:
    format: str = param(Choice(("csv", "html")), default="csv")
    start: datetime | None = param(DateTime(), description="Default: seven days before end.")
    end: datetime | None = param(DateTime(), description="Default: now. At most seven days after start.")


async def start_route(request: Request) -> Response:
    actor = await authenticate(request)
    body = await parse_body(request, StartBody)
    async with services(request).db.transaction() as session:
        conversation, created = await start_conversation(
            session, actor, phone=body.phone, contact_id=body.contact_id
        )
        view = await conversation_view(session, actor, conversation.id)
    return JSONResponse(view, status_code=201 if created else 200)


async def list_route(request: Request) -> Response:
    actor = await authenticate(request)
    query = parse_query(request, InboxQuery)
    async with services(request).db.session() as session:
        page = await list_inbox(
            session,
            actor,
            user=query.user,
            archived=query.archived,
            search=query.search,
            limit=query.limit,
            cursor=query.cursor,
        )
    return JSONResponse({"conversations": page.rows, "next_cursor": page.next_cursor})


async def _archive(request: Request, archived: bool) -> Response:
    actor = await authenticate(request)
    async with services(request).db.transaction() as session:
        conversation = await set_archived(session, actor, path_id(request, "conversation_id"), archived)
    return JSONResponse({"id": conversation.id, "archived": conversation.archived})


async def archive_route(request: Request) -> Response:
    return await _archive(request, True)


async def unarchive_route(request: Request) -> Response:
    return await _archive(request, False)


async def archive_many_route(request: Request) -> Response:
    actor = await authenticate(request)
    body = await parse_body(request, ArchiveBody)
    async with services(request).db.transaction() as session:
        ids = await set_archived_many(session, actor, body.conversation_ids, True)
    return JSONResponse({"archived": ids})


async def delete_route(request: Request) -> Response:
    actor = await authenticate(request)
    conversation_id = path_id(request, "conversation_id")
    async with services(request).db.transaction() as session:
        messages = await delete_conversation(session, actor, conversation_id)
    return JSONResponse({"id": conversation_id, "deleted": True, "messages_deleted": messages})


async def export_route(request: Request) -> Response:
    actor = await authenticate(request)
    query = parse_query(request, ExportQuery)
    start, end = export_range(query.start, query.end, utcnow())
    conversation_id = path_id(request, "conversation_id")
    async with services(request).db.session() as session:
        export = await export_conversation(session, actor, conversation_id, start, end)
    name = f"conversation-{conversation_id}.{query.format}"
    disposition = {"Content-Disposition": f'attachment; filename="{name}"'}
    if query.format == "html":
        return Response(export.html(), media_type="text/html; charset=utf-8", headers=disposition)
    return Response(export.csv(), media_type="text/csv; charset=utf-8", headers=disposition)


_ROW: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "user_id": {"type": ["integer", "null"]},
        "contact": {"type": "object"},
        "status": {"type": "string"},
        "needs_reply": {"type": "boolean"},
        "archived": {"type": "boolean"},
        "last_message_at": {"type": ["string", "null"]},
    },
}
_THREAD = {"type": "object", "properties": {"messages": {"type": "array"}, "contact": {"type": "object"}}}
_ARCHIVED = {"type": "object", "properties": {"id": {"type": "integer"}, "archived": {"type": "boolean"}}}
_ONE = "/api/conversations/{conversation_id:id}"

routes: list[BaseRoute] = [
    route(
        "POST",
        "/api/inbox/conversations",
        start_route,
        Operation(
            "Start an inbox conversation (or get the caller's open one)",
            body=StartBody,
            responses={201: _THREAD, 200: _THREAD},
        ),
    ),
    route(
        "GET",
        "/api/inbox",
        list_route,
        Operation(
            "Inbox conversations, newest first",
            query=InboxQuery,
            responses={
                200: {
                    "type": "object",
                    "required": ["conversations", "next_cursor"],
                    "properties": {
                        "conversations": {"type": "array", "items": _ROW},
                        "next_cursor": {"type": ["string", "null"]},
                    },
                }
            },
        ),
    ),
    route(
        "POST",
        "/api/conversations/archive",
        archive_many_route,
        Operation("Archive several conversations", body=ArchiveBody, responses={200: {"type": "object"}}),
    ),
    route(
        "POST",
        f"{_ONE}/archive",
        archive_route,
        Operation("Archive a conversation", responses={200: _ARCHIVED}),
    ),
    route(
        "POST",
        f"{_ONE}/unarchive",
        unarchive_route,
        Operation("Bring an archived conversation back", responses={200: _ARCHIVED}),
    ),
    route(
        "DELETE",
        _ONE,
        delete_route,
        Operation("Delete a conversation and all its messages", responses={200: {"type": "object"}}),
    ),
    route(
        "GET",
        f"{_ONE}/export",
        export_route,
        Operation(
            "Export a conversation's messages (at most seven days)",
            query=ExportQuery,
            responses={200: {"type": "string"}},
            response_media="text/csv",
        ),
    ),
]
