"""``GET /api/campaigns/{cid}/overview``: totals and the senders table."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from persistence.queries.overview import MAX_SEARCH, SORTS, OverviewQuery, Sort, overview

from ..auth import authenticate
from ..parsing import Choice, Str, param, parse_query
from ..routing import Operation, route
from ..services import services

__all__ = [
    "OverviewParams",
    "campaign_overview",
    "routes",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class OverviewParams:
    """Filter and order of the senders table (the Unassigned row stays first)."""

    search: str | None = param(Str(max_len=MAX_SEARCH, allow_blank=True), description="Sender name.")
    sort: Sort = param(Choice(SORTS), default="sender", code="invalid_sort")
    order: str = param(Choice(("asc", "desc")), default="asc", code="invalid_order")


_OVERVIEW = {
    "type": "object",
    "required": ["total", "not_started", "needs_reply", "senders"],
    "properties": {
        "total": {"type": "integer"},
        "not_started": {"type": "integer"},
        "needs_reply": {"type": "integer"},
        "carrier_filtered": {"type": "integer", "description": "Texts the carriers filtered (30007)."},
        "senders": {"type": "array", "items": {"type": "object"}},
    },
}


async def campaign_overview(request: Request) -> Response:
    actor = await authenticate(request)
    svc = services(request)
    campaign_id: int = request.path_params["cid"]
    params = parse_query(request, OverviewParams)
    query = OverviewQuery((params.search or "").strip() or None, params.sort, params.order == "desc")
    async with svc.db.session() as session:
        result = await overview(session, actor, campaign_id, query)
    online = await svc.live.online(campaign_id) if svc.live is not None else set()
    return JSONResponse(result.to_json(online))


routes: list[BaseRoute] = [
    route(
        "GET",
        "/api/campaigns/{cid:id}/overview",
        campaign_overview,
        Operation("A campaign's totals and senders table", query=OverviewParams, responses={200: _OVERVIEW}),
    ),
]
