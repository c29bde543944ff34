"""Adding and changing address-book entries; the entry an inbox conversation needs.

The address book holds one entry per phone in an organization (see
``persistence/queries/address_book.py`` for how campaign contacts show in it).
Phones are normalized to E.164 by the same rule as contact uploads; a phone
already in the address book, as an entry or a campaign contact, is a 409.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from persistence.commands.optouts import set_opt_out
from persistence.rules.errors import Conflict, InvalidInput, NotFound
from persistence.rules.phones import normalize_phone
from persistence.rules.text import require_storable
from persistence.store.models import Contact
from persistence.store.scope import Actor

__all__ = ["MAX_NAME", "EntryChanges", "add_entry", "entry_for_phone", "parse_phone", "update_entry"]

MAX_NAME = 200


def parse_phone(raw: str) -> str:
    """``raw`` in E.164, or 422 ``invalid_phone``."""
    phone = normalize_phone(raw)
    if phone is None:
        raise InvalidInput(f"Not a valid phone number: {raw[:40]!r}.", code="invalid_phone")
    return phone


def _name(field: str, value: str) -> str:
    text = require_storable(field, value).strip()
    if len(text) > MAX_NAME:
        raise InvalidInput(f"'{field}' is longer than {MAX_NAME} characters.")
    return text


def _fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    for key, value in fields.items():
        require_storable("fields", key)
        if isinstance(value, str):
            require_storable(key, value)
    return dict(fields)


async def add_entry(
    session: AsyncSession,
    actor: Actor,
    *,
    first_name: str,
    last_name: str,
    phone: str,
    fields: Mapping[str, Any],
) -> Contact:
    """A new address-book entry; 409 ``duplicate_phone`` when the phone is in the address book."""
    e164 = parse_phone(phone)
    entry = Contact(
        organization_id=actor.organization_id,
        campaign_id=None,
        first_name=_name("first_name", first_name),
        last_name=_name("last_name", last_name),
        phone=e164,
        extra=_fields(fields),
    )
    existing = await session.scalar(
        select(Contact.id)
        .where(Contact.organization_id == actor.organization_id, Contact.phone == e164)
        .limit(1)
    )
    if existing is not None:
        raise Conflict(f"{e164} is already in the address book (contact {existing}).", code="duplicate_phone")
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    # The partial unique index settles two adds of one phone at once: the second finds the row.
    new_id = await session.scalar(
        insert(Contact)
        .values(
            organization_id=entry.organization_id,
            campaign_id=None,
            first_name=entry.first_name,
            last_name=entry.last_name,
            phone=e164,
            extra=entry.extra,
        )
        .on_conflict_do_nothing(
            index_elements=[Contact.organization_id, Contact.phone],
            index_where=Contact.campaign_id.is_(None),
        )
        .returning(Contact.id)
    )
    if new_id is None:
        raise Conflict(f"{e164} is already in the address book.", code="duplicate_phone")
    return await session.get_one(Contact, new_id)


async def entry_for_phone(session: AsyncSession, organization_id: int, phone: str) -> Contact:
    """The phone's own address-book entry, made on first use.

    A phone known only from campaigns gets an entry with the newest campaign
    contact's names and fields, so the inbox shows the person as the
    campaign knew them; this writes one row, when a conversation starts.
    """
    found = await session.scalar(
        select(Contact).where(
            Contact.organization_id == organization_id, Contact.phone == phone, Contact.campaign_id.is_(None)
        )
    )
    if found is not None:
        return found
    known = await session.scalar(
        select(Contact)
        .where(Contact.organization_id == organization_id, Contact.phone == phone)
        .order_by(Contact.id.desc())
        .limit(1)
    )
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    await session.execute(
        insert(Contact)
        .values(
            organization_id=organization_id,
            campaign_id=None,
            first_name=known.first_name if known else "",
            last_name=known.last_name if known else "",
            phone=phone,
            extra=dict(known.extra or {}) if known else {},
        )
        .on_conflict_do_nothing(
            index_elements=[Contact.organization_id, Contact.phone],
            index_where=Contact.campaign_id.is_(None),
        )
    )
    # The insert above, or a concurrent one it yielded to, made it.
    made = await session.scalars(
        select(Contact).where(
            Contact.organization_id == organization_id, Contact.phone == phone, Contact.campaign_id.is_(None)
        )
    )
    return made.one()


@dataclass(frozen=True, slots=True)
class EntryChanges:
    """What ``PATCH /api/address-book/{id}`` changes; None leaves a value as it is."""

    first_name: str | None = None
    last_name: str | None = None
    fields: Mapping[str, Any] | None = None
    opted_out: bool | None = None


async def update_entry(
    session: AsyncSession, actor: Actor, contact_id: int, changes: EntryChanges
) -> Contact:
    """ "Update Contact Details": names, fields, and the phone's opt-out (by hand).

    The opt-out is the phone's in the whole organization, as on a conversation.
    """
    contact = await session.scalar(
        select(Contact)
        .where(Contact.id == contact_id, Contact.organization_id == actor.organization_id)
        .with_for_update()
    )
    if contact is None:
        raise NotFound(f"No contact {contact_id}.")
    if changes.first_name is not None:
        contact.first_name = _name("first_name", changes.first_name)
    if changes.last_name is not None:
        contact.last_name = _name("last_name", changes.last_name)
    if changes.fields is not None:
        contact.extra = _fields(changes.fields)
    await session.flush()
    if changes.opted_out is not None:
        await set_opt_out(
            session,
            actor.organization_id,
            contact.phone,
            opted_out=changes.opted_out,
            source="manual",
            created_by=actor.user_id,
        )
    return contact
