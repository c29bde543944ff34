"""``GET /api/health``: 200 while the database and the broker are reachable."""

from __future__ import annotations

from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

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
    broker_check = svc.extras.get("broker_healthy")
    checks["broker"] = bool(broker_check()) if callable(broker_check) else True
    ok = all(checks.values())
    return JSONResponse(
        {"status": "ok" if ok else "unavailable", "checks": checks}, status_code=200 if ok else 503
    )


routes: list[BaseRoute] = [Route("/api/health", health, methods=["GET"])]
