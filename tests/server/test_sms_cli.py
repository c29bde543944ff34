"""``shiftline sms inbound`` signs and posts a text to a running server, as the provider would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from server.cli import main
from tests.server.test_cli import _free_port

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
    port = _free_port()
    command = [sys.executable, "-m", "server", "serve", "--port", str(port), "--log-level", "warning"]
    proc = subprocess.Popen(
        command, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None and time.monotonic() < deadline, "the server did not start"
            try:
                with urllib.request.urlopen(f"{base}/api/health", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                time.sleep(0.2)
        yield base, env
    finally:
        proc.terminate()
        proc.wait(timeout=30)


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
