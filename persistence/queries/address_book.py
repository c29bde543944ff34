"""The address book: one entry per phone of an organization, read without copies.

Entries are contact rows without a campaign (``campaign_id`` NULL, one per
phone: ``uq_contacts_address_book``), and every campaign contact whose phone
has no such entry, the newest upload of each phone standing for it. Campaign
uploads therefore write nothing here; the union below reads them in place,
through the ``(organization_id, phone)`` index.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from persistence.commands.consent import consent_sent_at
from persistence.outbox.notify import iso
from persistence.rules.errors import InvalidInput, NotFound
from persistence.rules.phones import mask_phone
from persistence.rules.text import storable
from persistence.store.models import Consent, Contact, OptOut, Organization
from persistence.store.scope import Actor

__all__ = ["MAX_LIMIT", "entry_json", "find_entry", "search_address_book", "visible_entry"]

MAX_LIMIT = 200


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def visible_entry(organization_id: int) -> ColumnElement[bool]:
    """Contact rows that are address-book entries of the organization (SQL)."""
    own = aliased(Contact)
    newer = aliased(Contact)
    return and_(
        Contact.organization_id == organization_id,
        or_(
            Contact.campaign_id.is_(None),
            and_(
                # A campaign contact stands in only where the phone has no entry of its own…
                ~exists().where(
                    own.organization_id == organization_id,
                    own.phone == Contact.phone,
                    own.campaign_id.is_(None),
                ),
                # …and only the phone's newest campaign contact.
                ~exists().where(
                    newer.organization_id == organization_id,
                    newer.phone == Contact.phone,
                    newer.id > Contact.id,
                ),
            ),
        ),
    )


def _search(search: str | None) -> list[ColumnElement[bool]]:
    """The address book's search as a WHERE clause (empty: no search)."""
    if search is None or not search.strip():
        return []
    if not storable(search):
        raise InvalidInput("'search' has characters that cannot be searched for.")
    needle = f"%{_escape_like(search.strip().lower())}%"
    digits = "".join(ch for ch in search if ch.isdigit())
    matches = [func.lower(Contact.first_name + " " + Contact.last_name).like(needle, escape="\\")]
    if len(digits) >= 3:
        matches.append(Contact.phone.like(f"%{digits}%"))
    return [or_(*matches)]


def entry_json(contact: Contact, *, opted_out: bool, consent_at: Any, redact: bool) -> dict[str, Any]:
    return {
        "id": contact.id,
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "phone": mask_phone(contact.phone) if redact else contact.phone,
        "fields": dict(contact.extra or {}),
        # None: an entry of the address book itself; else the campaign it came from.
        "campaign_id": contact.campaign_id,
        "opted_out": opted_out,
        "consent": {"sent_at": iso(consent_at)},
    }


async def _redacts(session: AsyncSession, organization_id: int) -> bool:
    return bool(
        await session.scalar(select(Organization.redact_phones).where(Organization.id == organization_id))
    )


async def search_address_book(
    session: AsyncSession, actor: Actor, *, search: str | None = None, limit: int = 50
) -> list[dict[str, Any]]:
    """Entries by name (then id), matching ``search`` in the name or the phone's digits."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"'limit' must be between 1 and {MAX_LIMIT}.")
    org = actor.organization_id
    opted = exists().where(OptOut.organization_id == org, OptOut.phone == Contact.phone)
    consent = (
        select(Consent.sent_at)
        .where(Consent.organization_id == org, Consent.phone == Contact.phone)
        .scalar_subquery()
    )
    stmt = (
        select(Contact, opted, consent)
        .where(visible_entry(org), *_search(search))
        .order_by(func.lower(Contact.first_name), func.lower(Contact.last_name), Contact.id)
        .limit(limit)
    )
    rows = (await session.execute(stmt)).all()
    redact = await _redacts(session, org)
    return [entry_json(c, opted_out=bool(o), consent_at=at, redact=redact) for c, o, at in rows]


async def find_entry(session: AsyncSession, actor: Actor, contact_id: int) -> dict[str, Any]:
    """One entry (any contact of the organization) as the address book shows it."""
    contact = await session.scalar(
        select(Contact).where(Contact.id == contact_id, Contact.organization_id == actor.organization_id)
    )
    if contact is None:
        raise NotFound(f"No contact {contact_id}.")
    opted = await session.scalar(
        select(OptOut.phone).where(
            OptOut.organization_id == actor.organization_id, OptOut.phone == contact.phone
        )
    )
    return entry_json(
        contact,
        opted_out=opted is not None,
        consent_at=await consent_sent_at(session, actor.organization_id, contact.phone),
        redact=await _redacts(session, actor.organization_id),
    )
