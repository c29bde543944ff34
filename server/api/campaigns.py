"""Campaigns and their senders.

``GET|POST /api/campaigns``, ``GET|PATCH /api/campaigns/{cid}``,
``GET|POST /api/campaigns/{cid}/senders``. The lifecycle rules live in
:mod:`persistence.rules.campaign` and are described in docs/campaigns.md.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from persistence.commands.campaigns import (
    MAX_MESSAGE_LENGTH,
    UNSET,
    CampaignChanges,
    CampaignView,
    QuestionSpec,
    SendingWindow,
    add_senders,
    create_campaign,
    get_campaign,
    list_campaigns,
    list_senders,
    update_campaign,
)
from persistence.outbox.notify import iso
from persistence.store.models import User

from ..auth import authenticate
from ..services import services
from ..validation import invalid, json_object, opt_bool, opt_str, req_str
from .accounts import path_id

__all__ = [
    "MAX_ANSWERS",
    "MAX_QUESTIONS",
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

_CREATE_FIELDS = frozenset(
    {"title", "initial_message", "follow_up_message", "self_assign", "survey_questions", "sending_window"}
)
_PATCH_FIELDS = _CREATE_FIELDS | {"status"}
MAX_QUESTIONS = 50
MAX_ANSWERS = 50


def campaign_json(view: CampaignView) -> dict[str, Any]:
    c = view.campaign
    window = None
    if c.window_start is not None and c.window_end is not None:
        window = {"start": iso(c.window_start), "end": iso(c.window_end)}
    return {
        "id": c.id,
        "title": c.title,
        "status": c.status,
        "messages": {"initial": c.initial_message, "follow_up": c.follow_up_message},
        "initial_message": c.initial_message,
        "follow_up_message": c.follow_up_message,
        "self_assign": c.self_assign,
        "sending_window": window,
        "survey_questions": [
            {"id": q.id, "text": q.text, "answers": list(q.answers)} for q in view.questions
        ],
        "contact_count": view.contact_count,
        "created_at": iso(c.created_at),
    }


def sender_json(user: User) -> dict[str, Any]:
    return {"id": user.id, "first_name": user.first_name, "last_name": user.last_name, "active": user.active}


def _reject_unknown(body: dict[str, Any], allowed: frozenset[str]) -> None:
    unknown = set(body) - allowed
    if unknown:
        raise invalid(f"Unknown field(s): {', '.join(sorted(unknown))}.")


def _datetime(value: Any, key: str) -> datetime:
    if not isinstance(value, str):
        raise invalid(f"'sending_window.{key}' must be an ISO 8601 datetime string.")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise invalid(f"'sending_window.{key}' is not an ISO 8601 datetime: {value[:40]!r}.") from None
    # The API speaks UTC: a datetime without an offset is taken as UTC.
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _window(body: dict[str, Any]) -> SendingWindow | None:
    raw = body.get("sending_window")
    if raw is None:
        return None
    if not isinstance(raw, dict) or set(raw) != {"start", "end"}:
        raise invalid("'sending_window' must be null or an object with 'start' and 'end'.")
    return SendingWindow(_datetime(raw["start"], "start"), _datetime(raw["end"], "end"))


def _questions(body: dict[str, Any]) -> tuple[QuestionSpec, ...]:
    raw = body.get("survey_questions")
    if raw is None:
        return ()
    if not isinstance(raw, list) or len(raw) > MAX_QUESTIONS:
        raise invalid(f"'survey_questions' must be a list of at most {MAX_QUESTIONS} questions.")
    specs = []
    for n, item in enumerate(raw):
        if not isinstance(item, dict) or not set(item) <= {"text", "answers"}:
            raise invalid(f"survey_questions[{n}] must be an object with 'text' and optional 'answers'.")
        text = req_str(item, "text", max_len=1000)
        answers = item.get("answers") or []
        if (
            not isinstance(answers, list)
            or len(answers) > MAX_ANSWERS
            or not all(isinstance(a, str) and a.strip() and len(a) <= 200 for a in answers)
        ):
            raise invalid(
                f"survey_questions[{n}].answers must be a list of at most {MAX_ANSWERS} "
                "non-empty strings of up to 200 characters."
            )
        specs.append(QuestionSpec(text.strip(), tuple(a.strip() for a in answers)))
    return tuple(specs)


async def list_route(request: Request) -> Response:
    actor = await authenticate(request)
    async with services(request).db.session() as session:
        views = await list_campaigns(session, actor)
    return JSONResponse({"campaigns": [campaign_json(v) for v in views]})


async def create_route(request: Request) -> Response:
    actor = await authenticate(request)
    body = await json_object(request)
    _reject_unknown(body, _CREATE_FIELDS)
    title = req_str(body, "title", max_len=200)
    initial = req_str(body, "initial_message", max_len=MAX_MESSAGE_LENGTH)
    follow_up = opt_str(body, "follow_up_message", max_len=MAX_MESSAGE_LENGTH)
    self_assign = opt_bool(body, "self_assign") or False
    questions = _questions(body)
    window = _window(body)
    async with services(request).db.transaction() as session:
        view = await create_campaign(
            session,
            actor,
            title=title,
            initial_message=initial,
            follow_up_message=follow_up or None,
            self_assign=self_assign,
            survey_questions=questions,
            sending_window=window,
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
    body = await json_object(request)
    _reject_unknown(body, _PATCH_FIELDS)
    if not body:
        raise invalid(f"Send at least one of: {', '.join(sorted(_PATCH_FIELDS))}.")
    changes = CampaignChanges(
        title=req_str(body, "title", max_len=200) if "title" in body else None,
        initial_message=(
            req_str(body, "initial_message", max_len=MAX_MESSAGE_LENGTH)
            if "initial_message" in body
            else None
        ),
        follow_up_message=(
            opt_str(body, "follow_up_message", max_len=MAX_MESSAGE_LENGTH) or None
            if "follow_up_message" in body
            else UNSET
        ),
        self_assign=opt_bool(body, "self_assign"),
        sending_window=_window(body) if "sending_window" in body else UNSET,
        survey_questions=_questions(body) if "survey_questions" in body else None,
        status=req_str(body, "status", max_len=16) if "status" in body else None,
    )
    async with services(request).db.transaction() as session:
        view = await update_campaign(session, actor, campaign_id, changes)
    return JSONResponse(campaign_json(view))


async def add_senders_route(request: Request) -> Response:
    actor = await authenticate(request)
    campaign_id = path_id(request, "campaign_id")
    body = await json_object(request)
    _reject_unknown(body, frozenset({"user_ids"}))
    ids = body.get("user_ids")
    if (
        not isinstance(ids, list)
        or not ids
        or not all(isinstance(i, int) and not isinstance(i, bool) and i > 0 for i in ids)
    ):
        raise invalid("'user_ids' must be a non-empty list of user ids.")
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


routes: list[BaseRoute] = [
    Route("/api/campaigns", list_route, methods=["GET"]),
    Route("/api/campaigns", create_route, methods=["POST"]),
    Route("/api/campaigns/{campaign_id}", get_route, methods=["GET"]),
    Route("/api/campaigns/{campaign_id}", patch_route, methods=["PATCH"]),
    Route("/api/campaigns/{campaign_id}/senders", list_senders_route, methods=["GET"]),
    Route("/api/campaigns/{campaign_id}/senders", add_senders_route, methods=["POST"]),
]
