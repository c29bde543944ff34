"""The OpenAPI description fuzzed against a served instance: no 5xx, every answer as described."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from server.settings import Settings
from tests.support.processes import ServerProcess, settings_env
from tests.support.worlds.accounts import PASSWORD
from tests.support.worlds.messaging import build_sync

# Per operation; with about 35 operations this stays within a couple of minutes.
EXAMPLES = 12
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"


@pytest.mark.slow
@pytest.mark.timeout(400)
def test_schemathesis_finds_no_server_error_and_no_undescribed_answer(
    database_url: str, settings: Settings, tmp_path: Path
) -> None:
    # A campaign with senders and conversations, so that some generated ids hit real rows.
    build_sync(database_url, assign=["Sam", "Sue", None])
    server = ServerProcess(settings_env(settings), tmp_path).up()
    try:
        token = httpx.post(
            f"{server.url}/api/login", json={"email": "owner@example.org", "password": PASSWORD}
        ).json()["token"]
        result = subprocess.run(
            [
                str(Path(sys.executable).with_name("schemathesis")),
                "run",
                f"{server.url}/api/openapi.json",
                "--checks",
                CHECKS,
                "--max-examples",
                str(EXAMPLES),
                "--phases",
                "fuzzing",
                "--workers",
                "1",
                "--seed",
                "1",
                "--request-timeout",
                "20",
                "--header",
                f"Authorization: Bearer {token}",
                "--no-color",
            ],
            capture_output=True,
            text=True,
            timeout=360,
            # Its cache of crashes goes beside the test's files, not into the checkout.
            cwd=tmp_path,
            check=False,
        )
        assert result.returncode == 0, result.stdout[-12_000:] + result.stderr[-3_000:] + server.log()
    finally:
        server.stop()
