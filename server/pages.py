"""The browser pages (``web/``), served by the same app.

Every page is a static HTML shell from ``web/templates`` that loads its
JavaScript module from ``web/static``; the pages read and change everything
through the public HTTP API and ``/ws``, exactly as any other client would.
docs/web.md lists the addresses.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

import web

__all__ = ["STATIC_DIR", "TEMPLATES_DIR", "home", "routes"]

_WEB = Path(web.__file__).resolve().parent
STATIC_DIR = _WEB / "static"
TEMPLATES_DIR = _WEB / "templates"

# The shells are tiny and change with every release: always revalidate.
_NO_CACHE = {"Cache-Control": "no-cache"}


def _shell(url: str, template: str) -> Route:
    """A page at ``url``: the HTML shell ``template``, whatever the path parameters."""
    path = TEMPLATES_DIR / template

    async def endpoint(request: Request) -> Response:
        return FileResponse(path, media_type="text/html; charset=utf-8", headers=_NO_CACHE)

    return Route(url, endpoint, methods=["GET", "HEAD"], name=template.removesuffix(".html"))


async def home(request: Request) -> Response:
    return RedirectResponse("/campaigns", status_code=302)


routes: list[BaseRoute] = [
    Route("/", home, methods=["GET", "HEAD"]),
    _shell("/login", "login.html"),
    _shell("/campaigns", "campaigns.html"),
    _shell("/campaigns/{cid:int}", "overview.html"),
    _shell("/campaigns/{cid:int}/messenger/{sender}", "admin_messenger.html"),
    _shell("/send/{cid:int}", "messenger.html"),
    Mount("/static", app=StaticFiles(directory=STATIC_DIR, check_dir=False), name="static"),
]
