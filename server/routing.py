"""API routes that carry their OpenAPI operation, and the ``id`` path convertor.

Every route of ``server/api`` is an :class:`ApiRoute`: the handler plus an
:class:`Operation` naming the request definitions it parses and the answers it
gives, which :mod:`server.openapi` turns into the description.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.convertors import Convertor, register_url_convertor
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from persistence.rules.channels import UNASSIGNED_KEY

from .parsing.kinds import AnyOf, Choice, Int
from .parsing.spec import Spec

__all__ = ["ID_MAX", "SENDER_FILTER", "ApiRoute", "IdConvertor", "Operation", "route"]

# 18 digits: every id a 64-bit column can hold in practice, and never an overflow.
ID_MAX = 10**18 - 1

# ``sender=`` in a query: a sender's user id, or the Unassigned pool.
SENDER_FILTER = AnyOf(
    [Choice((UNASSIGNED_KEY,)), Int(minimum=0, maximum=ID_MAX)],
    f"'sender' must be a user id or '{UNASSIGNED_KEY}'.",
)


class IdConvertor(Convertor[int]):
    """A row id in a path. Anything else (a 20-digit number, a word) matches no route: 404."""

    regex = "[0-9]{1,18}"

    def convert(self, value: str) -> int:
        return int(value)

    def to_string(self, value: int) -> str:
        return str(int(value))


# Registered on import, before any route below compiles its path.
register_url_convertor("id", IdConvertor())


@dataclass(frozen=True, slots=True)
class Operation:
    """What one route takes and answers, for the OpenAPI description.

    Args:
        body: the JSON body's definition; ``body_content`` instead for other media types.
        query: the query string's definition.
        responses: success status → JSON Schema of the answer (``None``: no JSON body).
        response_media: the success answer's media type.
        auth: whether a bearer token is needed.
        errors: the error statuses this route can answer besides the common ones.
    """

    summary: str
    body: type[Spec] | None = None
    body_required: bool = True
    body_content: Mapping[str, Any] | None = None
    query: type[Spec] | None = None
    responses: Mapping[int, Mapping[str, Any] | None] = field(
        default_factory=lambda: {200: {"type": "object"}}
    )
    response_media: str = "application/json"
    auth: bool = True
    errors: tuple[int, ...] = ()


class ApiRoute(Route):
    def __init__(
        self,
        path: str,
        endpoint: Callable[[Request], Awaitable[Response]],
        *,
        methods: list[str],
        operation: Operation,
    ) -> None:
        super().__init__(path, endpoint, methods=methods)
        self.operation = operation


def route(
    method: str, path: str, endpoint: Callable[[Request], Awaitable[Response]], operation: Operation
) -> ApiRoute:
    return ApiRoute(path, endpoint, methods=[method], operation=operation)
