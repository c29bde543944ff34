"""``POST /api/sms/inbound``: the SMS provider's webhook for incoming texts.

Checks, in order: the organization that owns ``To``, the signature (403,
nothing changed), the required fields (422), UTF-8 (400), the body length
(422); then stores the text in one transaction (and sends the opt-out message
a keyword queued, if any). Answers 200 with an empty
TwiML ``<Response/>`` (or JSON when the request accepts ``application/json``)
for stored, duplicate and unmatched texts alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from persistence.commands.inbound import InboundResult, InboundSms, list_unmatched
from persistence.rules.phones import normalize_phone
from persistence.rules.text import storable
from persistence.store.models import Organization

from ..auth import authenticate
from ..delivery import receive
from ..errors import ApiError
from ..parsing import Int, param, parse_query
from ..routing import Operation, route
from ..services import services
from ..webhooks import require_signature, signing_token

__all__ = [
    "MAX_INBOUND_CHARS",
    "MAX_MEDIA",
    "MAX_REQUEST_BYTES",
    "TWIML_EMPTY",
    "UnmatchedQuery",
    "inbound_route",
    "is_utf8",
    "read_limited",
    "routes",
    "unmatched_route",
    "webhook_params",
]

# Far above any provider's limit (1,600), so a real text is never refused.
MAX_INBOUND_CHARS = 20_000
MAX_MEDIA = 10
MAX_REQUEST_BYTES = 256 * 1024
TWIML_EMPTY = '<?xml version="1.0" encoding="UTF-8"?><Response/>'


@dataclass(frozen=True, slots=True, kw_only=True)
class UnmatchedQuery:
    """Paging through the texts kept for review, newest first."""

    limit: int = param(Int(minimum=1, maximum=500), default=50)
    before: int | None = param(Int(minimum=1), description="The last page's next_before.")


def webhook_params(raw: bytes) -> list[tuple[str, str]]:
    # surrogateescape keeps bytes that are not UTF-8 so the signature is checked
    # over exactly what was sent; they are refused after the signature check.
    text = raw.decode("utf-8", "surrogateescape")
    return parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="surrogateescape")


def is_utf8(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _answer(request: Request, result: InboundResult) -> Response:
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse(
            {
                "status": result.outcome,
                "conversation_id": result.conversation_id,
                "message_id": result.message_id,
                "keyword": result.keyword,
            }
        )
    return Response(TWIML_EMPTY, media_type="text/xml")


async def read_limited(request: Request) -> bytes:
    """The request body, refused (413) as soon as it passes MAX_REQUEST_BYTES, unread beyond."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_REQUEST_BYTES:
            raise ApiError(413, "too_large", "The webhook request is too large.")
        chunks.append(chunk)
    return b"".join(chunks)


async def inbound_route(request: Request) -> Response:
    params = webhook_params(await read_limited(request))
    fields = dict(params)
    svc = services(request)
    to = normalize_phone(fields.get("To", "")) if is_utf8(fields.get("To", "")) else None
    token: str | None = None
    organization_id: int | None = None
    if to is not None:
        async with svc.db.session() as session:
            row = (
                await session.execute(
                    select(
                        Organization.id,
                        Organization.provider_kind,
                        Organization.webhook_token,
                        Organization.twilio_auth_token_encrypted,
                    ).where(Organization.sending_number == to)
                )
            ).one_or_none()
        if row is not None:
            organization_id = row[0]
            token = signing_token(svc, row[1], row[2], row[3])
    if organization_id is None:
        raise ApiError(403, "invalid_signature", "The request is not signed by this number's provider.")
    require_signature(request, svc, params, token)
    for name in ("From", "MessageSid"):
        if not fields.get(name, "").strip():
            raise ApiError(422, "invalid_input", f"'{name}' is required.")
    if not all(is_utf8(name) and is_utf8(value) for name, value in params):
        raise ApiError(400, "invalid_encoding", "The request is not valid UTF-8; nothing was stored.")
    if not all(storable(value) for _name, value in params):
        raise ApiError(400, "invalid_encoding", "The request holds NUL characters; nothing was stored.")
    body = fields.get("Body", "")
    if len(body) > MAX_INBOUND_CHARS:
        raise ApiError(422, "body_too_long", f"'Body' is longer than {MAX_INBOUND_CHARS} characters.")
    sid = fields["MessageSid"].strip()
    if len(sid) > 100:
        raise ApiError(422, "invalid_input", "'MessageSid' is longer than 100 characters.")
    # NumMedia is not trusted for the count: the MediaUrlN present are read, at most MAX_MEDIA.
    present = [i for i in range(MAX_MEDIA) if fields.get(f"MediaUrl{i}")]
    media = [fields[f"MediaUrl{i}"] for i in present]
    types = [fields.get(f"MediaContentType{i}", "") for i in present]
    sms = InboundSms(organization_id, fields["From"].strip(), to or "", body, sid, media, types)
    return _answer(request, await receive(svc, sms))


async def unmatched_route(request: Request) -> Response:
    """``GET /api/sms/unmatched?limit=&before=``: texts kept for review (sweepers)."""
    actor = await authenticate(request)
    query = parse_query(request, UnmatchedQuery)
    async with services(request).db.session() as session:
        rows = await list_unmatched(session, actor, limit=query.limit, before=query.before)
    next_before = rows[-1]["id"] if len(rows) == query.limit else None
    return JSONResponse({"unmatched": rows, "next_before": next_before})


_WEBHOOK_FORM: dict[str, Any] = {
    "type": "object",
    "required": ["From", "To", "MessageSid"],
    "properties": {
        "From": {"type": "string"},
        "To": {"type": "string"},
        "Body": {"type": "string"},
        "MessageSid": {"type": "string"},
        "NumMedia": {"type": "string"},
        **{f"MediaUrl{i}": {"type": "string"} for i in range(MAX_MEDIA)},
        **{f"MediaContentType{i}": {"type": "string"} for i in range(MAX_MEDIA)},
    },
}
_UNMATCHED = {
    "type": "object",
    "required": ["unmatched", "next_before"],
    "properties": {
        "unmatched": {"type": "array", "items": {"type": "object"}},
        "next_before": {"type": ["integer", "null"]},
    },
}

routes: list[BaseRoute] = [
    route(
        "POST",
        "/api/sms/inbound",
        inbound_route,
        Operation(
            "The SMS provider's webhook (signed with X-Twilio-Signature)",
            body_content={"application/x-www-form-urlencoded": {"schema": _WEBHOOK_FORM}},
            # Empty TwiML, or JSON when the request accepts application/json.
            responses={200: {"type": "string"}},
            response_media="text/xml",
            auth=False,
            errors=(403,),
        ),
    ),
    route(
        "GET",
        "/api/sms/unmatched",
        unmatched_route,
        Operation("Texts that matched no conversation", query=UnmatchedQuery, responses={200: _UNMATCHED}),
    ),
]
