"""The organization's opt-out list: read it, add or remove a number, add many from a file.

Every change goes through :func:`persistence.commands.optouts.set_opt_out`, so
a number opted out here is marked in every conversation of the organization
(counters and live events included), exactly as a STOP text or the
conversation's Opt Out button would. Owners and admins only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from persistence.commands.optouts import set_opt_out
from persistence.outbox.notify import iso
from persistence.rules.errors import InvalidInput
from persistence.rules.phones import normalize_phone
from persistence.store.models import OptOut
from persistence.store.scope import Actor, require_admin

__all__ = [
    "MAX_PAGE",
    "MAX_UPLOAD_PHONES",
    "OptOutPage",
    "UploadResult",
    "add_opt_out",
    "list_opt_outs",
    "opt_out_data",
    "opt_out_many",
    "remove_opt_out",
]

MAX_PAGE: Final = 500
# One transaction per upload: large enough for a list brought from another tool.
MAX_UPLOAD_PHONES: Final = 50_000
_MAX_PROBLEMS: Final = 100


def opt_out_data(row: OptOut) -> dict[str, Any]:
    return {"phone": row.phone, "source": row.source, "created_at": iso(row.created_at)}


@dataclass(frozen=True, slots=True)
class OptOutPage:
    rows: list[OptOut]
    total: int
    next_after: str | None


@dataclass(slots=True)
class UploadResult:
    added: int = 0
    already: int = 0
    invalid: int = 0
    problems: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "already": self.already,
            "invalid": self.invalid,
            "problems": self.problems,
        }


def _phone(raw: str) -> str:
    phone = normalize_phone(raw)
    if phone is None:
        raise InvalidInput(f"'phone' {raw.strip()[:40]!r} is not a valid phone number.", code="invalid_phone")
    return phone


async def list_opt_outs(
    session: AsyncSession, actor: Actor, *, search: str | None, limit: int, after: str | None
) -> OptOutPage:
    """Opted-out numbers by number; ``search``: digits the number contains; ``after``: the page's cursor."""
    require_admin(actor)
    where = [OptOut.organization_id == actor.organization_id]
    digits = "".join(ch for ch in search or "" if ch.isdigit())
    if digits:
        where.append(OptOut.phone.contains(digits, autoescape=True))
    total = await session.scalar(select(func.count()).select_from(OptOut).where(*where)) or 0
    if after is not None:
        where.append(OptOut.phone > after)
    rows = list(await session.scalars(select(OptOut).where(*where).order_by(OptOut.phone).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return OptOutPage(rows, int(total), rows[-1].phone if more and rows else None)


async def add_opt_out(session: AsyncSession, actor: Actor, raw_phone: str) -> OptOut:
    """Opt a number out of every campaign of the organization; returns its row (harmless twice)."""
    require_admin(actor)
    phone = _phone(raw_phone)
    await set_opt_out(
        session, actor.organization_id, phone, opted_out=True, source="manual", created_by=actor.user_id
    )
    return await session.get_one(OptOut, (actor.organization_id, phone))


async def remove_opt_out(session: AsyncSession, actor: Actor, raw_phone: str) -> bool:
    """Opt a number back in; False when it was not opted out."""
    require_admin(actor)
    phone = _phone(raw_phone)
    known = await session.get(OptOut, (actor.organization_id, phone))
    await set_opt_out(
        session, actor.organization_id, phone, opted_out=False, source="manual", created_by=actor.user_id
    )
    return known is not None


async def opt_out_many(session: AsyncSession, actor: Actor, rows: Iterable[tuple[int, str]]) -> UploadResult:
    """Opt out every valid number of ``rows`` (row number, raw phone); invalid ones are reported.

    Raises:
        InvalidInput: more than :data:`MAX_UPLOAD_PHONES` numbers (nothing is changed).
    """
    require_admin(actor)
    result = UploadResult()
    wanted: dict[str, int] = {}
    for row, raw in rows:
        phone = normalize_phone(raw)
        if phone is None:
            result.invalid += 1
            if len(result.problems) < _MAX_PROBLEMS:
                result.problems.append({"row": row, "reason": f"invalid phone number {raw.strip()[:40]!r}"})
        else:
            wanted.setdefault(phone, row)
        if len(wanted) > MAX_UPLOAD_PHONES:
            raise InvalidInput(f"At most {MAX_UPLOAD_PHONES} numbers per upload; split the file.")
    known = await _known(session, actor.organization_id, sorted(wanted))
    for phone in sorted(wanted):
        if phone in known:
            result.already += 1
            continue
        await set_opt_out(
            session, actor.organization_id, phone, opted_out=True, source="manual", created_by=actor.user_id
        )
        result.added += 1
    return result


async def _known(session: AsyncSession, organization_id: int, phones: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(phones), 1000):
        chunk = phones[start : start + 1000]
        found.update(
            await session.scalars(
                select(OptOut.phone).where(OptOut.organization_id == organization_id, OptOut.phone.in_(chunk))
            )
        )
    return found
