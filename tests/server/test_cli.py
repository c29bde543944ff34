"""The ``shiftline`` command: migrate, create-org and ``serve --demo``."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, inspect, select
from starlette.testclient import TestClient

from persistence.outbox.outbox import open_database
from persistence.rules.status import Counts
from persistence.store.counters import recount, stored_counts
from persistence.store.database import Database
from persistence.store.models import Campaign, Contact, Message, Organization, User
from persistence.store.types import utcnow
from server.cli import main
from server.demo import DEMO_PASSWORD, seed_demo
from tests.support.processes import ServerProcess
from tests.support.worlds.accounts import login


def _use_database(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.delenv("SHIFTLINE_AUTO_MIGRATE", raising=False)


async def _tables(url: str) -> set[str]:
    db = open_database(url)
    try:
        async with db.engine.connect() as conn:
            return set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))
    finally:
        await db.dispose()


def test_migrate_creates_the_schema_and_is_repeatable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    _use_database(monkeypatch, url)
    main(["migrate"])
    main(["migrate"])
    assert capsys.readouterr().out.count("database schema is up to date") == 2
    assert {"organizations", "users", "campaigns", "contacts", "conversations", "events"} <= asyncio.run(
        _tables(url)
    )


def test_migrate_on_the_test_backend(
    monkeypatch: pytest.MonkeyPatch, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _use_database(monkeypatch, database_url)
    main(["migrate"])
    assert "up to date" in capsys.readouterr().out


async def _org_and_owner(url: str) -> list[tuple[str, str | None, str | None, str, str]]:
    db = open_database(url)
    try:
        async with db.session() as s:
            rows = await s.execute(
                select(
                    Organization.name,
                    Organization.sending_number,
                    Organization.webhook_token,
                    User.email,
                    User.role,
                ).join(User, User.organization_id == Organization.id)
            )
            return [(a, b, c, d, e) for a, b, c, d, e in rows]
    finally:
        await db.dispose()


def test_create_org_makes_an_organization_and_its_owner(
    monkeypatch: pytest.MonkeyPatch, database_url: str, client: TestClient, capsys: pytest.CaptureFixture[str]
) -> None:
    _use_database(monkeypatch, database_url)
    main(
        [
            "create-org",
            "Texters United",
            "--owner-email",
            "Lead@Example.org",
            "--owner-password",
            "a long password",
            "--number",
            "(202) 555-0100",
            "--webhook-token",
            "T0K3N",
        ]
    )
    assert "organization" in capsys.readouterr().out
    assert asyncio.run(_org_and_owner(database_url)) == [
        ("Texters United", "+12025550100", "T0K3N", "lead@example.org", "owner")
    ]
    assert login(client, "lead@example.org", "a long password").user_id > 0

    with pytest.raises(SystemExit, match="already exists"):
        main(
            [
                "create-org",
                "Again",
                "--owner-email",
                "lead@example.org",
                "--owner-password",
                "a long password",
            ]
        )
    with pytest.raises(SystemExit, match="at least 8"):
        main(["create-org", "Short", "--owner-email", "s@example.org", "--owner-password", "short"])
    with pytest.raises(SystemExit, match="not a valid phone"):
        main(
            [
                "create-org",
                "Bad",
                "--owner-email",
                "b@example.org",
                "--owner-password",
                "long enough",
                "--number",
                "12",
            ]
        )
    with pytest.raises(SystemExit):
        main(["create-org", "No owner"])
    assert len(asyncio.run(_org_and_owner(database_url))) == 1


async def _demo_counts(db: Database, campaign_id: int) -> dict[int, Counts]:
    async with db.session() as s:
        return await stored_counts(s, campaign_id)


async def _demo_totals(db: Database) -> tuple[int, int, int, int, bool]:
    async with db.session() as s:
        orgs = int(await s.scalar(select(func.count()).select_from(Organization)) or 0)
        contacts = int(await s.scalar(select(func.count()).select_from(Contact)) or 0)
        messages = int(await s.scalar(select(func.count()).select_from(Message)) or 0)
        campaign_id = int(await s.scalar(select(Campaign.id)) or 0)
        right = await stored_counts(s, campaign_id) == await recount(s, campaign_id)
        return orgs, contacts, messages, campaign_id, right


async def test_demo_seeding_is_idempotent_and_its_counters_are_right(db: Database) -> None:
    first = await seed_demo(db)
    totals = await _demo_totals(db)
    assert await seed_demo(db) == first
    assert await _demo_totals(db) == totals
    orgs, contacts, messages, _campaign, right = totals
    assert (orgs, contacts) == (1, 300)
    assert messages > 200
    assert right
    assert any("demo-owner@example.org" in line for line in first)
    assert any(DEMO_PASSWORD in line for line in first)
    counts = await _demo_counts(db, _campaign)
    assert len(counts) == 4  # three senders and the Unassigned pool
    total = sum(counts.values(), Counts())
    assert total.assigned == 300
    assert min(total.not_started, total.sent, total.needs_reply, total.opted_out) > 0
    assert counts[0].assigned > 0 and counts[0].not_started > 0


def test_demo_campaign_is_launched_with_every_state(client: TestClient, db: Database) -> None:
    asyncio.run(seed_demo(db))
    owner = login(client, "demo-owner@example.org", DEMO_PASSWORD)
    campaigns = client.get("/api/campaigns", headers=owner.headers).json()["campaigns"]
    assert [(c["status"], c["contact_count"], c["practice"]) for c in campaigns] == [("active", 300, True)]
    senders = client.get(f"/api/campaigns/{campaigns[0]['id']}/senders", headers=owner.headers).json()[
        "senders"
    ]
    assert len(senders) == 3
    sender = login(client, "demo-sender1@example.org", DEMO_PASSWORD)
    assert (
        client.get("/api/campaigns", headers=sender.headers).json()["campaigns"][0]["id"]
        == campaigns[0]["id"]
    )


def _request(url: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@pytest.mark.slow
def test_serve_demo_runs_the_embedded_server(tmp_path: Path) -> None:
    server = ServerProcess(
        {"SHIFTLINE_DATA_DIR": str(tmp_path / "data")},
        tmp_path,
        "demo",
        args=["--demo", "--log-level", "info"],
        cwd=tmp_path,
    )
    try:
        server.up(wait=60)
        status, body = _request(
            f"{server.url}/api/login", {"email": "demo-owner@example.org", "password": DEMO_PASSWORD}
        )
        assert status == 200
        assert body["user"]["role"] == "owner"
    finally:
        server.stop()
    text = server.log_path.read_text()
    assert "demo-owner@example.org" in text and "demo-sender3@example.org" in text
    assert (tmp_path / "data" / "shiftline.db").exists()
    # The demo migrates before seeding; the server's start finds the schema up to date and says nothing.
    assert text.count("Context impl") == 1, text
    assert text.count("Running upgrade  -> 0001") == 1


def test_serve_help_explains_every_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    text = capsys.readouterr().out
    for option, words in [
        ("--host", "address to listen on"),
        ("--port", "TCP port"),
        ("--log-level", "how much the server logs"),
    ]:
        line = next(line for line in text.splitlines() if line.strip().startswith(option))
        assert words in line or words in text.split(option, 2)[-1][:200], (option, text)


async def test_the_demo_has_nothing_dated_in_the_future(db: Database) -> None:
    await seed_demo(db)
    async with db.session() as s:
        latest = await s.scalar(select(func.max(Message.created_at)))
    assert latest is not None and latest <= utcnow()
