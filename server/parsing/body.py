"""Reading a JSON request body: media type, size, syntax, depth and duplicate keys.

orjson decodes (it is several times faster than ``json`` and refuses nesting
past 1,024 levels with an error instead of a ``RecursionError``). It resolves a
duplicate key silently, keeping the last value; since a duplicate can hide a
second, different intent (``{"to": [1], "to": "all_senders"}``), the body is
refused instead. The check counts the members: in valid JSON every ``:``
outside a string separates one key from its value, so fewer keys in the
decoded objects than colons in the text means a key came twice.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from ..errors import ApiError

__all__ = ["MAX_DEPTH", "MAX_JSON_BYTES", "decode_json", "is_json_media_type", "read_json"]

MAX_JSON_BYTES = 64 * 1024 * 1024
# No body the API takes nests past a handful of levels.
MAX_DEPTH = 32
# Decoding this much or more moves to a worker thread, off the event loop.
_THREAD_BYTES = 256 * 1024
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)


def is_json_media_type(content_type: str) -> bool:
    media = content_type.split(";")[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


def _walk(value: Any) -> tuple[int, int]:
    """The number of object members and the deepest nesting, without recursion."""
    members = 0
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            members += len(item)
            deepest = max(deepest, depth)
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            deepest = max(deepest, depth)
            stack.extend((v, depth + 1) for v in item)
    return members, deepest


def _first_duplicate(raw: bytes) -> str:
    found: list[str] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        seen: set[str] = set()
        for key, _value in items:
            if key in seen and not found:
                found.append(key)
            seen.add(key)
        return dict(items)

    # Only reached for a body already within MAX_DEPTH, so this cannot recurse too deep.
    json.loads(raw, object_pairs_hook=pairs)
    return found[0] if found else "?"


def _decode_with_surrogates(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except RecursionError:
        raise ApiError(400, "too_deep", f"The request body nests deeper than {MAX_DEPTH} levels.") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ApiError(400, "invalid_json", f"The request body is not valid JSON: {exc}") from None


def decode_json(raw: bytes) -> Any:
    """Decode a JSON document strictly.

    Raises:
        ApiError: 400 ``invalid_json`` (syntax, broken Unicode, numbers beyond a
            double), 400 ``too_deep``, 400 ``duplicate_key``.
    """
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        if "surrogate" not in str(exc):
            raise ApiError(400, "invalid_json", f"The request body is not valid JSON: {exc}") from None
        # An escaped lone surrogate is valid JSON that orjson will not decode; the
        # field's own check then refuses it as text no database can store (422).
        value = _decode_with_surrogates(raw)
    members, deepest = _walk(value)
    if deepest > MAX_DEPTH:
        raise ApiError(400, "too_deep", f"The request body nests deeper than {MAX_DEPTH} levels.")
    if members and members != _STRING.sub(b"", raw).count(b":"):
        key = _first_duplicate(raw)
        raise ApiError(
            400, "duplicate_key", f"The request body has the key {key[:100]!r} twice in one object."
        )
    return value


async def read_json(request: Request, *, empty: Any = ...) -> Any:
    """The request's JSON body, checked as :func:`decode_json` does.

    Args:
        empty: what an empty body means; left out, an empty body is refused.

    Raises:
        ApiError: 400 ``unsupported_media_type`` when the Content-Type is not
            JSON, 413 ``too_large``, and the errors of :func:`decode_json`.
    """
    raw = await request.body()
    if not raw.strip() and empty is not ...:
        return empty
    if not is_json_media_type(request.headers.get("content-type", "")):
        raise ApiError(
            400, "unsupported_media_type", "Send the body as JSON with 'Content-Type: application/json'."
        )
    if len(raw) > MAX_JSON_BYTES:
        raise ApiError(413, "too_large", "The request body is too large.")
    if len(raw) >= _THREAD_BYTES:
        return await run_in_threadpool(decode_json, raw)
    return decode_json(raw)
