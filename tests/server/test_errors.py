"""Errors a person can act on: the server is overloaded or the database away, and a retry is safe."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.testclient import TestClient

from server.errors import exception_handlers


async def _no_connection_free(_request: Request) -> Response:
    # What SQLAlchemy raises when every pooled connection stayed taken for the pool's timeout.
    raise PoolTimeout("QueuePool limit of size 10 overflow 20 reached, connection timed out, timeout 30.00")


def test_a_request_that_waited_too_long_for_the_database_gets_503_busy_not_500() -> None:
    app = Starlette(
        routes=[Route("/send", _no_connection_free, methods=["POST"])], exception_handlers=exception_handlers
    )
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.post("/send")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    error = response.json()["error"]
    assert error["code"] == "busy"
    assert "nothing was changed" in error["message"]


def test_every_error_shiftline_raises_on_purpose_has_one_root_and_a_status() -> None:
    from persistence.rules import errors as domain
    from server import errors
    from server.live.protocol import ProtocolError
    from server.providers import ProviderError
    from server.tokens import InvalidToken

    for cls in (
        domain.InvalidInput,
        domain.NotFound,
        domain.PermissionDenied,
        domain.Conflict,
        domain.Locked,
        errors.ApiError,
        InvalidToken,
        ProtocolError,
        ProviderError,
    ):
        assert issubclass(cls, domain.ShiftlineError), cls
    assert errors.close_code_of(InvalidToken("The token has expired; log in again.")) == 4001
    assert errors.close_code_of(domain.NotFound("no such campaign")) is None


async def _database_refused(_request: Request) -> Response:
    # What asyncpg raises when nothing listens on the database's port (PostgreSQL stopped).
    raise ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 5432)")


async def _connection_lost_mid_statement(_request: Request) -> Response:
    # What SQLAlchemy raises when PostgreSQL ends the session during a statement.
    raise DBAPIError(
        "SELECT 1",
        {},
        Exception("terminating connection due to administrator command"),
        connection_invalidated=True,
    )


async def _constraint_broken(_request: Request) -> Response:
    raise IntegrityError("INSERT ...", {}, Exception("duplicate key value violates unique constraint"))


def _app(handler: Callable[[Request], Awaitable[Response]]) -> Starlette:
    return Starlette(
        routes=[Route("/send", handler, methods=["POST"])], exception_handlers=exception_handlers
    )


def test_a_request_while_the_database_is_away_gets_503_unavailable_with_retry_after() -> None:
    for handler in (_database_refused, _connection_lost_mid_statement):
        with TestClient(_app(handler), raise_server_exceptions=False) as client:
            response = client.post("/send")
        assert response.status_code == 503, handler
        assert int(response.headers["retry-after"]) >= 1
        assert response.json()["error"]["code"] == "unavailable"


def test_a_database_error_that_is_not_an_outage_stays_a_500() -> None:
    with TestClient(_app(_constraint_broken), raise_server_exceptions=False) as client:
        response = client.post("/send")
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal_error"
