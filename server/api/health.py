"""``GET /api/health``: 200 while the database and the broker are reachable."""

from __future__ import annotations

from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from ..routing import Operation, route
from ..services import services

__all__ = ["health", "routes"]


async def health(request: Request) -> Response:
    svc = services(request)
    checks: dict[str, bool] = {}
    try:
        async with svc.db.session() as session:
            await session.execute(text("SELECT 1"))
        checks["database"] = True
    except Exception:  # any failure of the database is "unreachable" to a health check
        checks["database"] = False
    checks["broker"] = svc.live is None or svc.live.broker.healthy
    ok = all(checks.values())
    return JSONResponse(
        {"status": "ok" if ok else "unavailable", "checks": checks}, status_code=200 if ok else 503
    )


_HEALTH = {
    "type": "object",
    "required": ["status", "checks"],
    "properties": {
        "status": {"type": "string", "enum": ["ok", "unavailable"]},
        "checks": {"type": "object", "additionalProperties": {"type": "boolean"}},
    },
}

routes: list[BaseRoute] = [
    route(
        "GET",
        "/api/health",
        health,
        # 503 carries the same body as 200, naming what is down.
        Operation(
            "Whether the database and broker are reachable",
            responses={200: _HEALTH, 503: _HEALTH},
            auth=False,
        ),
    )
]
