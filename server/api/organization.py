"""``GET /api/organization`` and ``PATCH /api/organization``.

Settings: phone redaction, the opt-out message (sent once after a keyword
opt-out; null sends none) and plain punctuation (docs/texting-rules.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from persistence.commands.messaging import MAX_BODY_CHARS
from persistence.rules.text import require_storable
from persistence.store.models import Organization
from persistence.store.scope import require_admin

from ..auth import authenticate
from ..errors import ApiError
from ..parsing import ABSENT, Absent, Bool, Nullable, Str, param, parse_body
from ..routing import Operation, route
from ..services import services

__all__ = ["OrganizationBody", "organization_json", "routes"]


@dataclass(frozen=True, slots=True, kw_only=True)
class OrganizationBody:
    """Organization settings; keys left out (or null) stay as they are."""

    redact_phones: bool | None = param(Nullable(Bool()), description="Mask contacts' phones for senders.")
    opt_out_message: str | Absent | None = param(
        Nullable(Str(max_len=MAX_BODY_CHARS)),
        default=ABSENT,
        description="Sent once after a keyword opt-out; null sends none.",
    )
    plain_punctuation: bool | None = param(
        Nullable(Bool()), description="Turn smart quotes, dashes and ellipses plain so texts stay GSM-7."
    )


_ORGANIZATION = {
    "type": "object",
    "required": [
        "id",
        "name",
        "sending_number",
        "redact_phones",
        "opt_out_message",
        "plain_punctuation",
    ],
    "properties": {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "sending_number": {"type": ["string", "null"]},
        "redact_phones": {"type": "boolean"},
        "opt_out_message": {"type": ["string", "null"]},
        "plain_punctuation": {"type": "boolean"},
    },
}


def organization_json(org: Organization) -> dict[str, Any]:
    # The webhook token is a secret: never shown.
    return {
        "id": org.id,
        "name": org.name,
        "sending_number": org.sending_number,
        "redact_phones": org.redact_phones,
        "opt_out_message": org.opt_out_message,
        "plain_punctuation": org.plain_punctuation,
    }


async def get_route(request: Request) -> Response:
    actor = await authenticate(request)
    async with services(request).db.session() as session:
        org = await session.get_one(Organization, actor.organization_id)
    return JSONResponse(organization_json(org))


async def patch_route(request: Request) -> Response:
    actor = await authenticate(request)
    require_admin(actor)
    body = await parse_body(request, OrganizationBody)
    message = body.opt_out_message
    if isinstance(message, str):
        message = require_storable("opt_out_message", message).strip()
    async with services(request).db.transaction() as session:
        org = await session.scalar(
            select(Organization).where(Organization.id == actor.organization_id).with_for_update()
        )
        if org is None:  # pragma: no cover - the token's organization exists
            raise ApiError(404, "not_found", "No such organization.")
        if body.redact_phones is not None:
            org.redact_phones = body.redact_phones
        if not isinstance(message, Absent):
            org.opt_out_message = message
        if body.plain_punctuation is not None:
            org.plain_punctuation = body.plain_punctuation
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
