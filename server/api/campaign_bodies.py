"""The request definitions of the campaign routes, and the campaign's JSON form."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from persistence.commands.campaigns import (
    MAX_MESSAGE_LENGTH,
    UNSET,
    CampaignChanges,
    QuestionSpec,
    SendingWindow,
)
from persistence.rules.auto_rebalance import MAX_MINUTES, MIN_MINUTES
from persistence.rules.errors import InvalidInput
from persistence.rules.texting_hours import TextingHours

from ..parsing import ABSENT, Absent, Bool, DateTime, Int, ListOf, Nested, Nullable, Str, param

__all__ = [
    "CAMPAIGN_SCHEMA",
    "MAX_ANSWERS",
    "MAX_QUESTIONS",
    "CampaignBody",
    "CampaignPatchBody",
    "QuestionBody",
    "SendersBody",
    "TextingHoursBody",
    "WindowBody",
    "changes",
    "hours",
    "questions",
    "window",
]

MAX_QUESTIONS = 50
MAX_ANSWERS = 50


@dataclass(frozen=True, slots=True, kw_only=True)
class QuestionBody:
    """A survey question."""

    text: str = param(Str(max_len=1000), required=True)
    answers: list[str] | None = param(Nullable(ListOf(Str(max_len=200), max_items=MAX_ANSWERS)))


@dataclass(frozen=True, slots=True, kw_only=True)
class WindowBody:
    """When initial messages may go out (UTC when no offset is given)."""

    start: datetime = param(DateTime(), required=True)
    end: datetime = param(DateTime(), required=True)


@dataclass(frozen=True, slots=True, kw_only=True)
class TextingHoursBody:
    """Daily hours in each contact's local time; ``time_zone`` when the number does not tell it."""

    start: str = param(Str(max_len=5), required=True, description="HH:MM, e.g. 09:00.")
    end: str = param(Str(max_len=5), required=True, description="HH:MM, after start, e.g. 21:00.")
    time_zone: str = param(Str(max_len=64), required=True, description="IANA name, e.g. America/New_York.")


_QUESTIONS = Nullable(ListOf(Nested(QuestionBody), max_items=MAX_QUESTIONS))
_WINDOW = Nullable(Nested(WindowBody))
_HOURS = Nullable(Nested(TextingHoursBody))
_PRACTICE = "Simulated contacts answer its texts (a training campaign; see docs/texting-rules.md)."
_MESSAGE = Str(max_len=MAX_MESSAGE_LENGTH)
_FOLLOW_UP = Nullable(Str(max_len=MAX_MESSAGE_LENGTH, allow_blank=True))


@dataclass(frozen=True, slots=True, kw_only=True)
class CampaignBody:
    """A new campaign, in draft."""

    title: str = param(Str(max_len=200), required=True)
    initial_message: str = param(_MESSAGE, required=True)
    follow_up_message: str | None = param(_FOLLOW_UP)
    self_assign: bool | None = param(Nullable(Bool()))
    survey_questions: list[QuestionBody] | None = param(_QUESTIONS)
    sending_window: WindowBody | None = param(_WINDOW)
    texting_hours: TextingHoursBody | None = param(_HOURS)
    practice: bool | None = param(Nullable(Bool()), description=_PRACTICE)


@dataclass(frozen=True, slots=True, kw_only=True)
class CampaignPatchBody:
    """Changes to a campaign (``status`` launches, pauses or closes it); at least one key."""

    title: str | Absent = param(Str(max_len=200), default=ABSENT)
    initial_message: str | Absent = param(_MESSAGE, default=ABSENT)
    follow_up_message: str | Absent | None = param(_FOLLOW_UP, default=ABSENT)
    self_assign: bool | None = param(Nullable(Bool()))
    waiting_alert_minutes: int | None = param(
        Nullable(Int(minimum=1, maximum=1440)),
        description="The overview highlights a reply waiting longer than this (default 10).",
        code="invalid_waiting_alert",
    )
    auto_rebalance_after_minutes: int | Absent | None = param(
        Nullable(Int(minimum=MIN_MINUTES, maximum=MAX_MINUTES)),
        default=ABSENT,
        description=(
            "Move the waiting replies of a sender offline this many minutes to the online "
            "senders, automatically; null turns it off (the default)."
        ),
        code="invalid_auto_rebalance",
    )
    survey_questions: list[QuestionBody] | Absent | None = param(_QUESTIONS, default=ABSENT)
    sending_window: WindowBody | Absent | None = param(_WINDOW, default=ABSENT)
    texting_hours: TextingHoursBody | Absent | None = param(_HOURS, default=ABSENT)
    practice: bool | None = param(Nullable(Bool()), description=_PRACTICE)
    status: str | Absent = param(
        Str(max_len=16), default=ABSENT, description="draft, active, paused, closed."
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class SendersBody:
    """Users to add as senders."""

    user_ids: list[int] = param(ListOf(Int(minimum=1), min_items=1), required=True)


def questions(items: list[QuestionBody] | None) -> tuple[QuestionSpec, ...]:
    return tuple(QuestionSpec(q.text.strip(), tuple(a.strip() for a in q.answers or ())) for q in items or ())


def window(body: WindowBody | None) -> SendingWindow | None:
    return None if body is None else SendingWindow(body.start, body.end)


def hours(body: TextingHoursBody | None) -> TextingHours | None:
    return None if body is None else TextingHours.parse(body.start, body.end, body.time_zone)


def changes(body: CampaignPatchBody) -> CampaignChanges:
    """The persistence form of a PATCH; refuses one that changes nothing."""
    if body == CampaignPatchBody():
        raise InvalidInput("Send at least one field to change.")
    return CampaignChanges(
        title=None if isinstance(body.title, Absent) else body.title,
        initial_message=None if isinstance(body.initial_message, Absent) else body.initial_message,
        follow_up_message=UNSET
        if isinstance(body.follow_up_message, Absent)
        else body.follow_up_message or None,
        self_assign=body.self_assign,
        waiting_alert_minutes=body.waiting_alert_minutes,
        auto_rebalance_after_minutes=(
            UNSET
            if isinstance(body.auto_rebalance_after_minutes, Absent)
            else body.auto_rebalance_after_minutes
        ),
        sending_window=UNSET if isinstance(body.sending_window, Absent) else window(body.sending_window),
        survey_questions=(
            None if isinstance(body.survey_questions, Absent) else questions(body.survey_questions)
        ),
        status=None if isinstance(body.status, Absent) else body.status,
        texting_hours=UNSET if isinstance(body.texting_hours, Absent) else hours(body.texting_hours),
        practice=body.practice,
    )


CAMPAIGN_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id", "title", "status", "initial_message", "self_assign", "contact_count"],
    "properties": {
        "id": {"type": "integer"},
        "title": {"type": "string"},
        "status": {"type": "string", "enum": ["draft", "active", "paused", "closed"]},
        "messages": {"type": "object"},
        "initial_message": {"type": "string"},
        "follow_up_message": {"type": ["string", "null"]},
        "self_assign": {"type": "boolean"},
        "waiting_alert_minutes": {"type": "integer"},
        "auto_rebalance_after_minutes": {"type": ["integer", "null"]},
        "sending_window": {"type": ["object", "null"]},
        "texting_hours": {"type": ["object", "null"]},
        "practice": {"type": "boolean"},
        "segments": {"type": "integer", "description": "SMS segments of the initial message, sample names"},
        "survey_questions": {"type": "array"},
        "contact_count": {"type": "integer"},
        "created_at": {"type": "string"},
    },
}
