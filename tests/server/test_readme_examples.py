"""A newcomer copies the README's commands: they work as written."""

from __future__ import annotations

import asyncio
import re
import shlex
from pathlib import Path

import pytest
from sqlalchemy import select

from persistence.outbox.outbox import open_database
from persistence.store.models import Organization, User
from server.cli import main

README = Path(__file__).resolve().parents[2] / "README.md"


def _example(command: str) -> list[str]:
    """The README's ``shiftline <command> …`` example (inline or in a code block), as argv."""
    text = README.read_text().replace("\\\n", " ")
    found = re.search(rf"shiftline {command} [^`]*?(?=`|\n\s*\n)", text)
    assert found, f"the README shows no 'shiftline {command}' example"
    argv = shlex.split(found.group(0).replace("\n", " "))
    assert argv[0] == "shiftline"
    return argv[1:]


async def _org(url: str) -> tuple[str, str | None, str]:
    db = open_database(url)
    try:
        async with db.session() as session:
            org = (await session.scalars(select(Organization))).one()
            owner = (await session.scalars(select(User).where(User.organization_id == org.id))).one()
            return org.name, org.sending_number, owner.role
    finally:
        await db.dispose()


def test_the_readmes_create_org_example_creates_an_organization(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'shiftline.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.delenv("SHIFTLINE_AUTO_MIGRATE", raising=False)
    argv = _example("create-org")
    main(argv)
    assert "created" in capsys.readouterr().out
    name, number, role = asyncio.run(_org(url))
    assert name == argv[1] and role == "owner"
    assert number == argv[argv.index("--number") + 1]
