"""Scratch PostgreSQL databases for the benchmarks: made next to a given one, dropped after."""

from __future__ import annotations

import argparse
import secrets
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

import asyncpg
from sqlalchemy.engine import make_url

__all__ = ["bench_arguments", "dsn", "parse_bench_arguments", "scratch_database"]


def dsn(url: str, database: str | None = None) -> str:
    """``url`` as a plain ``postgresql://`` DSN for asyncpg, optionally for another database."""
    parsed = make_url(url).set(drivername="postgresql")
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


@asynccontextmanager
async def scratch_database(url: str, *, name: str | None = None, keep: bool = False) -> AsyncIterator[str]:
    """Create a database on ``url``'s server (``name``, or a random one); yield its URL; drop it after.

    ``keep`` leaves it in place (its name is printed).
    """
    name = name or f"shiftline_bench_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(dsn(url, "postgres"))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield dsn(url, name)
        finally:
            if keep:
                print(f"kept database {name}")
            else:
                await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def bench_arguments(description: str | None) -> argparse.ArgumentParser:
    """A benchmark's command line: ``--database-url`` and ``--keep`` (see :func:`parse_bench_arguments`)."""
    parser = argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--database-url", required=True, help="postgresql://... (a scratch database is created)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    return parser


def parse_bench_arguments(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse, and refuse a database URL that is not PostgreSQL's (the benchmarks measure it)."""
    args = parser.parse_args(argv)
    if make_url(args.database_url).get_backend_name() != "postgresql":
        parser.error("--database-url must be a postgresql:// URL")
    return args
