"""An operator reads the server's log: requests are there, their tokens and passwords are not."""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect
from websockets.typing import Subprotocol

from server.log_redaction import REDACTED, RedactSecrets

TOKEN = "eyJ1aWQiOjF9.c2VjcmV0LXNpZ25hdHVyZQ"  # shaped like a token; any value must vanish
PASSWORD = "hunter2-do-not-log"
AUTH_TOKEN = "provider-auth-token-42"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _get(url: str, body: bytes | None = None) -> int:
    request = urllib.request.Request(url, data=body, headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            status: int = response.status
            return status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.mark.slow
def test_shiftline_serve_logs_requests_without_their_secrets(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env["SHIFTLINE_DATA_DIR"] = str(tmp_path / "data")
    port = _free_port()
    command = [sys.executable, "-m", "server", "serve", "--port", str(port), "--log-level", "info"]
    proc = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while _health(base) != 200:
            assert proc.poll() is None and time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)
        # A browser's live connection: the token rides in the query string.
        url = f"ws://127.0.0.1:{port}/ws?token={TOKEN}"
        with (
            connect(url, subprotocols=[Subprotocol("json")]) as ws,
            pytest.raises(ConnectionClosed) as closed,
        ):
            ws.recv(timeout=10)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4001
        # Careless clients: secrets in query strings of plain requests.
        _get(f"{base}/ws?token={TOKEN}")
        _get(f"{base}/api/users?password={PASSWORD}&auth_token={AUTH_TOKEN}")
        _get(f"{base}/api/login", json.dumps({"email": "a@example.org", "password": PASSWORD}).encode())
    finally:
        proc.terminate()
        output, _ = proc.communicate(timeout=30)
    log = output.decode()
    assert f"/ws?token={REDACTED}" in log  # the requests were logged…
    assert "/api/users?password=" in log
    for secret in (TOKEN, PASSWORD, AUTH_TOKEN):
        assert secret not in log  # …without a secret


def _health(base: str) -> int:
    try:
        return _get(f"{base}/api/health")
    except OSError:
        return 0


def test_the_filter_keeps_the_shape_uvicorns_access_formatter_unpacks() -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", f"/ws?token={TOKEN}&since=4", "1.1", 101),
        None,
    )
    assert RedactSecrets().filter(record)
    assert record.args == ("127.0.0.1:5000", "GET", f"/ws?token={REDACTED}&since=4", "1.1", 101)
    assert TOKEN not in record.getMessage()
