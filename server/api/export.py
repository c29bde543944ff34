"""``GET /api/campaigns/{campaign_id}/export.csv``: the whole campaign, streamed (sweepers only)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute

from persistence.queries.export import authorize_export, export_csv

from ..auth import authenticate
from ..routing import Operation, route
from ..services import services
from .accounts import path_id

__all__ = ["export_route", "routes"]


async def export_route(request: Request) -> Response:
    actor = await authenticate(request)
    cid = path_id(request, "campaign_id")
    db = services(request).db
    # Checked before the first byte, so a refusal is still a JSON error.
    redact = await authorize_export(db, actor, cid)
    return StreamingResponse(
        export_csv(db, cid, redact=redact),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="campaign-{cid}.csv"'},
    )


routes: list[BaseRoute] = [
    route(
        "GET",
        "/api/campaigns/{campaign_id:id}/export.csv",
        export_route,
        Operation(
            "Every conversation and message, as CSV",
            responses={200: {"type": "string"}},
            response_media="text/csv",
        ),
    )
]
