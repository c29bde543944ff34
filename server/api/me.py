"""``GET /api/campaigns/{cid}/me``: the caller's own counters in a campaign."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from persistence.queries.my_counts import my_counts

from ..auth import authenticate
from ..routing import Operation, route
from ..services import services

__all__ = ["campaign_me", "routes"]


async def campaign_me(request: Request) -> Response:
    actor = await authenticate(request)
    svc = services(request)
    campaign_id: int = request.path_params["cid"]
    async with svc.db.session() as session:
        counts = await my_counts(session, actor, campaign_id)
    return JSONResponse(counts.to_json())


routes: list[BaseRoute] = [
    route("GET", "/api/campaigns/{cid:id}/me", campaign_me, Operation("Your own counters in a campaign")),
]
