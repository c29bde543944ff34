"""The ``shiftline`` command: serve, migrate, create-org, sms inbound."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence

from persistence.commands.accounts import create_organization, create_user
from persistence.outbox.outbox import open_database
from persistence.rules.errors import DomainError
from persistence.store.migrate import upgrade

from . import sms_cli
from .auth import hash_password
from .settings import Settings

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="shiftline", description="Real-time server for P2P texting campaigns."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the server")
    serve.add_argument(
        "--host", default="127.0.0.1", help="the address to listen on (default: %(default)s; 0.0.0.0 for all)"
    )
    serve.add_argument(
        "--port", type=int, default=8000, help="the TCP port to listen on (default: %(default)s)"
    )
    serve.add_argument("--demo", action="store_true", help="seed a demo organization and print its logins")
    serve.add_argument(
        "--log-level",
        default="info",
        choices=("critical", "error", "warning", "info", "debug", "trace"),
        help="how much the server logs (default: %(default)s)",
    )

    sub.add_parser("migrate", help="bring the database schema up to date")

    org = sub.add_parser("create-org", help="create an organization and its owner")
    org.add_argument("name")
    org.add_argument("--owner-email", required=True)
    org.add_argument("--owner-password", required=True)
    org.add_argument("--owner-first-name", default="Owner")
    org.add_argument("--owner-last-name", default="")
    org.add_argument("--number", help="the sending number inbound texts arrive on (E.164)")
    org.add_argument("--webhook-token", help="the SMS provider's auth token, to check webhook signatures")
    sms_cli.add_parser(sub)
    return parser


async def _migrate(settings: Settings) -> None:
    db = open_database(settings.database_url)
    try:
        await upgrade(db)
    finally:
        await db.dispose()


async def _create_org(settings: Settings, args: argparse.Namespace) -> None:
    db = open_database(settings.database_url)
    try:
        if settings.migrate_on_start:
            await upgrade(db)
        if len(args.owner_password) < 8:
            raise SystemExit("error: the owner password must have at least 8 characters")
        password_hash = await hash_password(args.owner_password)
        async with db.transaction() as session:
            org = await create_organization(
                session, args.name, number=args.number, webhook_token=args.webhook_token
            )
            owner = await create_user(
                session,
                org.id,
                email=args.owner_email,
                password_hash=password_hash,
                first_name=args.owner_first_name,
                last_name=args.owner_last_name,
                role="owner",
            )
        print(f"organization {org.id} ({org.name}) created; owner {owner.email} is user {owner.id}")
    except DomainError as exc:
        raise SystemExit(f"error: {exc.message}") from None
    finally:
        await db.dispose()


async def _seed_demo(settings: Settings) -> None:
    from .demo import seed_demo

    db = open_database(settings.database_url)
    try:
        if settings.migrate_on_start:
            await upgrade(db)
        for line in await seed_demo(db):
            print(line)
    finally:
        await db.dispose()


def _serve(settings: Settings, args: argparse.Namespace) -> None:
    import uvicorn

    from .app import create_app

    if args.demo:
        asyncio.run(_seed_demo(settings))
    mode = (
        "embedded: SQLite + in-process broker" if settings.embedded else "database and broker from settings"
    )
    print(f"shiftline serving on http://{args.host}:{args.port}/ ({mode})")
    sys.stdout.flush()
    uvicorn.run(
        create_app(settings),
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        loop="uvloop" if sys.platform != "win32" else "asyncio",
        ws="websockets-sansio",
        # The live hub writes pre-built frames to each socket (docs/live.md):
        # no per-connection compression (it would also cost ~30 KB of zlib state
        # per connection); protocol pings double as the idle timeout.
        ws_per_message_deflate=False,
        ws_max_size=settings.ws_max_message_bytes,
        ws_ping_interval=float(settings.ws_ping_interval),
        ws_ping_timeout=float(settings.ws_ping_interval),
        lifespan="on",
        timeout_graceful_shutdown=10,
    )


def main(argv: Sequence[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = Settings.from_env()
    except ValueError as exc:
        raise SystemExit(f"error: {exc}") from None
    if args.command == "serve":
        _serve(settings, args)
    elif args.command == "migrate":
        asyncio.run(_migrate(settings))
        print("database schema is up to date")
    elif args.command == "create-org":
        asyncio.run(_create_org(settings, args))
    elif args.command == "sms":
        sms_cli.run(settings, args)
