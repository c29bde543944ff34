"""Reading contact files: phone normalization, headers, row numbers, bad files."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from persistence.commands.accounts import create_organization, create_user
from persistence.commands.campaigns import create_campaign
from persistence.commands.contacts import UploadResult, _late_opt_outs, upload_contacts
from persistence.rules.contact_rows import (
    MAX_PROBLEMS,
    ParseReport,
    Row,
    csv_batches,
    fast_normalize_phone,
    json_batches,
)
from persistence.rules.errors import InvalidInput
from persistence.rules.phones import normalize_phone
from persistence.rules.status import Counts
from persistence.store.counters import recount, stored_counts
from persistence.store.database import Database
from persistence.store.models import Contact, Conversation, OptOut
from persistence.store.scope import Actor
from persistence.store.types import utcnow

digits = st.text(alphabet="0123456789", min_size=7, max_size=12)
separators = st.sampled_from(["", " ", "-", ".", "(", ")", "+", " +1 ", "1-", "+44 ", "x12", "ext. 5", "A"])


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.one_of(digits, separators), min_size=1, max_size=6))
def test_the_fast_path_agrees_with_phonenumbers(parts: list[str]) -> None:
    raw = "".join(parts)
    assert fast_normalize_phone(raw) == normalize_phone(raw)


@pytest.mark.parametrize(
    "raw",
    [
        "(212) 555-0123",
        "212.555.0123",
        "1 212 555 0123",
        "+1 212 555 0123",
        "+12125550123",
        "2125550123",
        "(416) 555-0199",  # Canada: valid, not by the US patterns
        "(268) 464-1234",  # Antigua
        "(555) 555-5555",
        "1234567890",
        "+44 20 7946 0958",
        "020 7946 0958",
        "911",
        "",
    ],
)
def test_common_formats_agree(raw: str) -> None:
    assert fast_normalize_phone(raw) == normalize_phone(raw)


def _csv(text: str | bytes, batch_size: int = 5000) -> tuple[list[Row], ParseReport]:
    report = ParseReport()
    data = text.encode() if isinstance(text, str) else text
    rows = [row for batch in csv_batches(io.BytesIO(data), report, batch_size=batch_size) for row in batch]
    return rows, report


def test_header_aliases_and_extra_columns() -> None:
    rows, report = _csv("firstName,lastName,cell,Zip Code,\nAna,Lee,2125550101,10001,\n")
    assert rows == [(2, "Ana", "Lee", "+12125550101", '{"Zip Code":"10001"}')]
    assert report.invalid == 0


def test_row_numbers_are_file_lines_even_with_quoted_newlines() -> None:
    text = 'first_name,last_name,phone\n"Ana\nMaria",Lee,2125550101\n\nBo,Kim,bad\n'
    rows, report = _csv(text)
    assert rows[0][0] == 3 and rows[0][1] == "Ana\nMaria"
    assert report.problems[0].row == 5


def test_batches_are_bounded() -> None:
    text = "phone\n" + "".join(f"212555{i:04d}\n" for i in range(1000, 1025))
    report = ParseReport()
    sizes = [len(b) for b in csv_batches(io.BytesIO(text.encode()), report, batch_size=10)]
    assert sizes == [10, 10, 5]


def test_problem_report_is_bounded_but_the_count_is_not() -> None:
    text = "phone\n" + "bad\n" * (MAX_PROBLEMS + 50)
    rows, report = _csv(text)
    assert rows == []
    assert report.invalid == MAX_PROBLEMS + 50
    assert len(report.problems) == MAX_PROBLEMS


def test_long_names_are_rejected_per_row() -> None:
    rows, report = _csv(f"first_name,phone\n{'x' * 201},2125550101\nAna,2125550102\n")
    assert [r[1] for r in rows] == ["Ana"]
    assert "longer than 200" in report.problems[0].reason


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"name,zip\nAna,10001\n", "missing_columns"),
        (b"", "empty_upload"),
        (b"phone,mobile\n1,2\n", "invalid_columns"),
        (b"phone\n2125550101\nJos\xe9\n", "invalid_encoding"),
        (b'phone\n"2125550101\n2125550102\n', "invalid_csv"),
    ],
)
def test_unusable_files_raise(data: bytes, code: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        _csv(data)
    assert caught.value.code == code


def test_encoding_error_names_the_line_across_chunks() -> None:
    data = b"phone\n" + b"2125550101\n" * 60_000 + b"\xff\n"
    with pytest.raises(InvalidInput, match="line 60002"):
        _csv(data)


def test_json_rows() -> None:
    report = ParseReport()
    items = [
        {"first_name": "Ana", "last_name": "Lee", "phone": "2125550101", "zip": 10001},
        {"first_name": "Bo", "phone": ""},
        {"phone": 2125550102},
    ]
    rows = [r for b in json_batches(items, report) for r in b]
    assert rows == [(1, "Ana", "Lee", "+12125550101", '{"zip":10001}'), (3, "", "", "+12125550102", "{}")]
    assert report.problems[0].row == 2


@pytest.mark.parametrize("items", [{"phone": "1"}, ["x"], [{"phone": {"n": 1}}], [{"last_name": True}]])
def test_json_of_the_wrong_shape_raises(items: object) -> None:
    with pytest.raises(InvalidInput):
        list(json_batches(items, ParseReport()))


async def _org_campaign(db: Database) -> tuple[Actor, int]:
    async with db.transaction() as session:
        org = await create_organization(session, "Uploaders")
        owner = await create_user(
            session,
            org.id,
            email="o@example.org",
            password_hash="x",
            first_name="O",
            last_name="",
            role="owner",
        )
        actor = Actor.of(owner)
        view = await create_campaign(session, actor, title="t", initial_message="hi")
        return actor, view.campaign.id


async def _upload(db: Database, actor: Actor, campaign_id: int, phones: list[str]) -> UploadResult:
    report = ParseReport()
    items = [{"first_name": "A", "phone": p} for p in phones]

    async def batches() -> AsyncIterator[list[Row]]:
        for batch in json_batches(items, report, batch_size=50):
            yield batch
            await asyncio.sleep(0)  # let the other upload run in between

    async with db.transaction() as session:
        return await upload_contacts(session, actor, campaign_id, batches(), report)


async def test_concurrent_uploads_to_one_campaign_never_add_a_phone_twice(db: Database) -> None:
    actor, campaign_id = await _org_campaign(db)
    phones = [f"212555{i:04d}" for i in range(1000, 1300)]
    first, second = await asyncio.gather(
        _upload(db, actor, campaign_id, phones[:200]), _upload(db, actor, campaign_id, phones[100:])
    )
    assert first.added + second.added == 300
    assert first.duplicate + second.duplicate == 100
    async with db.session() as session:
        assert await stored_counts(session, campaign_id) == await recount(session, campaign_id)
        assert (await recount(session, campaign_id))[0].assigned == 300


async def test_an_opt_out_that_lands_during_an_upload_still_marks_its_conversation(db: Database) -> None:
    actor, campaign_id = await _org_campaign(db)
    await _upload(db, actor, campaign_id, ["2125550101", "2125550102"])
    async with db.transaction() as session:
        # Committed too late for the upload's sorting, as a STOP arriving mid-upload would be.
        session.add(OptOut(organization_id=actor.organization_id, phone="+12125550102", source="keyword"))
    async with db.transaction() as session:
        await _late_opt_outs(session, actor.organization_id, campaign_id, utcnow())
    async with db.session() as session:
        truth = await recount(session, campaign_id)
        assert truth == await stored_counts(session, campaign_id)
        assert truth[0] == Counts(assigned=2, not_started=1, opted_out=1)


async def _upload_items(
    db: Database, actor: Actor, campaign_id: int, items: list[dict[str, str]], *, batch: int, chunk: int
) -> UploadResult:
    report = ParseReport()

    async def batches() -> AsyncIterator[list[Row]]:
        for rows in json_batches(items, report, batch_size=batch):
            yield rows

    async with db.transaction() as session:
        return await upload_contacts(session, actor, campaign_id, batches(), report, chunk_rows=chunk)


async def test_an_upload_sorted_out_a_chunk_at_a_time_gives_the_answer_of_one_pass(db: Database) -> None:
    actor, whole_campaign = await _org_campaign(db)
    async with db.transaction() as session:
        view = await create_campaign(session, actor, title="chunked", initial_message="hi")
        session.add(OptOut(organization_id=actor.organization_id, phone="+12125550007", source="keyword"))
    chunked_campaign = view.campaign.id
    for campaign_id in (whole_campaign, chunked_campaign):
        await _upload(db, actor, campaign_id, ["2125550003", "2125550011"])  # in the campaign before
    phones = [f"212555{i:04d}" for i in range(1, 15)]
    # Rows 15-16 repeat rows 2 and 13 (chunks earlier), rows 18-19 each other (one chunk).
    phones += ["2125550002", "2125550013", "not a phone", "2125550020", "2125550020"]
    items = [{"first_name": f"N{row}", "last_name": "", "phone": p} for row, p in enumerate(phones, start=1)]

    whole = await _upload_items(db, actor, whole_campaign, items, batch=50, chunk=100_000)
    chunked = await _upload_items(db, actor, chunked_campaign, items, batch=2, chunk=3)

    assert chunked == whole
    assert (whole.added, whole.duplicate, whole.opted_out, whole.invalid) == (12, 5, 1, 1)
    earlier, before = (
        "duplicate phone number (earlier in this upload)",
        "duplicate phone number (already in the campaign)",
    )
    assert [(p.row, p.reason) for p in whole.problems if "duplicate" in p.reason] == [
        (3, before),
        (11, before),
        (15, earlier),
        (16, earlier),
        (19, earlier),
    ]
    async with db.session() as session:
        for campaign_id in (whole_campaign, chunked_campaign):
            names = (
                await session.scalars(
                    select(Contact.first_name)
                    .join(Conversation, Conversation.contact_id == Contact.id)
                    .where(Conversation.campaign_id == campaign_id, Contact.first_name.like("N%"))
                    .order_by(Conversation.id)
                )
            ).all()
            # Conversation ids follow the file's order, chunk after chunk.
            assert names == [f"N{row}" for row in (1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, 18)]
            assert await stored_counts(session, campaign_id) == await recount(session, campaign_id)
