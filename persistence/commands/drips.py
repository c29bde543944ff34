"""Drips: a named list of texts, each sent a set time after the drip is applied.

Each step's ``after_seconds`` counts from the moment the drip is applied
(``persistence/rules/schedule.py``). Applying a drip copies its steps into
scheduled texts; changing or deleting the drip later leaves those alone. An
inbound text from the contact deletes the steps not yet sent
(``persistence/commands/inbound.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from persistence.commands.messaging import check_body
from persistence.commands.scheduled import automatic_target, emit_scheduled
from persistence.outbox.notify import iso
from persistence.rules.errors import InvalidInput, NotFound, PermissionDenied
from persistence.rules.schedule import MAX_STEPS, check_step_times, step_times
from persistence.rules.text import storable
from persistence.store.models import Drip, Organization, ScheduledMessage
from persistence.store.scope import Actor, require_admin
from persistence.store.types import utcnow

__all__ = [
    "MAX_NAME_CHARS",
    "MAX_STEPS",
    "Step",
    "apply_drip",
    "check_steps",
    "create_drip",
    "delete_drip",
    "drip_data",
    "drips_allowed",
    "list_drips",
]

MAX_NAME_CHARS = 200


@dataclass(frozen=True, slots=True)
class Step:
    after_seconds: int
    body: str


def drip_data(drip: Drip) -> dict[str, Any]:
    return {
        "id": drip.id,
        "name": drip.name,
        "steps": [{"after_seconds": s["after_seconds"], "body": s["body"]} for s in drip.steps],
        "created_at": iso(drip.created_at),
    }


def check_steps(steps: list[Step]) -> list[Step]:
    """The steps with their bodies checked and trimmed, or 422 (see persistence/rules/schedule.py)."""
    check_step_times([s.after_seconds for s in steps])
    return [Step(s.after_seconds, check_body(s.body)) for s in steps]


async def drips_allowed(session: AsyncSession, organization_id: int) -> bool:
    return bool(
        await session.scalar(select(Organization.allow_drips).where(Organization.id == organization_id))
    )


async def create_drip(session: AsyncSession, actor: Actor, *, name: str, steps: list[Step]) -> Drip:
    """A new drip of the organization (owners and admins)."""
    require_admin(actor)
    name = name.strip()
    if not name or len(name) > MAX_NAME_CHARS or not storable(name):
        raise InvalidInput(f"'name' must have 1 to {MAX_NAME_CHARS} characters.", code="invalid_name")
    drip = Drip(
        organization_id=actor.organization_id,
        name=name,
        steps=[{"after_seconds": s.after_seconds, "body": s.body} for s in check_steps(steps)],
        created_by=actor.user_id,
        created_at=utcnow(),
    )
    session.add(drip)
    await session.flush()
    return drip


async def list_drips(session: AsyncSession, actor: Actor) -> list[Drip]:
    """The organization's drips, by name (anyone of the organization)."""
    rows = await session.scalars(
        select(Drip).where(Drip.organization_id == actor.organization_id).order_by(Drip.name, Drip.id)
    )
    return list(rows)


async def _drip(session: AsyncSession, actor: Actor, drip_id: int) -> Drip:
    drip = await session.scalar(
        select(Drip).where(Drip.id == drip_id, Drip.organization_id == actor.organization_id)
    )
    if drip is None:
        raise NotFound(f"No drip {drip_id}.")
    return drip


async def delete_drip(session: AsyncSession, actor: Actor, drip_id: int) -> None:
    """Delete a drip (owners and admins); steps it already scheduled stay scheduled."""
    require_admin(actor)
    await session.delete(await _drip(session, actor, drip_id))
    await session.flush()


async def apply_drip(
    session: AsyncSession, actor: Actor, conversation_id: int, drip_id: int
) -> list[ScheduledMessage]:
    """Schedule each step of the drip at its time from now on an inbox conversation.

    Raises:
        PermissionDenied: the organization turned drips off (``drips_disabled``).
        NotFound: no such drip or conversation.
        Conflict: a campaign conversation; an opted-out contact.
    """
    if not await drips_allowed(session, actor.organization_id):
        raise PermissionDenied("Drips are turned off for this organization.", code="drips_disabled")
    drip = await _drip(session, actor, drip_id)
    conversation, _contact = await automatic_target(session, actor, conversation_id)
    now = utcnow()
    times = step_times([int(step["after_seconds"]) for step in drip.steps], now)
    rows = [
        ScheduledMessage(
            organization_id=actor.organization_id,
            conversation_id=conversation.id,
            author_id=actor.user_id,
            body=step["body"],
            send_at=times[number - 1],
            drip_id=drip.id,
            drip_step=number,
            state="pending",
            created_at=now,
        )
        for number, step in enumerate(drip.steps, start=1)
    ]
    session.add_all(rows)
    await session.flush()
    for row in rows:
        emit_scheduled(session, conversation, row)
    return rows
