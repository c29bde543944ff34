"""All request parsing: typed definitions that check a request and describe it for OpenAPI.

Handlers call :func:`parse_body` and :func:`parse_query` with a definition
(a frozen dataclass whose fields are declared with :func:`param`) and get the
typed value back; anything else is refused before any work is done: 400 for a
body that is not JSON (wrong ``Content-Type``, bad syntax, too deep, a key
twice) and 422 :class:`~persistence.rules.errors.InvalidInput` for one of the wrong
shape (``unknown_field`` for a key the endpoint does not take).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from .body import MAX_DEPTH, MAX_JSON_BYTES, decode_json, is_json_media_type, read_json
from .cursor import Cursor
from .kinds import (
    INT64_MAX,
    INT64_MIN,
    AnyOf,
    Bool,
    Choice,
    DateTime,
    Int,
    Kind,
    ListOf,
    MapOf,
    Nullable,
    Refused,
    Str,
)
from .spec import (
    ABSENT,
    Absent,
    Nested,
    S,
    object_schema,
    param,
    parse_object,
    query_parameters,
)
from .spec import parse_query as parse_query_mapping

__all__ = [
    "ABSENT",
    "INT64_MAX",
    "INT64_MIN",
    "MAX_DEPTH",
    "MAX_JSON_BYTES",
    "Absent",
    "AnyOf",
    "Bool",
    "Choice",
    "Cursor",
    "DateTime",
    "Int",
    "Kind",
    "ListOf",
    "MapOf",
    "Nested",
    "Nullable",
    "Refused",
    "Str",
    "decode_json",
    "is_json_media_type",
    "object_schema",
    "param",
    "parse_body",
    "parse_object",
    "parse_query",
    "parse_query_mapping",
    "query_parameters",
    "read_json",
]


async def parse_body(request: Request, spec: type[S], *, empty: Any = ...) -> S:
    """The request's JSON body as ``spec``; ``empty`` (e.g. ``{}``) stands for an empty body."""
    return parse_object(spec, await read_json(request, empty=empty))


def parse_query(request: Request, spec: type[S]) -> S:
    """The request's query string as ``spec``."""
    return parse_query_mapping(spec, request.query_params)
