"""Adding contacts to a campaign: one conversation each, unassigned, in one transaction.

The rows (already parsed and normalized, see :mod:`persistence.rules.contact_rows`)
are staged in a temporary table — with ``COPY`` on PostgreSQL — and then sorted
out by set-based SQL, so memory stays bounded and a million rows take a few
statements, not a million:

- a phone seen earlier in the same upload is a ``duplicate``;
- a phone already in the campaign is a ``duplicate``;
- a phone on the organization's opt-out list is ``opted_out`` and not added
  (an opted-out number is never texted by any campaign of the organization);
- everything else is added, in upload order (conversation ids follow it).

A large upload is sorted out and inserted a chunk at a time, and the next
chunk is parsed (in the parser's thread) while the database inserts this one:
the two take turns on different cores instead of one after the other. A
phone seen in an earlier chunk is found in the campaign by then, and is told
apart from one the campaign had before by its contact id.

The Unassigned pool's counters grow by the number added, and the campaign's
sweepers get ``stats`` and ``sender_stats`` events. Any error rolls the whole
upload back.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from persistence.outbox.notify import emit_counts
from persistence.rules.channels import UNASSIGNED
from persistence.rules.contact_rows import MAX_PROBLEMS, ParseReport, Problem, Row
from persistence.rules.errors import Locked
from persistence.rules.status import Counts
from persistence.store.counters import apply_deltas, counts_by_slot
from persistence.store.models import Campaign, Contact, Conversation, OptOut
from persistence.store.scope import Actor, campaign_for, require_sweeper
from persistence.store.types import utcnow

__all__ = ["CHUNK_ROWS", "UploadResult", "check_upload_allowed", "upload_contacts"]

_COLUMNS = ("row_no", "first_name", "last_name", "phone", "extra")
_REASONS = {
    "dup_upload": "duplicate phone number (earlier in this upload)",
    "dup_campaign": "duplicate phone number (already in the campaign)",
    "opted_out": "phone number opted out of this organization's texts",
}


@dataclass
class UploadResult:
    """The answer to an upload: counts, and the first rows that were not added."""

    added: int = 0
    invalid: int = 0
    duplicate: int = 0
    opted_out: int = 0
    problems: list[Problem] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "invalid": self.invalid,
            "duplicate": self.duplicate,
            "opted_out": self.opted_out,
            "problems": [{"row": p.row, "reason": p.reason} for p in self.problems],
        }


async def check_upload_allowed(session: AsyncSession, actor: Actor, campaign_id: int) -> None:
    """Refuse early (before a large body is read) what :func:`upload_contacts` would refuse.

    Raises:
        NotFound, PermissionDenied: not the actor's campaign, or not a sweeper.
        Locked: the campaign is closed.
    """
    require_sweeper(actor)
    campaign = await campaign_for(session, actor, campaign_id)
    if campaign.status == "closed":
        raise Locked("The campaign is closed; contacts can no longer be added.", code="campaign_closed")


# Rows sorted out and inserted at a time: big enough that the statements'
# fixed costs do not count, small enough that a chunk sorts in memory and the
# next one (parsed meanwhile) stays a few tens of megabytes.
CHUNK_ROWS = 50_000


async def _create_staging(session: AsyncSession, table: str) -> None:
    conn = await session.connection()
    if conn.dialect.name == "postgresql":
        # Sorting a chunk by phone and by row in memory, not on disk;
        # SET LOCAL ends with the transaction.
        await conn.exec_driver_sql("SET LOCAL work_mem = '64MB'")
        await conn.exec_driver_sql(
            f"CREATE TEMP TABLE {table} (row_no BIGINT, first_name TEXT, last_name TEXT, "
            "phone TEXT, extra TEXT) ON COMMIT DROP"
        )
    else:
        await conn.exec_driver_sql(
            f"CREATE TEMP TABLE {table} (row_no INTEGER, first_name TEXT, last_name TEXT, "
            "phone TEXT, extra TEXT)"
        )


async def _stage(session: AsyncSession, table: str, chunk: list[list[Row]]) -> None:
    """Replace the staging table's rows with ``chunk``'s."""
    conn = await session.connection()
    if conn.dialect.name == "postgresql":
        await conn.exec_driver_sql(f"TRUNCATE {table}")
        driver: Any = (await conn.get_raw_connection()).driver_connection
        for batch in chunk:
            # COPY through the session's own connection: same transaction.
            await driver.copy_records_to_table(table, records=batch, columns=_COLUMNS)
    else:
        await conn.exec_driver_sql(f"DELETE FROM {table}")
        for batch in chunk:
            await conn.exec_driver_sql(f"INSERT INTO {table} VALUES (?, ?, ?, ?, ?)", list(batch))


async def _highest_contact_id(session: AsyncSession, campaign_id: int) -> int:
    """The campaign's highest contact id (0: none yet)."""
    highest = await session.scalar(select(func.max(Contact.id)).where(Contact.campaign_id == campaign_id))
    return int(highest or 0)


async def _next_chunk(batches: AsyncIterator[list[Row]], rows: int) -> list[list[Row]]:
    """The next batches, ``rows`` rows or a little more; empty at the end."""
    chunk: list[list[Row]] = []
    count = 0
    async for batch in batches:
        chunk.append(batch)
        count += len(batch)
        if count >= rows:
            break
    return chunk


async def upload_contacts(
    session: AsyncSession,
    actor: Actor,
    campaign_id: int,
    batches: AsyncIterable[list[Row]],
    report: ParseReport,
    *,
    chunk_rows: int = CHUNK_ROWS,
) -> UploadResult:
    """Add the contacts of ``batches`` to the campaign.

    ``report`` is the parser's (it counts invalid rows while ``batches`` is
    consumed). Run inside ``Database.transaction()``; the campaign row is
    locked, so two uploads to one campaign run one after the other and never
    both add the same phone.

    Raises:
        NotFound, PermissionDenied: not the actor's campaign, or not a sweeper.
        Locked: the campaign is closed.
        InvalidInput: raised by ``batches`` (bad file); nothing is kept.
    """
    require_sweeper(actor)
    campaign = await campaign_for(session, actor, campaign_id)
    # Uploads to one campaign queue behind each other. NO KEY UPDATE (not
    # UPDATE) still lets other work insert rows that reference the campaign
    # (their foreign-key checks take KEY SHARE) while a large upload runs.
    # (SQLAlchemy renders key_share=True without read as FOR NO KEY UPDATE.)
    await session.execute(
        select(Campaign.id).where(Campaign.id == campaign.id).with_for_update(key_share=True)
    )
    await session.refresh(campaign, ["status"])
    if campaign.status == "closed":
        raise Locked("The campaign is closed; contacts can no longer be added.", code="campaign_closed")
    table = f"contact_upload_{secrets.token_hex(6)}"
    await _create_staging(session, table)
    # The campaign's contacts above this id are this upload's (uploads to one campaign queue).
    before = await _highest_contact_id(session, campaign.id)
    result = UploadResult()
    sorted_out_at = utcnow()
    rows = aiter(batches)
    chunk = await _next_chunk(rows, chunk_rows)
    while chunk:
        await _stage(session, table, chunk)
        inserting = asyncio.ensure_future(
            _classify_and_insert(session, table, campaign.organization_id, campaign.id, before, result)
        )
        try:
            # The parser reads on while the database works.
            chunk = await _next_chunk(rows, chunk_rows)
        finally:
            # Never left running on the session: a bad file stops the upload after this chunk's statements.
            await inserting
    if session.get_bind().dialect.name != "postgresql":
        await session.execute(text(f"DROP TABLE {table}"))
    result.invalid = report.invalid
    result.problems = sorted(report.problems + result.problems, key=lambda p: p.row)[:MAX_PROBLEMS]
    if result.added:
        await apply_deltas(
            session, campaign.id, {UNASSIGNED: Counts(assigned=result.added, not_started=result.added)}
        )
        emit_counts(session, campaign.id, [UNASSIGNED])
        await _late_opt_outs(session, campaign.organization_id, campaign.id, sorted_out_at)
    return result


async def _late_opt_outs(
    session: AsyncSession, organization_id: int, campaign_id: int, since: datetime
) -> None:
    """Mark conversations whose phone opted out while the upload was being sorted out.

    Such an opt-out committed after the upload looked at the list, so it could
    not see the new conversations; sending refuses those phones anyway, and
    this keeps the conversations' status and the counters right. The minute of
    slack covers clocks that differ between server instances.
    """
    ids = list(
        await session.scalars(
            select(Conversation.id)
            .join(Contact, Contact.id == Conversation.contact_id)
            .join(OptOut, (OptOut.organization_id == organization_id) & (OptOut.phone == Contact.phone))
            .where(
                Contact.campaign_id == campaign_id,
                Conversation.opted_out.is_(False),
                OptOut.created_at >= since - timedelta(minutes=1),
            )
        )
    )
    if not ids:
        return
    where = Conversation.id.in_(ids)
    before = await counts_by_slot(session, where)
    await session.execute(update(Conversation).where(where).values(opted_out=True))
    after = await counts_by_slot(session, where)
    deltas = {slot: after.get(slot, Counts()) - before.get(slot, Counts()) for slot in before.keys() | after}
    await apply_deltas(session, campaign_id, deltas)
    emit_counts(session, campaign_id, deltas)


async def _classify_and_insert(
    session: AsyncSession,
    table: str,
    organization_id: int,
    campaign_id: int,
    before: int,
    result: UploadResult,
) -> None:
    """Sort out the staged chunk, insert what is added, and add its counts and problems to ``result``."""
    postgres = session.get_bind().dialect.name == "postgresql"
    params = {"org": organization_id, "cid": campaign_id, "before": before}
    verdicts = f"{table}_v"
    # One pass decides each staged row's fate; the first occurrence of a phone
    # wins, in this chunk or (found in the campaign, above ``before``) an earlier one.
    await session.execute(
        text(
            f"""CREATE TEMP TABLE {verdicts} AS
            SELECT s.row_no, s.first_name, s.last_name, s.phone, s.extra,
              CASE
                WHEN s.k > 1 OR s.existing > :before THEN 'dup_upload'
                WHEN s.existing IS NOT NULL THEN 'dup_campaign'
                WHEN EXISTS (SELECT 1 FROM opt_outs o WHERE o.organization_id = :org AND o.phone = s.phone)
                  THEN 'opted_out'
                ELSE 'add'
              END AS verdict
            FROM (
              SELECT t.*, row_number() OVER (PARTITION BY t.phone ORDER BY t.row_no) AS k,
                (SELECT c.id FROM contacts c WHERE c.campaign_id = :cid AND c.phone = t.phone) AS existing
              FROM {table} t
            ) s"""
        ),
        params,
    )
    counts: dict[str, int] = dict(
        (await session.execute(text(f"SELECT verdict, count(*) FROM {verdicts} GROUP BY verdict"))).all()
    )
    added = int(counts.get("add", 0))
    result.added += added
    result.duplicate += int(counts.get("dup_upload", 0)) + int(counts.get("dup_campaign", 0))
    result.opted_out += int(counts.get("opted_out", 0))
    wanted = MAX_PROBLEMS - len(result.problems)  # chunks come in row order: the first ones are kept
    if wanted > 0 and added < sum(counts.values()):
        rejected = await session.execute(
            text(
                f"SELECT row_no, verdict FROM {verdicts} WHERE verdict <> 'add' "
                f"ORDER BY row_no LIMIT {wanted}"
            )
        )
        result.problems += [Problem(int(row), _REASONS[verdict]) for row, verdict in rejected]
    chosen = f"FROM {verdicts} WHERE verdict = 'add' ORDER BY row_no"
    if added and postgres:
        # Contact ids follow upload order, and conversation ids follow contact ids.
        await session.execute(
            text(
                f"""WITH added AS (
                  INSERT INTO contacts (organization_id, campaign_id, first_name, last_name, phone, extra)
                  SELECT :org, :cid, first_name, last_name, phone, extra::jsonb {chosen}
                  RETURNING id
                )
                INSERT INTO conversations (campaign_id, contact_id) SELECT :cid, id FROM added ORDER BY id"""
            ),
            params,
        )
    elif added:
        # SQLite writes one transaction at a time, so every contact of this
        # campaign above the old highest id is one of ours.
        last = await _highest_contact_id(session, campaign_id)
        await session.execute(
            text(
                "INSERT INTO contacts (organization_id, campaign_id, first_name, last_name, phone, extra) "
                f"SELECT :org, :cid, first_name, last_name, phone, extra {chosen}"
            ),
            params,
        )
        await session.execute(
            text(
                "INSERT INTO conversations (campaign_id, contact_id) "
                "SELECT :cid, id FROM contacts WHERE campaign_id = :cid AND id > :last ORDER BY id"
            ),
            {**params, "last": last},
        )
    await session.execute(text(f"DROP TABLE {verdicts}"))
