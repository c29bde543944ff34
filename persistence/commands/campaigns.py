"""Campaigns: create, read, change (including the lifecycle) and their senders.

Every command takes the :class:`~persistence.store.scope.Actor` it runs for and
loads the campaign through :func:`~persistence.store.scope.campaign_for`, so another
organization's campaign is "not found" and a sender only sees campaigns they
were added to. Only sweepers (owners, admins, moderators) create and change
campaigns and their senders.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from persistence.commands import audit
from persistence.commands.campaign_events import campaign_data, emit_campaign
from persistence.outbox.notify import emit_counts
from persistence.rules.campaign import check_launch, check_transition
from persistence.rules.errors import Conflict, InvalidInput
from persistence.rules.text import require_storable
from persistence.rules.texting_hours import TextingHours
from persistence.store.models import (
    Campaign,
    CampaignSender,
    ConversationCount,
    Organization,
    SurveyQuestion,
    User,
)
from persistence.store.scope import Actor, campaign_for, require_sweeper

__all__ = [
    "MAX_MESSAGE_LENGTH",
    "MAX_SENDERS_PER_REQUEST",
    "UNSET",
    "CampaignChanges",
    "CampaignView",
    "QuestionSpec",
    "SendingWindow",
    "add_senders",
    "create_campaign",
    "get_campaign",
    "list_campaigns",
    "list_senders",
    "update_campaign",
]

# Long enough for a ten-segment SMS, the common providers' limit per message.
MAX_MESSAGE_LENGTH: Final = 1600
MAX_SENDERS_PER_REQUEST: Final = 10_000


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = _Unset()
"""A PATCH field left out (as opposed to set to null)."""


@dataclass(frozen=True, slots=True)
class QuestionSpec:
    text: str
    answers: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SendingWindow:
    """When initial messages may go out (aware datetimes, compared in UTC)."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise InvalidInput("The sending window's start and end need a time zone (use UTC).")
        if self.end <= self.start:
            raise InvalidInput("The sending window must end after it starts.", code="invalid_sending_window")


@dataclass(frozen=True, kw_only=True)
class CampaignChanges:
    """The fields of a PATCH; ``None``/``UNSET`` means "leave as is"."""

    title: str | None = None
    initial_message: str | None = None
    follow_up_message: str | _Unset | None = UNSET
    self_assign: bool | None = None
    waiting_alert_minutes: int | None = None
    auto_rebalance_after_minutes: int | _Unset | None = UNSET
    sending_window: SendingWindow | _Unset | None = UNSET
    survey_questions: tuple[QuestionSpec, ...] | None = None
    status: str | None = None
    texting_hours: TextingHours | _Unset | None = UNSET
    practice: bool | None = None


@dataclass(frozen=True)
class CampaignView:
    """A campaign with what its JSON shows besides its own columns."""

    campaign: Campaign
    questions: list[SurveyQuestion] = field(default_factory=list)
    contact_count: int = 0
    # The organization's setting: texts are sent with plain punctuation (segment counts follow).
    plain_punctuation: bool = False

    def as_json(self) -> dict[str, Any]:
        """What ``GET /api/campaigns/{cid}`` answers, and the ``campaign`` event's data."""
        return campaign_data(self.campaign, self.questions, self.contact_count, plain=self.plain_punctuation)


def _check_text(name: str, value: str, max_len: int) -> str:
    require_storable(name, value)
    if not value.strip():
        raise InvalidInput(f"'{name}' must not be empty.")
    if len(value) > max_len:
        raise InvalidInput(f"'{name}' is longer than {max_len} characters.")
    return value


async def _questions(session: AsyncSession, campaign_ids: Sequence[int]) -> dict[int, list[SurveyQuestion]]:
    found: dict[int, list[SurveyQuestion]] = {cid: [] for cid in campaign_ids}
    if campaign_ids:
        rows = await session.scalars(
            select(SurveyQuestion)
            .where(SurveyQuestion.campaign_id.in_(campaign_ids))
            .order_by(SurveyQuestion.campaign_id, SurveyQuestion.position, SurveyQuestion.id)
        )
        for question in rows:
            found[question.campaign_id].append(question)
    return found


async def _contact_counts(session: AsyncSession, campaign_ids: Sequence[int]) -> dict[int, int]:
    # The counters hold one row per slot; their sum is the campaign's contact count.
    if not campaign_ids:
        return {}
    rows = await session.execute(
        select(ConversationCount.campaign_id, func.sum(ConversationCount.assigned))
        .where(ConversationCount.campaign_id.in_(campaign_ids))
        .group_by(ConversationCount.campaign_id)
    )
    return {int(cid): int(total or 0) for cid, total in rows}


async def _views(session: AsyncSession, campaigns: Sequence[Campaign]) -> list[CampaignView]:
    ids = [c.id for c in campaigns]
    questions = await _questions(session, ids)
    counts = await _contact_counts(session, ids)
    plain = bool(
        campaigns
        and await session.scalar(
            select(Organization.plain_punctuation).where(Organization.id == campaigns[0].organization_id)
        )
    )
    return [CampaignView(c, questions[c.id], counts.get(c.id, 0), plain) for c in campaigns]


def _add_questions(session: AsyncSession, campaign_id: int, questions: Sequence[QuestionSpec]) -> None:
    for position, spec in enumerate(questions):
        require_storable("survey_questions", " ".join((spec.text, *spec.answers)))
        session.add(
            SurveyQuestion(
                campaign_id=campaign_id, position=position, text=spec.text, answers=list(spec.answers)
            )
        )


async def create_campaign(
    session: AsyncSession,
    actor: Actor,
    *,
    title: str,
    initial_message: str,
    follow_up_message: str | None = None,
    self_assign: bool = False,
    survey_questions: Sequence[QuestionSpec] = (),
    sending_window: SendingWindow | None = None,
    texting_hours: TextingHours | None = None,
    practice: bool = False,
) -> CampaignView:
    """A new campaign of the actor's organization, in ``draft``.

    Raises:
        PermissionDenied: the actor is a sender.
        InvalidInput: an empty or too long title or message.
    """
    require_sweeper(actor)
    campaign = Campaign(
        organization_id=actor.organization_id,
        title=_check_text("title", title, 200).strip(),
        initial_message=_check_text("initial_message", initial_message, MAX_MESSAGE_LENGTH),
        follow_up_message=(
            _check_text("follow_up_message", follow_up_message, MAX_MESSAGE_LENGTH)
            if follow_up_message
            else None
        ),
        self_assign=self_assign,
        status="draft",
        window_start=sending_window.start if sending_window else None,
        window_end=sending_window.end if sending_window else None,
        texting_hours=texting_hours.to_json() if texting_hours else None,
        practice=practice,
    )
    session.add(campaign)
    await session.flush()
    _add_questions(session, campaign.id, survey_questions)
    await session.flush()
    return (await _views(session, [campaign]))[0]


async def get_campaign(session: AsyncSession, actor: Actor, campaign_id: int) -> CampaignView:
    """The campaign, for a sweeper of its organization or one of its senders."""
    campaign = await campaign_for(session, actor, campaign_id)
    return (await _views(session, [campaign]))[0]


async def list_campaigns(session: AsyncSession, actor: Actor) -> list[CampaignView]:
    """Sweepers: every campaign of the organization; senders: the ones they were added to.

    Newest first.
    """
    stmt = select(Campaign).where(Campaign.organization_id == actor.organization_id)
    if not actor.is_sweeper:
        stmt = stmt.join(CampaignSender, CampaignSender.campaign_id == Campaign.id).where(
            CampaignSender.user_id == actor.user_id
        )
    campaigns = list(await session.scalars(stmt.order_by(Campaign.id.desc())))
    return await _views(session, campaigns)


async def update_campaign(
    session: AsyncSession, actor: Actor, campaign_id: int, changes: CampaignChanges
) -> CampaignView:
    """Apply a PATCH. The status follows :mod:`persistence.rules.campaign`.

    A closed campaign refuses every change. Survey questions can only be
    replaced while the campaign is a draft (answers refer to them). A change
    anyone would see emits the ``campaign`` event (see ``campaign_events``).

    Raises:
        Conflict: an illegal status change, a launch without contacts, or a
            change to a closed campaign.
    """
    require_sweeper(actor)
    campaign = await campaign_for(session, actor, campaign_id, for_update=True)
    before = (await _views(session, [campaign]))[0]
    # Taken now: the view holds the very row this command changes.
    shown_before = before.as_json()
    new_status = campaign.status
    if changes.status is not None and check_transition(campaign.status, changes.status):
        new_status = changes.status
    if campaign.status == "closed":
        if changes != CampaignChanges(status=changes.status):
            raise Conflict("The campaign is closed and can no longer be changed.", code="campaign_closed")
        return before
    if changes.title is not None:
        campaign.title = _check_text("title", changes.title, 200).strip()
    if changes.initial_message is not None:
        campaign.initial_message = _check_text("initial_message", changes.initial_message, MAX_MESSAGE_LENGTH)
    if not isinstance(changes.follow_up_message, _Unset):
        campaign.follow_up_message = (
            _check_text("follow_up_message", changes.follow_up_message, MAX_MESSAGE_LENGTH)
            if changes.follow_up_message
            else None
        )
    if changes.self_assign is not None:
        campaign.self_assign = changes.self_assign
    if changes.waiting_alert_minutes is not None:
        campaign.waiting_alert_minutes = changes.waiting_alert_minutes
    if not isinstance(changes.auto_rebalance_after_minutes, _Unset):
        campaign.auto_rebalance_after_minutes = changes.auto_rebalance_after_minutes
    if not isinstance(changes.sending_window, _Unset):
        window = changes.sending_window
        campaign.window_start = window.start if window else None
        campaign.window_end = window.end if window else None
    if not isinstance(changes.texting_hours, _Unset):
        hours = changes.texting_hours
        campaign.texting_hours = hours.to_json() if hours else None
    if changes.practice is not None:
        campaign.practice = changes.practice
    if changes.survey_questions is not None:
        if campaign.status != "draft":
            raise Conflict(
                "Survey questions can only be replaced while the campaign is a draft; "
                "create a new campaign to ask different questions.",
                code="campaign_launched",
            )
        await session.execute(delete(SurveyQuestion).where(SurveyQuestion.campaign_id == campaign.id))
        _add_questions(session, campaign.id, changes.survey_questions)
    if campaign.status == "draft" and new_status == "active":
        check_launch(contact_count=before.contact_count, initial_message=campaign.initial_message)
    if new_status != campaign.status:
        detail = {"from": campaign.status, "to": new_status}
        audit.record(session, campaign.id, actor.user_id, "status_changed", detail)
    campaign.status = new_status
    await session.flush()
    after = (await _views(session, [campaign]))[0]
    data = after.as_json()
    if data != shown_before:
        await emit_campaign(session, campaign.id, data)
    return after


async def add_senders(
    session: AsyncSession, actor: Actor, campaign_id: int, user_ids: Sequence[int]
) -> list[int]:
    """Add users as senders of a campaign; return the ids that were not senders yet.

    Every id must be an active user of the campaign's organization, else
    nothing is added. Adding someone twice is harmless.

    Raises:
        InvalidInput: an unknown, inactive or other organization's user
            (the message lists them).
    """
    require_sweeper(actor)
    campaign = await campaign_for(session, actor, campaign_id)
    if campaign.status == "closed":
        raise Conflict("The campaign is closed; senders can no longer be added.", code="campaign_closed")
    wanted = sorted(set(user_ids))
    if not wanted:
        raise InvalidInput("'user_ids' must name at least one user.")
    if len(wanted) > MAX_SENDERS_PER_REQUEST:
        raise InvalidInput(f"At most {MAX_SENDERS_PER_REQUEST} senders can be added at once.")
    valid: set[int] = set()
    for start in range(0, len(wanted), 1000):
        chunk = wanted[start : start + 1000]
        valid.update(
            await session.scalars(
                select(User.id).where(
                    User.id.in_(chunk),
                    User.organization_id == campaign.organization_id,
                    User.active.is_(True),
                )
            )
        )
    unknown = [uid for uid in wanted if uid not in valid]
    if unknown:
        shown = ", ".join(str(uid) for uid in unknown[:20])
        raise InvalidInput(
            f"Not active users of this organization: {shown}. Nothing was added.", code="invalid_users"
        )
    existing = set(
        await session.scalars(select(CampaignSender.user_id).where(CampaignSender.campaign_id == campaign.id))
    )
    new = [uid for uid in wanted if uid not in existing]
    if new:
        dialect = session.get_bind().dialect.name
        upsert = (
            postgresql.insert(CampaignSender) if dialect == "postgresql" else sqlite.insert(CampaignSender)
        )
        # A concurrent request adding the same sender is not an error.
        await session.execute(
            upsert.on_conflict_do_nothing(index_elements=["campaign_id", "user_id"]),
            [{"campaign_id": campaign.id, "user_id": uid} for uid in new],
        )
        # Sweepers watching the overview see the new rows (at zero) at once.
        emit_counts(session, campaign.id, new)
    return new


async def list_senders(session: AsyncSession, actor: Actor, campaign_id: int) -> list[User]:
    """The campaign's senders, by first then last name."""
    campaign = await campaign_for(session, actor, campaign_id)
    rows = await session.scalars(
        select(User)
        .join(CampaignSender, CampaignSender.user_id == User.id)
        .where(CampaignSender.campaign_id == campaign.id)
        .order_by(func.lower(User.first_name), func.lower(User.last_name), User.id)
    )
    return list(rows)
