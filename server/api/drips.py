"""Scheduled texts and drips on inbox conversations (docs/inbox.md).

``GET /api/conversations/{id}/scheduled``, ``DELETE /api/scheduled/{id}``,
``GET|POST /api/drips``, ``DELETE /api/drips/{id}`` and
``POST /api/conversations/{id}/drip``. A single text is scheduled with
``POST /api/conversations/{id}/messages {"body", "send_at"}``
(``server/api/conversations.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from persistence.commands.drips import (
    MAX_STEPS,
    Step,
    apply_drip,
    create_drip,
    delete_drip,
    drip_data,
    list_drips,
)
from persistence.commands.scheduled import cancel_scheduled, list_scheduled, scheduled_data
from persistence.rules.schedule import MAX_AHEAD

from ..auth import authenticate
from ..parsing import Int, ListOf, Nested, Str, param, parse_body
from ..routing import Operation, route
from ..services import services
from .accounts import path_id

__all__ = [
    "ApplyBody",
    "DripBody",
    "StepBody",
    "apply_route",
    "cancel_route",
    "create_route",
    "delete_route",
    "list_route",
    "routes",
    "scheduled_route",
]

_YEAR = int(MAX_AHEAD.total_seconds())


@dataclass(frozen=True, slots=True, kw_only=True)
class StepBody:
    """One text of a drip, sent ``after_seconds`` after the drip is applied."""

    after_seconds: int = param(
        Int(minimum=0, maximum=_YEAR), required=True, description="Counted from when the drip is applied."
    )
    body: str = param(Str(max_len=1_000_000, allow_blank=True), required=True)


@dataclass(frozen=True, slots=True, kw_only=True)
class DripBody:
    """A drip: its name and its steps, in ascending ``after_seconds``."""

    name: str = param(Str(max_len=1000), required=True)
    steps: list[StepBody] = param(ListOf(Nested(StepBody), min_items=1, max_items=MAX_STEPS), required=True)


@dataclass(frozen=True, slots=True, kw_only=True)
class ApplyBody:
    """Which drip to apply."""

    drip_id: int = param(Int(minimum=1), required=True)


async def scheduled_route(request: Request) -> Response:
    actor = await authenticate(request)
    async with services(request).db.session() as session:
        rows = await list_scheduled(session, actor, path_id(request, "conversation_id"))
    return JSONResponse({"scheduled": [scheduled_data(r) for r in rows]})


async def cancel_route(request: Request) -> Response:
    actor = await authenticate(request)
    async with services(request).db.transaction() as session:
        await cancel_scheduled(session, actor, path_id(request, "scheduled_id"))
    return Response(status_code=204)


async def list_route(request: Request) -> Response:
    actor = await authenticate(request)
    async with services(request).db.session() as session:
        drips = await list_drips(session, actor)
    return JSONResponse({"drips": [drip_data(d) for d in drips]})


async def create_route(request: Request) -> Response:
    actor = await authenticate(request)
    body = await parse_body(request, DripBody)
    steps = [Step(s.after_seconds, s.body) for s in body.steps]
    async with services(request).db.transaction() as session:
        drip = await create_drip(session, actor, name=body.name, steps=steps)
    return JSONResponse(drip_data(drip), status_code=201)


async def delete_route(request: Request) -> Response:
    actor = await authenticate(request)
    async with services(request).db.transaction() as session:
        await delete_drip(session, actor, path_id(request, "drip_id"))
    return Response(status_code=204)


async def apply_route(request: Request) -> Response:
    actor = await authenticate(request)
    body = await parse_body(request, ApplyBody)
    svc = services(request)
    async with svc.db.transaction() as session:
        rows = await apply_drip(session, actor, path_id(request, "conversation_id"), body.drip_id)
    return JSONResponse({"scheduled": [scheduled_data(r) for r in rows]}, status_code=201)


_SCHEDULED: dict[str, Any] = {
    "type": "object",
    "required": ["id", "conversation_id", "body", "send_at", "state"],
    "properties": {
        "id": {"type": "integer"},
        "conversation_id": {"type": "integer"},
        "author_id": {"type": "integer"},
        "body": {"type": "string"},
        "send_at": {"type": "string"},
        "drip_id": {"type": ["integer", "null"]},
        "drip_step": {"type": ["integer", "null"]},
        "state": {"type": "string"},
        "message_id": {"type": ["integer", "null"]},
        "skip_reason": {"type": ["string", "null"]},
        "created_at": {"type": "string"},
    },
}
_SCHEDULED_LIST = {
    "type": "object",
    "required": ["scheduled"],
    "properties": {"scheduled": {"type": "array", "items": _SCHEDULED}},
}
_DRIP: dict[str, Any] = {
    "type": "object",
    "required": ["id", "name", "steps"],
    "properties": {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "steps": {"type": "array"},
        "created_at": {"type": "string"},
    },
}
_DRIPS = {"type": "object", "required": ["drips"], "properties": {"drips": {"type": "array", "items": _DRIP}}}
_ONE = "/api/conversations/{conversation_id:id}"

routes: list[BaseRoute] = [
    route(
        "GET",
        f"{_ONE}/scheduled",
        scheduled_route,
        Operation("A conversation's texts still to be sent", responses={200: _SCHEDULED_LIST}),
    ),
    route(
        "DELETE",
        "/api/scheduled/{scheduled_id:id}",
        cancel_route,
        Operation("Cancel a scheduled text", responses={204: None}, errors=(409,)),
    ),
    route("GET", "/api/drips", list_route, Operation("The organization's drips", responses={200: _DRIPS})),
    route("POST", "/api/drips", create_route, Operation("Add a drip", body=DripBody, responses={201: _DRIP})),
    route(
        "DELETE", "/api/drips/{drip_id:id}", delete_route, Operation("Delete a drip", responses={204: None})
    ),
    route(
        "POST",
        f"{_ONE}/drip",
        apply_route,
        Operation(
            "Apply a drip to an inbox conversation",
            body=ApplyBody,
            responses={201: _SCHEDULED_LIST},
            errors=(409,),
        ),
    ),
]
