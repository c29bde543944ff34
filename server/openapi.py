"""``GET /api/openapi.json``: the OpenAPI 3.1 description of the HTTP API.

Built from the routes themselves: each :class:`~server.routing.ApiRoute`'s
operation names the request definitions its handler parses with, so the
description and the checks are one declaration and cannot drift.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from starlette.convertors import StringConvertor
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from .parsing import object_schema, query_parameters
from .routing import ID_MAX, ApiRoute, IdConvertor, Operation

__all__ = ["CSV_UPLOAD", "ERROR_SCHEMA", "document", "routes"]

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "description": "Stable snake_case code."},
                "message": {"type": "string", "description": "For a person."},
            },
        }
    },
}

_REASONS = {
    200: "OK",
    201: "Created",
    400: "Not JSON, or not the media type the endpoint takes",
    401: "No token, or an expired or forged one",
    403: "Not yours to see or change",
    404: "No such thing in your organization",
    409: "The current state forbids it",
    413: "Too large",
    422: "Not the shape or values the endpoint takes (unknown_field names unknown keys)",
    423: "The campaign is not open for this",
    429: "Too many attempts",
    503: "A backend is unavailable or busy; nothing was changed",
}
_COMMON = (400, 404, 422, 503)
_AUTH = (401, 403)

# A CSV file sent as the body, or as the ``file`` part of a form: how the
# contact and opt-out uploads take theirs.
CSV_UPLOAD: dict[str, Any] = {
    "text/csv": {"schema": {"type": "string"}},
    "multipart/form-data": {
        "schema": {
            "type": "object",
            "required": ["file"],
            "properties": {"file": {"type": "string", "contentMediaType": "text/csv"}},
        }
    },
}


def _path_parameters(route: ApiRoute) -> list[dict[str, Any]]:
    out = []
    for name, convertor in route.param_convertors.items():
        if isinstance(convertor, IdConvertor):
            schema: dict[str, Any] = {"type": "integer", "minimum": 0, "maximum": ID_MAX}
        elif isinstance(convertor, StringConvertor):
            schema = {"type": "string"}
        else:  # pragma: no cover - the API declares no other kind
            raise TypeError(f"{route.path}: no OpenAPI form for {type(convertor).__name__}")
        out.append({"name": name, "in": "path", "required": True, "schema": schema})
    return out


def _operation(route: ApiRoute, op: Operation, method: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "operationId": f"{method}_{route.name}_{route.path_format}".replace("/", "_"),
        "summary": op.summary,
    }
    parameters = _path_parameters(route) + (query_parameters(op.query) if op.query else [])
    if parameters:
        out["parameters"] = parameters
    if op.body is not None:
        content: Any = {"application/json": {"schema": object_schema(op.body)}}
        out["requestBody"] = {"required": op.body_required, "content": content}
    elif op.body_content is not None:
        out["requestBody"] = {"required": True, "content": dict(op.body_content)}
    responses: dict[str, Any] = {}
    for status, schema in op.responses.items():
        item: dict[str, Any] = {"description": _REASONS.get(status, "Answer")}
        if schema is not None:
            item["content"] = {op.response_media: {"schema": dict(schema)}}
        responses[str(status)] = item
    statuses = set(_COMMON) | set(op.errors) | (set(_AUTH) if op.auth else set())
    if op.body is not None or op.body_content is not None:
        statuses.add(413)
    for status in sorted(statuses):
        responses.setdefault(str(status), {"$ref": f"#/components/responses/E{status}"})
    out["responses"] = responses
    if not op.auth:
        out["security"] = []
    return out


def document(
    api_routes: Iterable[BaseRoute], *, title: str = "shiftline", version: str = "0"
) -> dict[str, Any]:
    """The OpenAPI 3.1 document for ``api_routes`` (every one an :class:`ApiRoute`)."""
    paths: dict[str, dict[str, Any]] = {}
    for item in api_routes:
        if not isinstance(item, ApiRoute):
            raise TypeError(f"{getattr(item, 'path', item)!r} is not an ApiRoute: it has no description")
        for method in sorted(item.methods or ()):
            if method == "HEAD":
                continue
            verb = method.lower()
            paths.setdefault(item.path_format, {})[verb] = _operation(item, item.operation, verb)
    statuses = sorted(set(_COMMON) | set(_AUTH) | {409, 413, 423, 429})
    error_ref = {"$ref": "#/components/schemas/Error"}
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "paths": paths,
        "components": {
            "schemas": {"Error": ERROR_SCHEMA},
            "responses": {
                f"E{s}": {"description": _REASONS[s], "content": {"application/json": {"schema": error_ref}}}
                for s in statuses
            },
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
    }


def routes(api_routes: list[BaseRoute], version: str) -> list[BaseRoute]:
    """The route serving the description of ``api_routes`` (and of itself)."""

    async def openapi(_request: Request) -> Response:
        return JSONResponse(cached)

    own = ApiRoute(
        "/api/openapi.json",
        openapi,
        methods=["GET"],
        operation=Operation(summary="This description", auth=False),
    )
    cached = document([*api_routes, own], version=version)
    return [own]
