"""Parsing request bodies into checked values, with the contract's errors.

Handlers call these instead of indexing raw JSON, so a body of the wrong shape
always gets a 400/422 naming the field, and nothing runs on bad input.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request

from .errors import ApiError

__all__ = [
    "MAX_JSON_BYTES",
    "invalid",
    "json_body",
    "json_object",
    "opt_bool",
    "opt_int",
    "opt_str",
    "query_int",
    "req_int",
    "req_str",
]

MAX_JSON_BYTES = 64 * 1024 * 1024


def invalid(message: str) -> ApiError:
    return ApiError(422, "invalid_input", message)


async def json_body(request: Request) -> Any:
    """The decoded JSON body; 400 when it is not JSON, 413 when far too large."""
    raw = await request.body()
    if len(raw) > MAX_JSON_BYTES:
        raise ApiError(413, "too_large", "The request body is too large.")
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ApiError(400, "invalid_json", f"The request body is not valid JSON: {exc}") from None


async def json_object(request: Request) -> dict[str, Any]:
    body = await json_body(request)
    if not isinstance(body, dict):
        raise invalid("The request body must be a JSON object.")
    return body


def req_str(body: dict[str, Any], key: str, *, max_len: int = 10_000, allow_empty: bool = False) -> str:
    value = body.get(key)
    if not isinstance(value, str):
        raise invalid(f"'{key}' is required and must be a string.")
    if not allow_empty and not value.strip():
        raise invalid(f"'{key}' must not be empty.")
    if len(value) > max_len:
        raise invalid(f"'{key}' is longer than {max_len} characters.")
    return value


def opt_str(body: dict[str, Any], key: str, *, max_len: int = 10_000) -> str | None:
    if body.get(key) is None:
        return None
    return req_str(body, key, max_len=max_len, allow_empty=True)


def req_int(body: dict[str, Any], key: str, *, minimum: int | None = None, maximum: int | None = None) -> int:
    value = body.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid(f"'{key}' is required and must be a whole number.")
    if minimum is not None and value < minimum:
        raise invalid(f"'{key}' must be at least {minimum}.")
    if maximum is not None and value > maximum:
        raise invalid(f"'{key}' must be at most {maximum}.")
    return value


def opt_int(body: dict[str, Any], key: str, **bounds: int) -> int | None:
    return None if body.get(key) is None else req_int(body, key, **bounds)


def opt_bool(body: dict[str, Any], key: str) -> bool | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise invalid(f"'{key}' must be true or false.")
    return value


def query_int(request: Request, key: str, *, default: int | None = None, minimum: int = 0) -> int | None:
    raw = request.query_params.get(key)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise invalid(f"Query parameter '{key}' must be a whole number.") from None
    if value < minimum:
        raise invalid(f"Query parameter '{key}' must be at least {minimum}.")
    return value
