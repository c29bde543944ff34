"""Shift control on presence: ``POST /api/campaigns/{cid}/rebalance`` and ``.../release``."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from persistence.commands.shift import rebalance, release

from ..auth import authenticate
from ..parsing import Bool, Choice, param, parse_body
from ..routing import Operation, route
from ..services import services
from .reassign import MOVED_SCHEMA

__all__ = ["RebalanceBody", "rebalance_route", "release_route", "routes"]


@dataclass(frozen=True, slots=True, kw_only=True)
class RebalanceBody:
    """Move the waiting replies of offline senders to the online ones."""

    from_: str = param(Choice(("offline",)), key="from", required=True, code="invalid_from")
    status: str = param(Choice(("needs_reply",)), required=True, code="invalid_status")
    dry_run: bool = param(
        Bool(), default=False, description="Tell who would give how many to whom; move nothing."
    )


# Answered like a reassignment; a rebalance's preview also says who gives how many to whom.
_MOVED = {
    **MOVED_SCHEMA,
    "properties": {
        **MOVED_SCHEMA["properties"],
        "dry_run": {"type": "boolean"},
        "moves": {"type": "array", "items": {"type": "object"}},
    },
}


async def rebalance_route(request: Request) -> Response:
    actor = await authenticate(request)
    body = await parse_body(request, RebalanceBody)
    svc = services(request)
    cid: int = request.path_params["cid"]
    online = await svc.live.online(cid) if svc.live is not None else set()
    async with svc.db.transaction() as session:
        result = await rebalance(session, actor, cid, online, dry_run=body.dry_run)
    return JSONResponse(result.to_json())


async def release_route(request: Request) -> Response:
    actor = await authenticate(request)
    async with services(request).db.transaction() as session:
        result = await release(session, actor, request.path_params["cid"])
    return JSONResponse(result.to_json())


routes: list[BaseRoute] = [
    route(
        "POST",
        "/api/campaigns/{cid:id}/rebalance",
        rebalance_route,
        Operation(
            "Move the waiting replies of offline senders to online senders",
            body=RebalanceBody,
            responses={200: _MOVED},
            errors=(409,),
        ),
    ),
    route(
        "POST",
        "/api/campaigns/{cid:id}/release",
        release_route,
        Operation(
            "A sender gives back their waiting and not-started conversations",
            body_required=False,
            responses={200: _MOVED},
        ),
    ),
]
