"""Where the test suite finds PostgreSQL and Redis, and whether it must."""

from __future__ import annotations

import os
import socket
from urllib.parse import urlparse

__all__ = ["POSTGRES_ADMIN_URL", "REDIS_URL", "REQUIRED", "reachable"]

POSTGRES_ADMIN_URL = os.environ.get(
    "SHIFTLINE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("SHIFTLINE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
# In CI the PostgreSQL and Redis variants must run: unreachable is a failure, not a skip.
REQUIRED = os.environ.get("CI", "").lower() == "true" or os.environ.get("SHIFTLINE_REQUIRE_SERVICES") == "1"


def reachable(url: str) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 0), timeout=1):
            return True
    except OSError:
        return False
