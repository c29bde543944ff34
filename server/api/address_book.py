"""The address book: ``GET``/``POST /api/address-book``, ``GET``/``PATCH /api/address-book/{id}``.

``POST`` takes ``first_name``, ``last_name``, ``phone`` and any other keys
as the entry's custom fields (like a contact upload's extra columns), or the
fields under ``fields``. ``PATCH`` is "Update Contact Details": names, fields
and the ``opted_out`` checkbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from persistence.commands.address_book import EntryChanges, add_entry, update_entry
from persistence.queries.address_book import MAX_LIMIT, find_entry, search_address_book
from persistence.rules.errors import InvalidInput

from ..auth import authenticate
from ..parsing import (
    Bool,
    Int,
    MapOf,
    Nullable,
    Refused,
    Str,
    param,
    parse_body,
    parse_object,
    parse_query,
    read_json,
)
from ..routing import Operation, route
from ..services import services
from .accounts import path_id

__all__ = [
    "EntryBody",
    "EntryPatch",
    "SearchQuery",
    "add_route",
    "get_route",
    "list_route",
    "patch_route",
    "routes",
]

_FIELDS = MapOf(Nullable(Str(max_len=10_000, allow_blank=True)), max_keys=100)


@dataclass(frozen=True, slots=True, kw_only=True)
class SearchQuery:
    search: str | None = param(
        Str(max_len=200, allow_blank=True),
        description="Name substring, or three or more digits of the phone.",
    )
    limit: int = param(Int(minimum=1, maximum=MAX_LIMIT), default=50)


@dataclass(frozen=True, slots=True, kw_only=True)
class EntryBody:
    """A new entry; keys besides these are kept as custom fields."""

    first_name: str = param(Str(max_len=200, allow_blank=True), default="")
    last_name: str = param(Str(max_len=200, allow_blank=True), default="")
    phone: str = param(Str(max_len=40), required=True, description="Any common form; stored in E.164.")
    fields: dict[str, str | None] | None = param(_FIELDS, description="Custom fields.")


@dataclass(frozen=True, slots=True, kw_only=True)
class EntryPatch:
    """Update Contact Details; keys left out stay as they are."""

    first_name: str | None = param(Str(max_len=200, allow_blank=True))
    last_name: str | None = param(Str(max_len=200, allow_blank=True))
    fields: dict[str, str | None] | None = param(_FIELDS, description="Replaces the custom fields.")
    opted_out: bool | None = param(Bool(), description="Opt the phone out (or back in), organization-wide.")


_KNOWN = ("first_name", "last_name", "phone", "fields")


async def list_route(request: Request) -> Response:
    actor = await authenticate(request)
    query = parse_query(request, SearchQuery)
    async with services(request).db.session() as session:
        entries = await search_address_book(session, actor, search=query.search, limit=query.limit)
    return JSONResponse({"contacts": entries})


async def add_route(request: Request) -> Response:
    actor = await authenticate(request)
    raw = await read_json(request)
    if not isinstance(raw, dict):
        raise InvalidInput("The body must be a JSON object.")
    extra = {k: v for k, v in raw.items() if k not in _KNOWN}
    body = parse_object(EntryBody, {k: v for k, v in raw.items() if k in _KNOWN})
    try:
        fields: dict[str, Any] = _FIELDS.parse(extra, "fields")
    except Refused as exc:
        raise InvalidInput(str(exc)) from None
    fields.update(body.fields or {})
    async with services(request).db.transaction() as session:
        contact = await add_entry(
            session,
            actor,
            first_name=body.first_name,
            last_name=body.last_name,
            phone=body.phone,
            fields=fields,
        )
        entry = await find_entry(session, actor, contact.id)
    return JSONResponse(entry, status_code=201)


async def get_route(request: Request) -> Response:
    actor = await authenticate(request)
    async with services(request).db.session() as session:
        entry = await find_entry(session, actor, path_id(request, "contact_id"))
    return JSONResponse(entry)


async def patch_route(request: Request) -> Response:
    actor = await authenticate(request)
    body = await parse_body(request, EntryPatch)
    changes = EntryChanges(
        first_name=body.first_name, last_name=body.last_name, fields=body.fields, opted_out=body.opted_out
    )
    contact_id = path_id(request, "contact_id")
    async with services(request).db.transaction() as session:
        await update_entry(session, actor, contact_id, changes)
        entry = await find_entry(session, actor, contact_id)
    return JSONResponse(entry)


_ENTRY: dict[str, Any] = {
    "type": "object",
    "required": ["id", "first_name", "last_name", "phone", "fields", "opted_out", "consent"],
    "properties": {
        "id": {"type": "integer"},
        "first_name": {"type": "string"},
        "last_name": {"type": "string"},
        "phone": {"type": "string"},
        "fields": {"type": "object"},
        "campaign_id": {"type": ["integer", "null"]},
        "opted_out": {"type": "boolean"},
        "consent": {"type": "object"},
    },
}
_LIST = {
    "type": "object",
    "required": ["contacts"],
    "properties": {"contacts": {"type": "array", "items": _ENTRY}},
}
_ONE = "/api/address-book/{contact_id:id}"

routes: list[BaseRoute] = [
    route(
        "GET",
        "/api/address-book",
        list_route,
        Operation("Search the address book", query=SearchQuery, responses={200: _LIST}),
    ),
    route(
        "POST",
        "/api/address-book",
        add_route,
        Operation(
            "Add a contact to the address book", body=EntryBody, responses={201: _ENTRY}, errors=(409,)
        ),
    ),
    route("GET", _ONE, get_route, Operation("One address-book contact", responses={200: _ENTRY})),
    route(
        "PATCH",
        _ONE,
        patch_route,
        Operation("Update contact details", body=EntryPatch, responses={200: _ENTRY}),
    ),
]
