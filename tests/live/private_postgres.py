"""A PostgreSQL cluster of the test's own, which it may stop and start at will.

The machine's shared server is never touched: the cluster has its own data
folder and port. PostgreSQL refuses to run as root, so under root the
programs run as the ``postgres`` user, in a folder that user owns.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.support.ports import free_port

__all__ = ["PrivatePostgres", "missing_postgres_programs"]

_PROGRAMS = ("initdb", "pg_ctl", "postgres")


def missing_postgres_programs() -> list[str]:
    """The server programs this machine lacks (empty: a private cluster can run)."""
    missing = [name for name in _PROGRAMS if shutil.which(name) is None]
    if not missing and os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            missing.append("a 'postgres' user to run them as (root may not)")
    return missing


class PrivatePostgres:
    """``initdb`` a cluster in a temporary folder; ``start``, ``stop`` (fast) and ``remove`` it."""

    def __init__(self) -> None:
        self.port = free_port()
        self._as_postgres = os.geteuid() == 0
        # Not pytest's tmp_path: its parents are private to root, and the
        # server may run as another user.
        self.root = Path(tempfile.mkdtemp(prefix="shiftline-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        if self._as_postgres:
            user = pwd.getpwnam("postgres")
            os.chown(self.root, user.pw_uid, user.pw_gid)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str) -> None:
        command = [shutil.which(args[0]) or args[0], *args[1:]]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
        if result.returncode != 0:
            log = self.log.read_text() if self.log.exists() else ""
            raise RuntimeError(f"{args[0]} failed: {result.stdout}{result.stderr}{log[-2000:]}")

    def init(self) -> PrivatePostgres:
        # --no-sync: the cluster lives for one test; a clean stop still writes everything.
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync")
        return self

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.root}"
            " -c fsync=off -c max_connections=100"
        )
        self._run(
            "pg_ctl", "start", "-w", "-t", "30", "-D", str(self.data), "-l", str(self.log), "-o", options
        )

    def stop(self) -> None:
        """``pg_ctl stop -m fast``: sessions are ended, open transactions rolled back."""
        self._run("pg_ctl", "stop", "-w", "-m", "fast", "-D", str(self.data))

    def remove(self) -> None:
        if (self.data / "postmaster.pid").exists():
            with contextlib.suppress(RuntimeError):  # already stopped
                self._run("pg_ctl", "stop", "-w", "-m", "immediate", "-D", str(self.data))
        shutil.rmtree(self.root, ignore_errors=True)
