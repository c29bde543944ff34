"""The browser pages (``web/``), served by the same app.

Every page is the one HTML shell ``web/templates/shell.html`` with the page's
title and JavaScript module filled in, and the configuration the scripts read
(the WebSocket close-code table, the export dialog's longest range) as JSON in
``<script type="application/json" id="shiftline-config">``. The pages read and
change everything through the public HTTP API and ``/ws``, exactly as any
other client would. docs/web.md lists the addresses.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from string import Template
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

import web
from persistence.rules.export_range import MAX_EXPORT_RANGE

from .errors import error_response
from .live.close_codes import client_table

__all__ = [
    "STATIC_DIR",
    "TEMPLATES_DIR",
    "home",
    "not_found",
    "page_config",
    "render_shell",
    "routes",
]

_WEB = Path(web.__file__).resolve().parent
STATIC_DIR = _WEB / "static"
TEMPLATES_DIR = _WEB / "templates"

# Read once at import: a page is then a string substitution, nothing on the event loop.
_SHELL = Template((TEMPLATES_DIR / "shell.html").read_text(encoding="utf-8"))

# The shells are tiny and change with every release: always revalidate.
_NO_CACHE = {"Cache-Control": "no-cache"}


def page_config() -> dict[str, Any]:
    """What every page's scripts read from ``#shiftline-config`` (web/static/js/config.js)."""
    return {"close_codes": client_table(), "export_max_days": MAX_EXPORT_RANGE.days}


def _script_json(value: Any) -> str:
    # JSON inside <script>: "</script>" or "<!--" in a string must not end or bend the element.
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render_shell(title: str, page: str) -> str:
    """The HTML of page ``page`` (its module is ``/static/js/pages/{page}.js``) titled ``title``."""
    return _SHELL.substitute(
        title=html.escape(title),
        page=html.escape(page),
        config=_script_json(page_config()),
    )


def _shell(url: str, page: str, title: str, *, name: str | None = None) -> Route:
    """A page at ``url``: the shell for ``page``, whatever the path parameters."""
    body = render_shell(title, page)

    async def endpoint(request: Request) -> Response:
        return HTMLResponse(body, headers=_NO_CACHE)

    return Route(url, endpoint, methods=["GET", "HEAD"], name=name or page)


_NOT_FOUND = render_shell("Not found", "not_found")
# Addresses of the API and the machinery keep their JSON 404: only a page address gets a page.
_NOT_PAGES = ("/api/", "/ws", "/static/")


async def not_found(request: Request, exc: Exception) -> Response:
    """A 404: a page that says so for a browser's address, the API's JSON error otherwise."""
    path = request.url.path
    if request.method in ("GET", "HEAD") and not path.startswith(_NOT_PAGES):
        return HTMLResponse(_NOT_FOUND, status_code=404, headers=_NO_CACHE)
    detail = exc.detail if isinstance(exc, HTTPException) else "Not Found"
    return error_response(404, "not_found", str(detail))


async def home(request: Request) -> Response:
    return RedirectResponse("/campaigns", status_code=302)


routes: list[BaseRoute] = [
    Route("/", home, methods=["GET", "HEAD"]),
    _shell("/login", "login", "Log in"),
    _shell("/campaigns", "campaigns", "Campaigns"),
    _shell("/campaigns/new", "campaign_form", "New campaign", name="campaign_new"),
    _shell("/campaigns/{cid:int}", "overview", "Conversations Overview"),
    _shell("/campaigns/{cid:int}/setup", "campaign_form", "Campaign setup"),
    _shell("/campaigns/{cid:int}/contacts", "contacts", "Contacts"),
    _shell("/campaigns/{cid:int}/senders", "senders", "Senders"),
    _shell("/campaigns/{cid:int}/replies", "replies", "Recommended replies", name="campaign_replies"),
    _shell("/campaigns/{cid:int}/audit", "audit", "Audit log"),
    _shell("/replies", "replies", "Recommended replies"),
    _shell("/users", "users", "Users and roles"),
    _shell("/organization", "organization", "Organization settings"),
    _shell("/opt-outs", "opt_outs", "Opt-outs"),
    _shell("/inbox", "inbox", "Inbox"),
    _shell("/drips", "drips", "Drips"),
    _shell("/campaigns/{cid:int}/messenger/{sender}", "admin_messenger", "Admin Messenger"),
    _shell("/send/{cid:int}", "messenger", "Messenger"),
    _shell("/lookup/{conversation_id:int}", "phone_lookup", "Phone Number Lookup"),
    Mount("/static", app=StaticFiles(directory=STATIC_DIR, check_dir=False), name="static"),
]
