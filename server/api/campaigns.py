"""Campaigns and their senders.

``GET|POST /api/campaigns``, ``GET|PATCH /api/campaigns/{cid}``,
``GET|POST /api/campaigns/{cid}/senders``. The lifecycle rules live in
:mod:`persistence.rules.campaign` and are described in docs/campaigns.md.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from persistence.commands.campaigns import (
    CampaignView,
    add_senders,
    create_campaign,
    get_campaign,
    list_campaigns,
    list_senders,
    update_campaign,
)
from persistence.store.models import User

from ..auth import authenticate
from ..parsing import parse_body
from ..routing import Operation, route
from ..services import services
from .accounts import path_id
from .campaign_bodies import (
    CAMPAIGN_SCHEMA,
    CampaignBody,
    CampaignPatchBody,
    SendersBody,
    changes,
    hours,
    questions,
    window,
)

__all__ = [
    "add_senders_route",
    "campaign_json",
    "create_route",
    "get_route",
    "list_route",
    "list_senders_route",
    "patch_route",
    "routes",
    "sender_json",
]


def campaign_json(view: CampaignView) -> dict[str, Any]:
    return view.as_json()


def sender_json(user: User) -> dict[str, Any]:
    return {"id": user.id, "first_name": user.first_name, "last_name": user.last_name, "active": user.active}


async def list_route(request: Request) -> Response:
    actor = await authenticate(request)
    async with services(request).db.session() as session:
        views = await list_campaigns(session, actor)
    return JSONResponse({"campaigns": [campaign_json(v) for v in views]})


async def create_route(request: Request) -> Response:
    actor = await authenticate(request)
    body = await parse_body(request, CampaignBody)
    async with services(request).db.transaction() as session:
        view = await create_campaign(
            session,
            actor,
            title=body.title,
            initial_message=body.initial_message,
            follow_up_message=body.follow_up_message or None,
            self_assign=body.self_assign or False,
            survey_questions=questions(body.survey_questions),
            sending_window=window(body.sending_window),
            texting_hours=hours(body.texting_hours),
            practice=body.practice or False,
        )
    return JSONResponse(campaign_json(view), status_code=201)


async def get_route(request: Request) -> Response:
    actor = await authenticate(request)
    campaign_id = path_id(request, "campaign_id")
    async with services(request).db.session() as session:
        view = await get_campaign(session, actor, campaign_id)
    return JSONResponse(campaign_json(view))


async def patch_route(request: Request) -> Response:
    actor = await authenticate(request)
    campaign_id = path_id(request, "campaign_id")
    wanted = changes(await parse_body(request, CampaignPatchBody))
    async with services(request).db.transaction() as session:
        view = await update_campaign(session, actor, campaign_id, wanted)
    return JSONResponse(campaign_json(view))


async def add_senders_route(request: Request) -> Response:
    actor = await authenticate(request)
    campaign_id = path_id(request, "campaign_id")
    ids = (await parse_body(request, SendersBody)).user_ids
    async with services(request).db.transaction() as session:
        added = await add_senders(session, actor, campaign_id, ids)
        senders = await list_senders(session, actor, campaign_id)
    return JSONResponse({"added": added, "senders": [sender_json(u) for u in senders]})


async def list_senders_route(request: Request) -> Response:
    actor = await authenticate(request)
    campaign_id = path_id(request, "campaign_id")
    async with services(request).db.session() as session:
        senders = await list_senders(session, actor, campaign_id)
    return JSONResponse({"senders": [sender_json(u) for u in senders]})


_SENDER = {
    "type": "object",
    "required": ["id", "first_name", "last_name", "active"],
    "properties": {
        "id": {"type": "integer"},
        "first_name": {"type": "string"},
        "last_name": {"type": "string"},
        "active": {"type": "boolean"},
    },
}
_SENDERS = {"type": "array", "items": _SENDER}
_CAMPAIGNS = {
    "type": "object",
    "required": ["campaigns"],
    "properties": {"campaigns": {"type": "array", "items": CAMPAIGN_SCHEMA}},
}

routes: list[BaseRoute] = [
    route(
        "GET",
        "/api/campaigns",
        list_route,
        Operation("The campaigns you may see", responses={200: _CAMPAIGNS}),
    ),
    route(
        "POST",
        "/api/campaigns",
        create_route,
        Operation("Create a campaign", body=CampaignBody, responses={201: CAMPAIGN_SCHEMA}),
    ),
    route(
        "GET",
        "/api/campaigns/{campaign_id:id}",
        get_route,
        Operation("One campaign", responses={200: CAMPAIGN_SCHEMA}),
    ),
    route(
        "PATCH",
        "/api/campaigns/{campaign_id:id}",
        patch_route,
        Operation(
            "Change, launch, pause or close a campaign",
            body=CampaignPatchBody,
            responses={200: CAMPAIGN_SCHEMA},
            errors=(409, 423),
        ),
    ),
    route(
        "GET",
        "/api/campaigns/{campaign_id:id}/senders",
        list_senders_route,
        Operation(
            "The campaign's senders", responses={200: {"type": "object", "properties": {"senders": _SENDERS}}}
        ),
    ),
    route(
        "POST",
        "/api/campaigns/{campaign_id:id}/senders",
        add_senders_route,
        Operation(
            "Add senders",
            body=SendersBody,
            responses={
                200: {
                    "type": "object",
                    "properties": {
                        "added": {"type": "array", "items": {"type": "integer"}},
                        "senders": _SENDERS,
                    },
                }
            },
            errors=(409, 423),
        ),
    ),
]
