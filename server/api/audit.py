"""The campaign audit log: ``GET /api/campaigns/{cid}/audit`` and its CSV download."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import BaseRoute

from persistence.commands.audit import ACTIONS
from persistence.queries.audit import AuditFilter, audit_page, audit_rows
from persistence.queries.export import neutralize
from persistence.store.scope import campaign_for, require_sweeper

from ..auth import authenticate
from ..parsing import Choice, Int, param, parse_query
from ..routing import ID_MAX, Operation, route
from ..services import services

__all__ = ["PAGE_MAX", "AuditQuery", "audit_csv_route", "audit_route", "routes"]

PAGE_MAX = 500


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditQuery:
    """Which entries, newest first."""

    cursor: int | None = param(
        Int(minimum=1, maximum=ID_MAX), description="The previous page's next_cursor.", code="invalid_cursor"
    )
    limit: int = param(Int(minimum=1, maximum=PAGE_MAX), default=100)
    action: str | None = param(Choice(ACTIONS), code="invalid_action")
    actor: int | None = param(Int(minimum=1, maximum=ID_MAX), description="Only what this user did.")


_PAGE = {
    "type": "object",
    "required": ["entries", "next_cursor"],
    "properties": {
        "entries": {"type": "array", "items": {"type": "object"}},
        "next_cursor": {"type": ["string", "null"]},
    },
}


async def audit_route(request: Request) -> Response:
    actor = await authenticate(request)
    query = parse_query(request, AuditQuery)
    async with services(request).db.session() as session:
        page = await audit_page(
            session,
            actor,
            request.path_params["cid"],
            AuditFilter(query.action, query.actor),
            cursor=query.cursor,
            limit=query.limit,
        )
    return JSONResponse(page.to_json())


async def _csv(rows: AsyncIterator[dict[str, object]]) -> AsyncIterator[str]:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", "at", "actor_id", "actor", "action", "detail"])
    async for e in rows:
        actor = e["actor"]
        name = f"{actor['first_name']} {actor['last_name']}" if isinstance(actor, dict) else "system"
        actor_id = actor["id"] if isinstance(actor, dict) else ""
        cells = [e["id"], e["at"], actor_id, name, e["action"], json.dumps(e["detail"], sort_keys=True)]
        writer.writerow([neutralize(c) for c in cells])
        yield out.getvalue()
        out.seek(0)
        out.truncate()
    yield out.getvalue()


async def audit_csv_route(request: Request) -> Response:
    actor = await authenticate(request)
    query = parse_query(request, AuditQuery)
    cid: int = request.path_params["cid"]
    db = services(request).db
    # Checked before the first byte, so a refusal is still a JSON error.
    require_sweeper(actor)
    async with db.session() as session:
        await campaign_for(session, actor, cid)
    return StreamingResponse(
        _csv(audit_rows(db, cid, AuditFilter(query.action, query.actor))),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="campaign-{cid}-audit.csv"'},
    )


routes: list[BaseRoute] = [
    route(
        "GET",
        "/api/campaigns/{cid:id}/audit",
        audit_route,
        Operation("Who changed what in a campaign, newest first", query=AuditQuery, responses={200: _PAGE}),
    ),
    route(
        "GET",
        "/api/campaigns/{cid:id}/audit.csv",
        audit_csv_route,
        Operation(
            "The audit log as CSV",
            query=AuditQuery,
            responses={200: {"type": "string"}},
            response_media="text/csv",
        ),
    ),
]
