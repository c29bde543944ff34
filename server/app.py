"""The Starlette application: routes, error handlers and the process lifespan."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware

from persistence.database import Database
from persistence.migrate import upgrade
from persistence.secrets import signing_secret

from . import api, live, log_redaction, maintenance, pages
from .auth import LoginThrottle
from .errors import exception_handlers
from .security_headers import SecurityHeaders
from .services import Services
from .settings import Settings

__all__ = ["create_app"]

logger = logging.getLogger("shiftline")


def create_app(settings: Settings | None = None) -> Starlette:
    """Build the app. Nothing connects until the lifespan starts."""
    settings = settings or Settings.from_env()
    db = Database(settings.database_url)
    svc = Services(settings=settings, db=db)
    throttle = LoginThrottle.for_settings(settings)
    svc.extras["login_throttle"] = throttle

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # Here, not in the CLI: the server (uvicorn or any other) has set up
        # its log handlers by now, whoever started it.
        log_redaction.install()
        if settings.migrate_on_start:
            await upgrade(db)
        if settings.secret_key:
            svc.secret = settings.secret_key
        else:
            async with db.transaction() as session:
                svc.secret = await signing_secret(session)
        try:
            async with live.running(svc), maintenance.running(svc):
                yield
        finally:
            await throttle.aclose()
            await db.dispose()

    app = Starlette(
        routes=[*api.routes, *live.routes, *pages.routes],
        exception_handlers=exception_handlers,
        middleware=[Middleware(SecurityHeaders)],
        lifespan=lifespan,
    )
    app.state.services = svc
    return app
