"""``shiftline sms inbound`` signs and posts a text to a running server, as the provider would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from loadtests.fake_twilio import ACCOUNT_SID, AUTH_TOKEN
from server.cli import main
from tests.support.processes import ServerProcess

NUMBER = "+12025550100"
TOKEN = "T0K3N-of-the-cli-story"


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, dict[str, str]]]:
    """A real ``shiftline serve`` process on SQLite, with one organization; yields its URL and env."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'shiftline.db'}"
    monkeypatch.setenv("DATABASE_URL", env["DATABASE_URL"])
    monkeypatch.delenv("REDIS_URL", raising=False)
    main(
        [
            "create-org",
            "Texters United",
            "--owner-email",
            "lead@example.org",
            "--owner-password",
            "a long password",
            "--number",
            NUMBER,
            "--webhook-token",
            TOKEN,
        ]
    )
    server = ServerProcess({"DATABASE_URL": env["DATABASE_URL"]}, tmp_path, "sms-cli", cwd=tmp_path)
    try:
        server.up(wait=60)
        yield server.url, env
    finally:
        server.stop()


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "server", "sms", "inbound", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.slow
def test_a_text_typed_on_the_command_line_reaches_the_server(served: tuple[str, dict[str, str]]) -> None:
    base, env = served
    # The token is read from the database, by the number the text is sent to.
    done = _cli(env, "--from", "+14155552671", "--to", "(202) 555-0100", "--body", "Hello?", "--url", base)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "conversation_id": None,
        "keyword": None,
        "message_id": None,
        "status": "unmatched",
    }
    # The same MessageSid twice is a duplicate; a keyword is recognised.
    args = ("--from", "+14155552671", "--to", NUMBER, "--url", base, "--token", TOKEN, "--sid", "SMcli-1")
    assert json.loads(_cli(env, *args, "--body", "STOP").stdout)["keyword"] == "opt_out"
    assert json.loads(_cli(env, *args, "--body", "STOP").stdout)["status"] == "duplicate"


@pytest.mark.slow
def test_a_wrong_token_or_number_is_reported(served: tuple[str, dict[str, str]]) -> None:
    base, env = served
    refused = _cli(
        env, "--from", "+14155552671", "--to", NUMBER, "--body", "Hi", "--url", base, "--token", "guess"
    )
    assert refused.returncode != 0 and "403" in refused.stderr and "invalid_signature" in refused.stderr
    unknown = _cli(env, "--from", "+14155552671", "--to", "+12025550199", "--body", "Hi", "--url", base)
    assert unknown.returncode != 0 and "pass --token" in unknown.stderr
    bad = _cli(env, "--from", "+14155552671", "--to", "12", "--body", "Hi", "--url", base)
    assert bad.returncode != 0 and "not a valid phone number" in bad.stderr
    away = _cli(env, "--from", "+1415555267", "--to", NUMBER, "--body", "Hi", "--url", "http://127.0.0.1:9")
    assert away.returncode != 0 and "cannot reach" in away.stderr


@pytest.mark.slow
def test_an_organization_on_twilio_is_signed_with_its_auth_token(served: tuple[str, dict[str, str]]) -> None:
    base, env = served
    owner = httpx.post(f"{base}/api/login", json={"email": "lead@example.org", "password": "a long password"})
    headers = {"authorization": f"Bearer {owner.json()['token']}"}
    provider = {"kind": "twilio", "account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN}
    assert (
        httpx.patch(f"{base}/api/organization", headers=headers, json={"provider": provider}).status_code
        == 200
    )
    # The webhook token no longer signs; the auth token, read (and decrypted) from the database, does.
    old = _cli(env, "--from", "+14155552671", "--to", NUMBER, "--body", "Hi", "--url", base, "--token", TOKEN)
    assert old.returncode != 0 and "invalid_signature" in old.stderr
    done = _cli(env, "--from", "+14155552671", "--to", NUMBER, "--body", "Hi", "--url", base)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["status"] == "unmatched"
