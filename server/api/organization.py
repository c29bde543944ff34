"""``GET /api/organization`` and ``PATCH /api/organization`` (phone redaction)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from persistence.store.models import Organization
from persistence.store.scope import require_admin

from ..auth import authenticate
from ..errors import ApiError
from ..services import services
from ..validation import json_object, opt_bool

__all__ = ["get_route", "organization_json", "patch_route", "routes"]


def organization_json(org: Organization) -> dict[str, Any]:
    # The webhook token is a secret: never shown.
    return {
        "id": org.id,
        "name": org.name,
        "sending_number": org.sending_number,
        "redact_phones": org.redact_phones,
    }


async def get_route(request: Request) -> Response:
    actor = await authenticate(request)
    async with services(request).db.session() as session:
        org = await session.get_one(Organization, actor.organization_id)
    return JSONResponse(organization_json(org))


async def patch_route(request: Request) -> Response:
    actor = await authenticate(request)
    require_admin(actor)
    body = await json_object(request)
    unknown = set(body) - {"redact_phones"}
    if unknown:
        raise ApiError(422, "invalid_input", f"Unknown field(s): {', '.join(sorted(unknown))}.")
    redact = opt_bool(body, "redact_phones")
    async with services(request).db.transaction() as session:
        org = await session.scalar(
            select(Organization).where(Organization.id == actor.organization_id).with_for_update()
        )
        if org is None:  # pragma: no cover - the token's organization exists
            raise ApiError(404, "not_found", "No such organization.")
        if redact is not None:
            org.redact_phones = redact
    return JSONResponse(organization_json(org))


routes: list[BaseRoute] = [
    Route("/api/organization", get_route, methods=["GET"]),
    Route("/api/organization", patch_route, methods=["PATCH"]),
]
