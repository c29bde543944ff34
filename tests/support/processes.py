"""Real processes a story runs against: ``shiftline serve`` and a private ``redis-server``."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

import httpx

from server.settings import Settings

from .ports import free_port

__all__ = ["PrivateRedis", "ServerProcess", "settings_env", "wait_healthy"]

STARTUP_TIMEOUT = 30.0


async def wait_healthy(
    url: str, *, wait: float, alive: Callable[[], None], verify: ssl.SSLContext | bool = True
) -> bool:
    """Poll ``{url}/api/health`` until it answers 200 (True) or ``wait`` runs out (False).

    ``alive`` raises when the process behind ``url`` has exited. Cancel-safe.
    """
    deadline = time.monotonic() + wait
    async with httpx.AsyncClient(verify=verify) as client:
        while time.monotonic() < deadline:
            alive()
            try:
                if (await client.get(url + "/api/health", timeout=1.0)).status_code == 200:
                    return True
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    return False


def settings_env(settings: Settings) -> dict[str, str]:
    """The environment that makes ``shiftline serve`` run with ``settings`` (migrations left to the test)."""
    env = {
        "DATABASE_URL": settings.database_url,
        "SHIFTLINE_DATA_DIR": str(settings.data_dir),
        "SHIFTLINE_SECRET_KEY": settings.secret_key or "",
        "SHIFTLINE_REDIS_PREFIX": settings.redis_prefix,
        "SHIFTLINE_AUTO_MIGRATE": "false",
    }
    if settings.redis_url:
        env["REDIS_URL"] = settings.redis_url
    return env


class ServerProcess:
    """``shiftline serve`` in a subprocess on a port of its own, kept across restarts.

    The test's ``DATABASE_URL`` and ``REDIS_URL`` never leak in from the outer
    environment: only ``env`` says which backends the server uses. The output
    of every start is appended to ``log_dir/{name}.log``.
    """

    def __init__(
        self,
        env: Mapping[str, str],
        log_dir: Path,
        name: str = "server",
        *,
        args: Sequence[str] = ("--log-level", "warning"),
        cwd: Path | None = None,
    ) -> None:
        outer = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
        self.env = {**outer, "PYTHONUNBUFFERED": "1", **env}
        self.name = name
        self.args = tuple(args)
        self.cwd = cwd
        self.log_path = log_dir / f"{name}.log"
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self._log: TextIO | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    def start(self) -> ServerProcess:
        """Launch the process without waiting for it (see :meth:`ready` and :meth:`up`)."""
        if self.proc is not None and self.proc.poll() is None:
            raise RuntimeError(f"{self.name} is running already: call stop() first")
        env = {"SHIFTLINE_INSTANCE_ID": f"{self.name}-{self.port}", **self.env}
        self._log = self.log_path.open("a")
        command = [sys.executable, "-m", "server", "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        self.proc = subprocess.Popen(
            [*command, *self.args], env=env, cwd=self.cwd, stdout=self._log, stderr=subprocess.STDOUT
        )
        return self

    def up(self, wait: float = STARTUP_TIMEOUT) -> ServerProcess:
        """Start and wait until ``/api/health`` answers (for synchronous callers)."""
        self.start()
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            self._check_alive()
            try:
                if httpx.get(f"{self.url}/api/health", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        self.stop()
        raise TimeoutError(f"{self.name} did not answer within {wait}s:\n{self.log()}")

    async def ready(self, wait: float = STARTUP_TIMEOUT) -> None:
        """Wait until ``/api/health`` answers. Cancel-safe."""
        if not await wait_healthy(self.url, wait=wait, alive=self._check_alive):
            raise TimeoutError(f"{self.name} did not become healthy:\n{self.log()}")

    def _check_alive(self) -> None:
        if self.proc is not None and self.proc.poll() is not None:
            raise RuntimeError(f"{self.name} exited early:\n{self.log()}")

    def kill(self) -> None:
        """kill -9: no goodbye to anyone."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
        self._close_log()

    def stop(self) -> None:
        """SIGTERM, the way an operator stops it; SIGKILL if it takes more than 15 s. Idempotent."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._close_log()

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def log(self) -> str:
        """The end of the server's output, for failure messages."""
        return self.log_path.read_text(errors="replace")[-4000:] if self.log_path.exists() else ""

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


class PrivateRedis:
    """A redis-server of the test's own, which it may stop and start at will."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise TimeoutError("private redis-server did not start")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
        self.proc = None
