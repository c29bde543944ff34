"""Fixtures of the live stories: PostgreSQL-only databases and real server processes."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import _truncate
from tests.support.processes import ServerProcess
from tests.support.services import REDIS_URL
from tests.support.worlds.cluster import SECRET


@pytest.fixture
def pg_url(request: pytest.FixtureRequest) -> str:
    """An empty PostgreSQL database (the multi-process stories need a shared one)."""
    url: str = request.getfixturevalue("postgres_database")
    asyncio.run(_truncate(url))
    return url


@pytest.fixture
def server_env(pg_url: str, tmp_path: Path) -> dict[str, str]:
    return {
        "DATABASE_URL": pg_url,
        "REDIS_URL": REDIS_URL,
        "SHIFTLINE_REDIS_PREFIX": f"shiftline-test-{secrets.token_hex(4)}",
        "SHIFTLINE_SECRET_KEY": SECRET,
        "SHIFTLINE_AUTO_MIGRATE": "0",
        "SHIFTLINE_DATA_DIR": str(tmp_path),
        "SHIFTLINE_PRESENCE_TTL": "3",
    }


@pytest.fixture
def spawn(server_env: dict[str, str], tmp_path: Path) -> Iterator[Callable[..., ServerProcess]]:
    """Start server processes (stopped at the end); pass env overrides as keywords."""
    started: list[ServerProcess] = []

    def start(name: str, **env: str) -> ServerProcess:
        server = ServerProcess({**server_env, **env}, tmp_path, name).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
