"""The Starlette application: routes, error handlers and the process lifespan."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import metadata

from starlette.applications import Starlette
from starlette.middleware import Middleware

from persistence.outbox.outbox import Outbox
from persistence.store.database import Database
from persistence.store.migrate import upgrade
from persistence.store.secrets import signing_secret

from . import api, auto_rebalance, dispatcher, log_redaction, openapi, pages, practice, scheduler
from .errors import exception_handlers
from .live import runtime as live
from .login_throttle import LoginThrottle
from .media_store import media_store
from .security_headers import SecurityHeaders
from .services import Services
from .settings import Settings

__all__ = ["create_app"]

logger = logging.getLogger("shiftline")


def _version() -> str:
    try:
        return metadata.version("shiftline")
    except metadata.PackageNotFoundError:  # pragma: no cover - run from a bare checkout
        return "0"


def create_app(settings: Settings | None = None) -> Starlette:
    """Build the app. Nothing connects until the lifespan starts."""
    settings = settings or Settings.from_env()
    db = Database(settings.database_url)
    throttle = LoginThrottle.for_settings(settings)
    svc = Services(
        settings=settings,
        db=db,
        outbox=Outbox(db),
        login_throttle=throttle,
        media_store=media_store(settings),
    )

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
            # The send queue stops first, so no text it sends finds practice gone.
            # The scheduler stops before the send queue: the texts it queues are the queue's.
            async with (
                live.running(svc),
                auto_rebalance.running(svc),
                practice.running(svc),
                dispatcher.running(svc),
                scheduler.running(svc),
            ):
                yield
        finally:
            await throttle.aclose()
            await db.dispose()

    app = Starlette(
        routes=[*api.routes, *openapi.routes(api.routes, _version()), *live.routes, *pages.routes],
        # An unknown page address gets a page that says so; the API keeps its JSON errors.
        exception_handlers={**exception_handlers, 404: pages.not_found},
        # LiveFirst outermost but for the server-error layer: see server/live/runtime.py.
        middleware=[Middleware(live.LiveFirst), Middleware(SecurityHeaders)],
        lifespan=lifespan,
    )
    app.state.services = svc
    return app
