"""What the Messengers show around their lists: the tabs' counts and the Phone Number Lookup.

``GET /api/campaigns/{campaign_id}/conversations/counts`` and
``GET /api/conversations/{conversation_id}/phone-lookup``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from persistence.queries.phone_lookup import phone_lookup
from persistence.queries.tabs import TAB_NAMES, tab_counts

from ..auth import authenticate
from ..parsing import param, parse_query
from ..routing import SENDER_FILTER, Operation, route
from ..services import services
from .accounts import path_id

__all__ = ["CountsQuery", "counts_route", "lookup_route", "routes"]


@dataclass(frozen=True, slots=True, kw_only=True)
class CountsQuery:
    """Whose tabs to count: a sender, the Unassigned pool, or (left out) the whole campaign."""

    sender: int | str | None = param(SENDER_FILTER)


async def counts_route(request: Request) -> Response:
    actor = await authenticate(request)
    query = parse_query(request, CountsQuery)
    async with services(request).db.session() as session:
        answer = await tab_counts(session, actor, path_id(request, "campaign_id"), query.sender)
    return JSONResponse(answer)


async def lookup_route(request: Request) -> Response:
    actor = await authenticate(request)
    async with services(request).db.session() as session:
        answer = await phone_lookup(session, actor, path_id(request, "conversation_id"))
    return JSONResponse(answer)


_COUNTS: dict[str, Any] = {
    "type": "object",
    "required": ["counts", "initial_tab"],
    "properties": {
        "counts": {
            "type": "object",
            "required": list(TAB_NAMES),
            "properties": {tab: {"type": "integer"} for tab in TAB_NAMES},
        },
        "initial_tab": {"type": "boolean"},
    },
}
_LOOKUP: dict[str, Any] = {
    "type": "object",
    "required": ["phone", "opted_out", "truncated", "conversations"],
    "properties": {
        "phone": {"type": "string"},
        "opted_out": {"type": "boolean"},
        "truncated": {"type": "boolean"},
        "conversations": {"type": "array", "items": {"type": "object"}},
    },
}

routes: list[BaseRoute] = [
    route(
        "GET",
        "/api/campaigns/{campaign_id:id}/conversations/counts",
        counts_route,
        Operation(
            "How many conversations each Messenger tab holds", query=CountsQuery, responses={200: _COUNTS}
        ),
    ),
    route(
        "GET",
        "/api/conversations/{conversation_id:id}/phone-lookup",
        lookup_route,
        Operation(
            "Every conversation of this contact's phone number in the organization's campaigns",
            responses={200: _LOOKUP},
        ),
    ),
]
