"""``GET``/``PATCH /api/organization`` (settings, the SMS provider, the pace) and its send queue.

The provider's auth token is written encrypted (``server/credentials.py``)
and never shown again: ``GET`` answers ``provider`` without it. The opt-out
message is sent once after a keyword opt-out (null sends none); plain
punctuation keeps texts GSM-7 (docs/texting-rules.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from persistence.commands.messaging import MAX_BODY_CHARS
from persistence.commands.queue_events import organization_queue
from persistence.rules.errors import InvalidInput
from persistence.rules.pace import MAX_RATE
from persistence.rules.text import require_storable
from persistence.store.models import Organization
from persistence.store.scope import require_admin

from ..auth import authenticate
from ..credentials import Vault
from ..errors import ApiError
from ..parsing import ABSENT, Absent, Bool, Choice, Int, Nullable, Str, param, parse_body
from ..parsing.spec import Nested
from ..routing import Operation, route
from ..services import services

__all__ = [
    "OrganizationBody",
    "ProviderBody",
    "get_route",
    "organization_json",
    "patch_route",
    "provider_json",
    "routes",
    "send_queue_route",
]

_ACCOUNT_SID = re.compile(r"AC[0-9a-fA-F]{32}")
_SERVICE_SID = re.compile(r"MG[0-9a-fA-F]{32}")


@dataclass(frozen=True, slots=True, kw_only=True)
class ProviderBody:
    """The SMS provider: the simulator, or a Twilio account."""

    kind: str = param(Choice(("twilio", "simulator")), required=True)
    account_sid: str | None = param(Str(max_len=64), description="Twilio's Account SID, AC…")
    auth_token: str | None = param(
        Str(max_len=200),
        description="Twilio's auth token; never shown again. Left out: the saved one of the same account.",
    )
    messaging_service_sid: str | None = param(
        Nullable(Str(max_len=64)), description="A Messaging Service SID, MG…, used instead of the number."
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class OrganizationBody:
    """Organization settings; keys left out (or null) stay as they are."""

    redact_phones: bool | None = param(Nullable(Bool()), description="Mask contacts' phones for senders.")
    provider: ProviderBody | None = param(Nested(ProviderBody), description="The SMS provider.")
    send_rate_per_second: int | None = param(
        Nullable(Int(minimum=1, maximum=MAX_RATE)), description="Texts a second handed to the provider."
    )
    opt_out_message: str | Absent | None = param(
        Nullable(Str(max_len=MAX_BODY_CHARS)),
        default=ABSENT,
        description="Sent once after a keyword opt-out; null sends none.",
    )
    plain_punctuation: bool | None = param(
        Nullable(Bool()), description="Turn smart quotes, dashes and ellipses plain so texts stay GSM-7."
    )
    allow_delete: bool | None = param(
        Nullable(Bool()), description="Owners and admins may delete conversations (off: 403 delete_disabled)."
    )
    consent_message: str | Absent | None = param(
        Nullable(Str(max_len=MAX_BODY_CHARS)),
        default=ABSENT,
        description="Sent before the first inbox text to a phone that has not had it.",
    )
    consent_required: bool | None = param(
        Nullable(Bool()), description="Send the consent message before a phone's first inbox text."
    )
    allow_drips: bool | None = param(
        Nullable(Bool()), description="Drips may be applied to inbox conversations (off: 403 drips_disabled)."
    )


_PROVIDER = {
    "type": "object",
    "required": ["kind"],
    "properties": {
        "kind": {"type": "string", "enum": ["twilio", "simulator"]},
        "account_sid": {"type": "string"},
        "messaging_service_sid": {"type": ["string", "null"]},
    },
}
_ORGANIZATION = {
    "type": "object",
    "required": [
        "id",
        "name",
        "sending_number",
        "redact_phones",
        "provider",
        "send_rate_per_second",
        "opt_out_message",
        "plain_punctuation",
        "allow_delete",
        "consent_message",
        "consent_required",
        "allow_drips",
    ],
    "properties": {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "sending_number": {"type": ["string", "null"]},
        "redact_phones": {"type": "boolean"},
        "provider": _PROVIDER,
        "send_rate_per_second": {"type": "integer"},
        "opt_out_message": {"type": ["string", "null"]},
        "plain_punctuation": {"type": "boolean"},
        "allow_delete": {"type": "boolean"},
        "consent_message": {"type": ["string", "null"]},
        "consent_required": {"type": "boolean"},
        "allow_drips": {"type": "boolean"},
    },
}
_QUEUE = {
    "type": "object",
    "required": ["depth", "rate_per_second", "eta_seconds"],
    "properties": {
        "depth": {"type": "integer"},
        "rate_per_second": {"type": "integer"},
        "eta_seconds": {"type": "number"},
    },
}


def provider_json(org: Organization) -> dict[str, Any]:
    if org.provider_kind != "twilio":
        return {"kind": "simulator"}
    # The auth token is a secret: never shown.
    return {
        "kind": "twilio",
        "account_sid": org.twilio_account_sid,
        "messaging_service_sid": org.messaging_service_sid,
    }


def organization_json(org: Organization) -> dict[str, Any]:
    # The webhook token is a secret: never shown.
    return {
        "id": org.id,
        "name": org.name,
        "sending_number": org.sending_number,
        "redact_phones": org.redact_phones,
        "provider": provider_json(org),
        "send_rate_per_second": org.send_rate_per_second,
        "opt_out_message": org.opt_out_message,
        "plain_punctuation": org.plain_punctuation,
        "allow_delete": org.allow_delete,
        "consent_message": org.consent_message,
        "consent_required": org.consent_required,
        "allow_drips": org.allow_drips,
    }


def _check_provider(body: ProviderBody) -> None:
    """Refuse (422) a provider that cannot work, before anything is written."""
    if body.kind == "simulator":
        extra = [k for k in ("account_sid", "auth_token", "messaging_service_sid") if getattr(body, k)]
        if extra:
            raise InvalidInput(f"The simulator takes no {', '.join(extra)}.", code="invalid_input")
        return
    if body.account_sid is None or not _ACCOUNT_SID.fullmatch(body.account_sid):
        raise InvalidInput("'provider.account_sid' must be a Twilio Account SID (AC and 32 hex digits).")
    service = body.messaging_service_sid
    if service is not None and not _SERVICE_SID.fullmatch(service):
        raise InvalidInput(
            "'provider.messaging_service_sid' must be a Messaging Service SID (MG and 32 hex digits)."
        )


async def get_route(request: Request) -> Response:
    actor = await authenticate(request)
    async with services(request).db.session() as session:
        org = await session.get_one(Organization, actor.organization_id)
    return JSONResponse(organization_json(org))


async def patch_route(request: Request) -> Response:
    actor = await authenticate(request)
    require_admin(actor)
    body = await parse_body(request, OrganizationBody)
    if body.provider is not None:
        _check_provider(body.provider)
    message = body.opt_out_message
    if isinstance(message, str):
        message = require_storable("opt_out_message", message).strip()
    consent = body.consent_message
    if isinstance(consent, str):
        consent = require_storable("consent_message", consent).strip() or None
    svc = services(request)
    async with svc.db.transaction() as session:
        org = await session.scalar(
            select(Organization).where(Organization.id == actor.organization_id).with_for_update()
        )
        if org is None:  # pragma: no cover - the token's organization exists
            raise ApiError(404, "not_found", "No such organization.")
        if body.redact_phones is not None:
            org.redact_phones = body.redact_phones
        if body.send_rate_per_second is not None:
            org.send_rate_per_second = body.send_rate_per_second
        provider = body.provider
        if provider is not None and provider.kind == "twilio":
            # A settings page saves the account again without retyping its token.
            same_account = org.provider_kind == "twilio" and org.twilio_account_sid == provider.account_sid
            if provider.auth_token is None and not (same_account and org.twilio_auth_token_encrypted):
                raise InvalidInput("'provider.auth_token' is required for Twilio.")
            org.provider_kind = "twilio"
            org.twilio_account_sid = provider.account_sid
            if provider.auth_token is not None:
                org.twilio_auth_token_encrypted = Vault(svc.secret).encrypt(provider.auth_token)
            org.messaging_service_sid = provider.messaging_service_sid
        elif provider is not None:
            org.provider_kind = "simulator"
            org.twilio_account_sid = org.twilio_auth_token_encrypted = org.messaging_service_sid = None
        if not isinstance(message, Absent):
            org.opt_out_message = message
        if body.plain_punctuation is not None:
            org.plain_punctuation = body.plain_punctuation
        if body.allow_delete is not None:
            org.allow_delete = body.allow_delete
        if not isinstance(consent, Absent):
            org.consent_message = consent
        if body.consent_required is not None:
            org.consent_required = body.consent_required
        if body.allow_drips is not None:
            org.allow_drips = body.allow_drips
        if org.consent_required and not org.consent_message:
            raise InvalidInput(
                "Consent is required but there is no consent message: set 'consent_message'.",
                code="no_consent_message",
            )
    return JSONResponse(organization_json(org))


async def send_queue_route(request: Request) -> Response:
    """``GET /api/organization/send-queue``: texts waiting, the pace, the expected wait."""
    actor = await authenticate(request)
    async with services(request).db.session() as session:
        state = await organization_queue(session, actor.organization_id)
    return JSONResponse(state)


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
    route(
        "GET",
        "/api/organization/send-queue",
        send_queue_route,
        Operation("The organization's send queue", responses={200: _QUEUE}),
    ),
]
