"""``POST /api/sms/status``: the SMS provider's status callbacks (delivery receipts).

Checks, in order: the organization (its Twilio ``AccountSid``, else the one
whose number is ``From``), the signature (403, nothing changed), the required
fields (422) and UTF-8 (400). Then the callback is stored raw and applied
(``server/receipts.py``): forward only, idempotent, and kept when it came
before the send's answer stored the provider id.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from persistence.rules.phones import normalize_phone
from persistence.rules.text import storable
from persistence.store.models import Organization

from ..errors import ApiError
from ..receipts import take_receipt
from ..routing import Operation, route
from ..services import Services, services
from ..webhooks import require_signature, signing_token
from .inbound import is_utf8, read_limited, webhook_params

__all__ = ["routes", "status_route"]


async def _organization(svc: Services, fields: dict[str, str]) -> tuple[int | None, str | None]:
    account = fields.get("AccountSid", "").strip()
    number = normalize_phone(fields.get("From", "")) if is_utf8(fields.get("From", "")) else None
    columns = (
        Organization.id,
        Organization.provider_kind,
        Organization.webhook_token,
        Organization.twilio_auth_token_encrypted,
    )
    async with svc.db.session() as session:
        row = None
        # Only a value a SID could be reaches the database (no NUL, no stray bytes).
        if account and len(account) <= 64 and is_utf8(account) and storable(account):
            row = (
                await session.execute(
                    select(*columns)
                    .where(Organization.twilio_account_sid == account, Organization.provider_kind == "twilio")
                    .order_by(Organization.id)
                    .limit(1)
                )
            ).one_or_none()
        if row is None and number is not None:
            row = (
                await session.execute(select(*columns).where(Organization.sending_number == number))
            ).one_or_none()
    if row is None:
        return None, None
    return row[0], signing_token(svc, row[1], row[2], row[3])


async def status_route(request: Request) -> Response:
    params = webhook_params(await read_limited(request))
    fields = dict(params)
    svc = services(request)
    organization_id, token = await _organization(svc, fields)
    if organization_id is None:
        raise ApiError(403, "invalid_signature", "The request is not signed by this number's provider.")
    require_signature(request, svc, params, token)
    if not all(is_utf8(name) and is_utf8(value) and storable(value) for name, value in params):
        raise ApiError(400, "invalid_encoding", "The request is not valid UTF-8; nothing was stored.")
    for name in ("MessageSid", "MessageStatus"):
        value = fields.get(name, "").strip()
        if not value:
            raise ApiError(422, "invalid_input", f"'{name}' is required.")
        if len(value) > 100:
            raise ApiError(422, "invalid_input", f"'{name}' is longer than 100 characters.")
    error_code = fields.get("ErrorCode", "").strip()[:40] or None
    if error_code == "0":  # Twilio sends 0 for "no error" on some statuses
        error_code = None
    raw = {name: value[:2000] for name, value in params[:50]}
    sid = fields["MessageSid"].strip()
    await take_receipt(svc, organization_id, sid, fields["MessageStatus"].strip(), error_code, raw)
    return JSONResponse({"status": "stored", "message_sid": sid})


_STATUS_FORM: dict[str, Any] = {
    "type": "object",
    "required": ["MessageSid", "MessageStatus"],
    "properties": {
        "MessageSid": {"type": "string"},
        "MessageStatus": {"type": "string"},
        "ErrorCode": {"type": "string"},
        "AccountSid": {"type": "string"},
        "From": {"type": "string"},
        "To": {"type": "string"},
    },
}

routes: list[BaseRoute] = [
    route(
        "POST",
        "/api/sms/status",
        status_route,
        Operation(
            "The SMS provider's status callback (signed with X-Twilio-Signature)",
            body_content={"application/x-www-form-urlencoded": {"schema": _STATUS_FORM}},
            responses={
                200: {
                    "type": "object",
                    "required": ["status", "message_sid"],
                    "properties": {"status": {"type": "string"}, "message_sid": {"type": "string"}},
                }
            },
            auth=False,
            errors=(403,),
        ),
    ),
]
