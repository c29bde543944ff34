"""Fixtures: every backend-dependent test runs on SQLite + in-process broker,
and again on PostgreSQL + Redis (required in CI, skipped elsewhere when absent)."""

from __future__ import annotations

import asyncio
import secrets
import shutil
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from starlette.applications import Starlette
from starlette.testclient import TestClient

from persistence.outbox.outbox import open_database
from persistence.store.database import Database
from persistence.store.migrate import upgrade
from persistence.store.models import Base
from server.app import create_app
from server.settings import Settings
from tests.support.services import POSTGRES_ADMIN_URL, REDIS_URL, REQUIRED, reachable

BACKENDS = ["sqlite", "postgres"]


def _pg_url(database: str) -> str:
    return make_url(POSTGRES_ADMIN_URL).set(database=database).render_as_string(hide_password=False)


async def _migrate(url: str) -> None:
    db = open_database(url)
    try:
        await upgrade(db)
    finally:
        await db.dispose()


def _asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    asyncio.run(_migrate(f"sqlite:///{path}"))
    return path


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this test run, dropped at the end."""
    if not (reachable(POSTGRES_ADMIN_URL) and reachable(REDIS_URL)):
        message = f"PostgreSQL ({POSTGRES_ADMIN_URL}) or Redis ({REDIS_URL}) is not reachable"
        if REQUIRED:
            pytest.fail(message + " and CI requires them")
        pytest.skip(message)
    name = f"shiftline_test_{secrets.token_hex(4)}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(_asyncpg_dsn(POSTGRES_ADMIN_URL))
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    url = _pg_url(name)
    asyncio.run(_migrate(url))
    yield url
    asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _truncate(url: str) -> None:
    db = open_database(url)
    try:
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        async with db.engine.begin() as conn:
            await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    finally:
        await db.dispose()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty, migrated database of the test's backend."""
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "shiftline.db"
        shutil.copy(template, path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("postgres_database")
    asyncio.run(_truncate(url))
    return url


@pytest.fixture
def settings(backend: str, database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        redis_url=REDIS_URL if backend == "postgres" else None,
        data_dir=tmp_path,
        secret_key="test-secret-key",
        # A prefix of its own, so tests never see each other's Redis traffic.
        redis_prefix=f"shiftline-test-{secrets.token_hex(4)}",
        auto_migrate=False,
    )


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = open_database(database_url)
    yield database
    await database.dispose()


@pytest.fixture
def app(settings: Settings) -> Starlette:
    return create_app(settings)


@pytest.fixture
def client(app: Starlette) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


def pytest_configure(config: pytest.Config) -> None:
    """Hold only the whole suite to the coverage floor: a few tests measure less, and that is fine."""
    whole = config.args_source is pytest.Config.ArgsSource.TESTPATHS and not any(
        getattr(config.option, name, None) for name in ("keyword", "markexpr", "lf", "deselect")
    )
    chosen = any(arg.startswith("--cov-fail-under") for arg in config.invocation_params.args)
    # pytest-cov reads its options from the early namespace, not from config.option.
    options = config.known_args_namespace
    if not whole and not chosen and getattr(options, "cov_fail_under", None):
        options.cov_fail_under = 0


def _backend_of(nodeid: str) -> str:
    params = nodeid.rpartition("[")[2].rstrip("]").split("-") if nodeid.endswith("]") else []
    if "postgres" in params:
        return "PostgreSQL + Redis"
    if "sqlite" in params:
        return "SQLite + in-process broker"
    return "backend-independent"


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """Say how much of the suite ran on each backend (CI must show both)."""
    counts: dict[str, Counter[str]] = {}
    for outcome in ("passed", "failed", "skipped", "error"):
        for report in terminalreporter.stats.get(outcome, []):
            nodeid = getattr(report, "nodeid", "")
            if not nodeid or (outcome == "passed" and getattr(report, "when", "call") != "call"):
                continue
            counts.setdefault(_backend_of(nodeid), Counter())[outcome] += 1
    terminalreporter.section("shiftline backends")
    for backend in sorted(counts):
        line = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts[backend].items()))
        terminalreporter.write_line(f"{backend}: {line}")
