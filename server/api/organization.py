"""``GET /api/organization`` and ``PATCH /api/organization`` (phone redaction)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from persistence.store.models import Organization
from persistence.store.scope import require_admin

from ..auth import authenticate
from ..errors import ApiError
from ..parsing import Bool, Nullable, param, parse_body
from ..routing import Operation, route
from ..services import services

__all__ = [
    "OrganizationBody",
    "get_route",
    "organization_json",
    "patch_route",
    "routes",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class OrganizationBody:
    """Organization settings; keys left out (or null) stay as they are."""

    redact_phones: bool | None = param(Nullable(Bool()), description="Mask contacts' phones for senders.")


_ORGANIZATION = {
    "type": "object",
    "required": ["id", "name", "sending_number", "redact_phones"],
    "properties": {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "sending_number": {"type": ["string", "null"]},
        "redact_phones": {"type": "boolean"},
    },
}


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
    redact = (await parse_body(request, OrganizationBody)).redact_phones
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
    route(
        "GET",
        "/api/organization",
        get_route,
        Operation("The caller's organization", responses={200: _ORGANIZATION}),
    ),
    route(
        "PATCH",
        "/api/organization",
        patch_route,
        Operation(
            "Change the organization's settings", body=OrganizationBody, responses={200: _ORGANIZATION}
        ),
    ),
]
