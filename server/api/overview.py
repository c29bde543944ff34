"""``GET /api/campaigns/{cid}/overview``: totals and the senders table."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from persistence.queries.overview import overview, parse_query

from .. import live
from ..auth import authenticate
from ..services import services

__all__ = ["campaign_overview", "routes"]


async def campaign_overview(request: Request) -> Response:
    actor = await authenticate(request)
    svc = services(request)
    campaign_id: int = request.path_params["cid"]
    params = request.query_params
    query = parse_query(params.get("search"), params.get("sort"), params.get("order"))
    async with svc.db.session() as session:
        result = await overview(session, actor, campaign_id, query)
    online = await live.online_users(svc, campaign_id)
    return JSONResponse(result.to_json(online))


routes: list[BaseRoute] = [
    Route("/api/campaigns/{cid:int}/overview", campaign_overview, methods=["GET"]),
]
