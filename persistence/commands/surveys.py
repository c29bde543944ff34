"""Survey answers on a conversation, recorded and edited by its sender or a sweeper."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from persistence.rules.errors import InvalidInput
from persistence.rules.text import storable
from persistence.store.models import SurveyAnswer, SurveyQuestion
from persistence.store.scope import Actor, conversation_for
from persistence.store.types import utcnow

__all__ = ["MAX_ANSWER_CHARS", "record_answers", "survey_of"]

MAX_ANSWER_CHARS = 1000


async def survey_of(session: AsyncSession, campaign_id: int, conversation_id: int) -> list[dict[str, Any]]:
    """Every question of the campaign, in order, with this conversation's answer (or None)."""
    rows = await session.execute(
        select(SurveyQuestion, SurveyAnswer.answer)
        .outerjoin(
            SurveyAnswer,
            (SurveyAnswer.question_id == SurveyQuestion.id)
            & (SurveyAnswer.conversation_id == conversation_id),
        )
        .where(SurveyQuestion.campaign_id == campaign_id)
        .order_by(SurveyQuestion.position, SurveyQuestion.id)
    )
    return [
        {"question_id": q.id, "text": q.text, "answers": list(q.answers or []), "answer": answer}
        for q, answer in rows
    ]


def _check(questions: Mapping[int, SurveyQuestion], answers: Mapping[str, Any]) -> dict[int, str | None]:
    """Validate every answer before anything is written (pure)."""
    checked: dict[int, str | None] = {}
    for key, value in answers.items():
        try:
            question_id = int(key)
        except ValueError:
            raise InvalidInput(f"{key!r} is not a question id.", code="unknown_question") from None
        question = questions.get(question_id)
        if question is None:
            raise InvalidInput(f"This campaign has no question {key}.", code="unknown_question")
        if value is None:
            checked[question_id] = None  # clears the answer
            continue
        if not isinstance(value, str) or not value.strip():
            raise InvalidInput(f"The answer to question {key} must be a non-empty string or null.")
        value = value.strip()
        if not storable(value):
            raise InvalidInput(f"The answer to question {key} has characters that cannot be stored.")
        if len(value) > MAX_ANSWER_CHARS:
            raise InvalidInput(f"The answer to question {key} is longer than {MAX_ANSWER_CHARS} characters.")
        if question.answers and value not in question.answers:
            choices = ", ".join(repr(a) for a in question.answers)
            raise InvalidInput(
                f"The answer to question {key} must be one of {choices}.", code="invalid_answer"
            )
        checked[question_id] = value
    return checked


async def record_answers(
    session: AsyncSession, actor: Actor, conversation_id: int, answers: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """Set (or, with null, clear) answers; other questions keep theirs. Returns the survey."""
    conversation, campaign = await conversation_for(session, actor, conversation_id)
    if campaign is None:
        raise InvalidInput("An inbox conversation has no survey.", code="no_survey")
    questions = {
        q.id: q
        for q in await session.scalars(
            select(SurveyQuestion).where(SurveyQuestion.campaign_id == campaign.id)
        )
    }
    checked = _check(questions, answers)
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    now = utcnow()
    for question_id in sorted(checked):
        value = checked[question_id]
        if value is None:
            await session.execute(
                delete(SurveyAnswer).where(
                    SurveyAnswer.conversation_id == conversation.id, SurveyAnswer.question_id == question_id
                )
            )
            continue
        stmt = insert(SurveyAnswer).values(
            conversation_id=conversation.id,
            question_id=question_id,
            answer=value,
            updated_by=actor.user_id,
            updated_at=now,
        )
        await session.execute(
            stmt.on_conflict_do_update(
                index_elements=[SurveyAnswer.conversation_id, SurveyAnswer.question_id],
                set_={"answer": value, "updated_by": actor.user_id, "updated_at": now},
            )
        )
    return await survey_of(session, campaign.id, conversation.id)
