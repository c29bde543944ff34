"""Server processes for a run: start N instances on loopback, watch them, kill one, stop all.

Each instance is ``python -m server serve`` on a free loopback port. On the
embedded default there is one instance with a fresh SQLite data folder; on
PostgreSQL the run gets its own database (created here, dropped at the end
unless kept) and its own Redis key prefix, so runs never touch anyone else's
data on a shared server.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from .config import Config

__all__ = ["Cluster", "Instance", "cluster", "database_exists", "free_port"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Instance:
    index: int
    url: str
    port: int | None = None
    process: subprocess.Popen[bytes] | None = None
    log: Path | None = None

    @property
    def alive(self) -> bool:
        return self.process is None or self.process.poll() is None


@dataclass
class Cluster:
    """The instances of a run and the environment to run the CLI against them."""

    instances: list[Instance]
    env: dict[str, str] = field(default_factory=dict)
    directory: Path = Path(".")
    database: str | None = None
    admin_dsn: str | None = None

    @property
    def secret(self) -> str | None:
        """The token-signing key the harness gave the servers it started (None for given URLs)."""
        return self.env.get("SHIFTLINE_SECRET_KEY") if self.instances[0].process is not None else None

    @property
    def urls(self) -> list[str]:
        return [i.url for i in self.instances]

    def cli(self, *args: str) -> str:
        """Run ``shiftline <args>`` against the run's database; return its output."""
        done = subprocess.run(
            [sys.executable, "-m", "server", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"shiftline {args[0]} failed: {done.stderr.strip()[-2000:]}")
        return done.stdout

    def start(self, instance: Instance) -> None:
        if instance.port is None:
            raise RuntimeError("an instance given by URL cannot be started here")
        log = self.directory / f"server-{instance.index}.log"
        instance.log = log
        with log.open("ab") as out:
            instance.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "server",
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(instance.port),
                ],
                env={**self.env, "SHIFTLINE_INSTANCE_ID": f"load{instance.index}"},
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def kill(self, index: int) -> None:
        """SIGKILL one instance: no graceful close, as a crash would."""
        proc = self.instances[index].process
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=10)

    async def wait_healthy(self, instance: Instance, within: float = 60.0) -> None:
        deadline = time.monotonic() + within
        async with httpx.AsyncClient(timeout=2.0) as client:
            while True:
                if instance.process is not None and instance.process.poll() is not None:
                    raise RuntimeError(f"instance {instance.index} exited; see {instance.log}")
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(instance.url + "/api/health")).status_code == 200:
                        return
                if time.monotonic() > deadline:
                    raise RuntimeError(f"instance {instance.index} not healthy after {within:.0f} s")
                await asyncio.sleep(0.2)

    async def snapshot(self, template: str) -> None:
        """Copy the run's database to ``template`` (servers stopped meanwhile: PostgreSQL
        copies only a database nobody is connected to), then start them again."""
        if self.database is None or self.admin_dsn is None:
            raise RuntimeError("only a PostgreSQL run started here can be saved")
        self.stop()
        await _admin_sql(self.admin_dsn, f'DROP DATABASE IF EXISTS "{template}"')
        await _admin_sql(self.admin_dsn, f'CREATE DATABASE "{template}" TEMPLATE "{self.database}"')
        for instance in self.instances:
            self.start(instance)
        await asyncio.gather(*(self.wait_healthy(i) for i in self.instances))

    def stop(self) -> None:
        procs = [i.process for i in self.instances if i.process is not None and i.process.poll() is None]
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)


async def _admin_sql(dsn: str, sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def database_exists(dsn: str, name: str) -> bool:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        return bool(await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name))
    finally:
        await conn.close()


def _database_url(admin_url: str, name: str) -> str:
    base, _, _ = admin_url.rpartition("/")
    return f"{base}/{name}"


@contextlib.asynccontextmanager
async def cluster(
    cfg: Config, directory: Path, *, template: str | None = None, secret: str | None = None
) -> AsyncIterator[Cluster]:
    """Start the run's servers (or take the given URLs); stop and clean up on exit.

    Args:
        template: a saved world's database to start from (PostgreSQL only).
        secret: the token-signing key to give the servers (a saved world's), else a new one.
    """
    if cfg.external:
        yield Cluster([Instance(i, url) for i, url in enumerate(cfg.urls)], dict(os.environ), directory)
        return
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env["SHIFTLINE_SECRET_KEY"] = secret or secrets.token_hex(32)
    env["PYTHONUNBUFFERED"] = "1"
    database: str | None = None
    if cfg.backend == "postgres":
        database = f"shiftline_load_{secrets.token_hex(4)}"
        admin = cfg.extra_env["postgres"]
        copy = f' TEMPLATE "{template}"' if template else ""
        await _admin_sql(admin, f'CREATE DATABASE "{database}"{copy}')
        env["DATABASE_URL"] = _database_url(admin, database)
        env["REDIS_URL"] = cfg.extra_env["redis"]
        env["SHIFTLINE_REDIS_PREFIX"] = database
    else:
        env["SHIFTLINE_DATA_DIR"] = str(directory / "data")
    ports = [free_port() for _ in range(cfg.instances)]
    instances = [Instance(i, f"http://127.0.0.1:{p}", p) for i, p in enumerate(ports)]
    c = Cluster(instances, env, directory, database, cfg.extra_env.get("postgres"))
    try:
        if database is not None:
            await asyncio.to_thread(c.cli, "migrate")
        for instance in instances:
            c.start(instance)
        await asyncio.gather(*(c.wait_healthy(i) for i in instances))
        yield c
    finally:
        c.stop()
        if database is not None and not cfg.keep_database:
            with contextlib.suppress(Exception):
                await _admin_sql(
                    cfg.extra_env["postgres"], f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'
                )
            await _forget_redis_keys(cfg.extra_env["redis"], database)


async def _forget_redis_keys(url: str, prefix: str) -> None:
    """Delete the run's own Redis keys (by its unique prefix; never anything else)."""
    import redis.asyncio as aioredis

    client = aioredis.from_url(url)
    try:
        async for key in client.scan_iter(match=f"{prefix}*", count=1000):
            await client.delete(key)
    except Exception:
        pass  # cleanup is best effort: the keys are the run's own and expire anyway
    finally:
        await client.aclose()
