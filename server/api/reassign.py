"""Moving conversations: bulk reassignment, one conversation, removing a
sender from a campaign, and senders taking conversations themselves.

The bodies are checked here, into the typed requests the persistence commands
take; the rules of where ``from``/``to`` may point live in
:mod:`persistence.rules.reassignment` (documented in docs/sweeping.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, cast

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from persistence.commands.reassign import reassign, reassign_conversation, remove_sender
from persistence.commands.self_assign import self_assign
from persistence.rules.errors import InvalidInput
from persistence.rules.reassignment import (
    ACTIONS,
    MAX_COUNT,
    STATUS_FILTERS,
    Action,
    ReassignRequest,
    Sources,
    StatusFilter,
)

from ..auth import authenticate
from ..live import runtime as live
from ..parsing import (
    ABSENT,
    Absent,
    AnyOf,
    Choice,
    Int,
    ListOf,
    Nullable,
    param,
    parse_body,
    parse_object,
)
from ..routing import Operation, route
from ..services import services

__all__ = [
    "MOVED_SCHEMA",
    "ReassignBody",
    "ReassignOneBody",
    "SelfAssignBody",
    "parse_reassign",
    "reassign_one_route",
    "reassign_request",
    "reassign_route",
    "remove_sender_route",
    "routes",
    "self_assign_route",
]

_KEYWORDS = ("unassigned", "all_senders")
_TO_MESSAGE = '\'to\' must be a non-empty list of distinct sender ids, "unassigned" or "all_senders".'


@dataclass(frozen=True, slots=True, kw_only=True)
class ReassignBody:
    """A bulk move of a campaign's conversations."""

    action: str = param(Choice(ACTIONS), required=True, code="invalid_action")
    from_: list[int | None] | Absent | None = param(
        Nullable(ListOf(Nullable(Int()), min_items=1)),
        key="from",
        default=ABSENT,
        description="Sender ids (null: the Unassigned pool); null alone: the pool; left out: everyone.",
    )
    status: str | None = param(Nullable(Choice(STATUS_FILTERS)), code="invalid_status")
    count: int | None = param(Nullable(Int(minimum=1)), code="invalid_count")
    to: list[int] | str | None = param(
        Nullable(
            AnyOf(
                [Choice(_KEYWORDS), ListOf(Int(), min_items=1, unique=True)],
                message=_TO_MESSAGE,
            )
        )
    )


def reassign_request(body: ReassignBody) -> ReassignRequest:
    """The checked move, with the rules that tie the keys together.

    Raises:
        InvalidInput: ``count`` left out of ``reassign_some`` (``invalid_count``),
            or a ``to`` the action does not take.
    """
    action = cast(Action, body.action)
    if action == "reassign_some" and body.count is None:
        raise InvalidInput("'count' must be a positive whole number.", code="invalid_count")
    to: tuple[int, ...] | Literal["unassigned", "all_senders"]
    if action == "unassign_all":
        if body.to not in (None, "unassigned"):
            raise InvalidInput("'unassign_all' moves conversations to the Unassigned pool; leave 'to' out.")
        to = "unassigned"
    elif body.to is None:
        raise InvalidInput(_TO_MESSAGE)
    else:
        to = (
            tuple(body.to)
            if isinstance(body.to, list)
            else cast(Literal["unassigned", "all_senders"], body.to)
        )
    sources: Sources | None
    if body.from_ is ABSENT:
        sources = None
    elif body.from_ is None:
        sources = Sources(frozenset(), True)
    else:
        sources = Sources(frozenset(i for i in body.from_ if i is not None), None in body.from_)
    return ReassignRequest(
        action=action,
        sources=sources,
        status="any" if action == "unassign_all" else cast(StatusFilter, body.status or "any"),
        count=min(body.count, MAX_COUNT) if action == "reassign_some" and body.count is not None else None,
        to=to,
    )


def parse_reassign(raw: Mapping[str, Any]) -> ReassignRequest:
    """A decoded reassign body as the typed request (what the handler does after reading JSON)."""
    return reassign_request(parse_object(ReassignBody, raw))


@dataclass(frozen=True, slots=True, kw_only=True)
class ReassignOneBody:
    """Move one conversation."""

    to: int | None = param(
        Nullable(Int()), required=True, description="A sender id, or null for the Unassigned pool."
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class SelfAssignBody:
    """Take unassigned, not-started conversations."""

    count: int = param(Int(minimum=1), required=True, code="invalid_count")


MOVED_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["moved", "per_target"],
    "properties": {
        "moved": {"type": "integer"},
        "per_target": {"type": "object", "additionalProperties": {"type": "integer"}},
    },
}


_REMOVED = {**MOVED_SCHEMA, "properties": {**MOVED_SCHEMA["properties"], "removed": {"type": "integer"}}}


async def reassign_route(request: Request) -> Response:
    actor = await authenticate(request)
    move = reassign_request(await parse_body(request, ReassignBody))
    async with services(request).db.transaction() as session:
        result = await reassign(session, actor, request.path_params["cid"], move)
    return JSONResponse(result.to_json())


async def reassign_one_route(request: Request) -> Response:
    actor = await authenticate(request)
    body = await parse_body(request, ReassignOneBody)
    async with services(request).db.transaction() as session:
        result = await reassign_conversation(session, actor, request.path_params["id"], body.to)
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
    body = await parse_body(request, SelfAssignBody)
    async with services(request).db.transaction() as session:
        result = await self_assign(session, actor, request.path_params["cid"], body.count)
    return JSONResponse(result.to_json())


routes: list[BaseRoute] = [
    route(
        "POST",
        "/api/campaigns/{cid:id}/reassign",
        reassign_route,
        Operation("Move conversations in bulk", body=ReassignBody, responses={200: MOVED_SCHEMA}),
    ),
    route(
        "POST",
        "/api/conversations/{id:id}/reassign",
        reassign_one_route,
        Operation("Move one conversation", body=ReassignOneBody, responses={200: MOVED_SCHEMA}),
    ),
    route(
        "DELETE",
        "/api/campaigns/{cid:id}/senders/{uid:id}",
        remove_sender_route,
        Operation(
            "Remove a sender; their conversations go back to the pool",
            responses={
                200: {
                    **MOVED_SCHEMA,
                    "properties": {**MOVED_SCHEMA["properties"], "removed": {"type": "integer"}},
                }
            },
        ),
    ),
    route(
        "POST",
        "/api/campaigns/{cid:id}/self-assign",
        self_assign_route,
        Operation(
            "A sender takes conversations",
            body=SelfAssignBody,
            responses={
                200: {
                    "type": "object",
                    "required": ["count", "conversation_ids"],
                    "properties": {
                        "count": {"type": "integer"},
                        "conversation_ids": {"type": "array", "items": {"type": "integer"}},
                    },
                }
            },
            errors=(423,),
        ),
    ),
]
