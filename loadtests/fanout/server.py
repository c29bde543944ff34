"""The servers under test: the shiftline hub, or a bare ``websockets`` broadcast.

Each prints one JSON line ``{"pid", "token", "channel"}`` on stdout once it
listens. A trigger makes it send ``count`` small events stamped with the
trigger time: ``POST /bench/emit?count=k`` on the hub (each event committed
through the event log and published like any other), a ``emit:k`` text frame
on the bare server.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import msgpack
from websockets.typing import Subprotocol

from persistence.outbox.outbox import open_database

__all__ = [
    "BENCH_CHANNEL",
    "STRATEGIES",
    "main",
    "run_hub",
]

STRATEGIES = ("hub", "bare")
BENCH_CHANNEL = "bench"


def _event(seq: int) -> dict[str, Any]:
    return {"type": "event", "channel": "campaign:1", "seq": seq, "kind": "stats", "data": {"t": time.time()}}


async def _seed(database_url: str, secret: str) -> tuple[str, str, str]:
    """A migrated database with an owner and a campaign: (token, channel, a channel nobody emits on)."""
    from persistence.commands.accounts import create_organization, create_user
    from persistence.rules.channels import campaign_channel, sender_channel
    from persistence.store.migrate import upgrade
    from persistence.store.models import Campaign
    from server.tokens import issue_token

    db = open_database(database_url)
    try:
        await upgrade(db)
        async with db.transaction() as session:
            org = await create_organization(session, f"Bench {secrets.token_hex(3)}")
            owner = await create_user(
                session,
                org.id,
                email=f"bench-{secrets.token_hex(4)}@example.org",
                password_hash="-",
                first_name="Bench",
                last_name="Owner",
                role="owner",
            )
            campaign = Campaign(organization_id=org.id, title="Bench", initial_message="Hi")
            session.add(campaign)
            await session.flush()
            token = issue_token(secret, owner.id, org.id, 24 * 3600)
            return token, campaign_channel(campaign.id), sender_channel(campaign.id, owner.id)
    finally:
        await db.dispose()


def run_hub(args: argparse.Namespace) -> None:
    import uvicorn
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    from persistence.outbox.record import emit
    from server.app import create_app
    from server.services import services
    from server.settings import Settings

    database_url = args.database_url or f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}"
    secret = "bench-secret"
    if args.token:
        token, channel, quiet = args.token, args.channel, args.quiet
    else:
        token, channel, quiet = asyncio.run(_seed(database_url, secret))
    settings = Settings(
        database_url=database_url,
        redis_url=args.redis_url,
        redis_prefix=args.redis_prefix,
        secret_key=secret,
        auto_migrate=False,
        live_queue_limit=10_000,
    )
    app = create_app(settings)

    async def bench_emit(request: Request) -> Response:
        svc = services(request)
        count = int(request.query_params.get("count", "1"))
        for _ in range(count):
            async with svc.db.transaction() as session:
                emit(session, channel, "stats", {"t": time.time()})
        return JSONResponse({"emitted": count})

    app.router.routes.append(Route("/bench/emit", bench_emit, methods=["POST"]))
    print(json.dumps({"pid": _pid(), "token": token, "channel": channel, "quiet": quiet}), flush=True)
    # The same uvicorn settings as `shiftline serve` (server/cli.py).
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        loop="uvloop",
        ws="websockets-sansio",
        ws_per_message_deflate=False,
        ws_max_size=settings.ws_max_message_bytes,
        backlog=4096,
        lifespan="on",
    )


def _pid() -> int:
    import os

    return os.getpid()


async def _bare(args: argparse.Namespace) -> None:
    import websockets
    from websockets.asyncio.server import ServerConnection, serve

    clients: set[ServerConnection] = set()
    seq = 0
    publisher: Any = None

    def broadcast(payload: bytes) -> None:
        websockets.broadcast(clients, payload)

    async def handler(ws: ServerConnection) -> None:
        nonlocal seq
        try:
            async for message in ws:
                if isinstance(message, str) and message.startswith("emit:"):
                    for _ in range(int(message[5:])):
                        seq += 1
                        payload: bytes = msgpack.packb(_event(seq))
                        if publisher is not None:
                            await publisher.publish(f"{args.redis_prefix}:{BENCH_CHANNEL}", payload)
                        else:
                            broadcast(payload)
                elif isinstance(message, bytes):
                    channel = msgpack.unpackb(message).get("channel")
                    if channel == "campaign:1":
                        clients.add(ws)
                    await ws.send(msgpack.packb({"type": "subscribed", "channel": channel, "seq": seq}))
        except websockets.ConnectionClosed:
            pass  # the benchmark ends by dropping its clients
        finally:
            clients.discard(ws)

    async def relay() -> None:
        import redis.asyncio as aioredis

        client = aioredis.Redis.from_url(args.redis_url)
        pubsub = client.pubsub()
        await pubsub.subscribe(f"{args.redis_prefix}:{BENCH_CHANNEL}")
        async for message in pubsub.listen():
            if message["type"] == "message":
                broadcast(message["data"])

    async with serve(
        handler, "127.0.0.1", args.port, compression=None, subprotocols=[Subprotocol("msgpack")], backlog=4096
    ):
        info = {"pid": _pid(), "token": "-", "channel": "campaign:1", "quiet": "campaign:2"}
        print(json.dumps(info), flush=True)
        if args.redis_url:
            import redis.asyncio as aioredis

            publisher = aioredis.Redis.from_url(args.redis_url)
            await relay()
        else:
            await asyncio.Future()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m loadtests.fanout server")
    parser.add_argument("strategy", choices=STRATEGIES)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--database-url", help="hub: a database URL (default: a fresh SQLite file)")
    parser.add_argument("--redis-url", help="fan out through Redis pub/sub")
    parser.add_argument("--redis-prefix", default="bench-fanout")
    parser.add_argument("--token", help="hub: reuse another instance's seeded owner token")
    parser.add_argument("--channel", help="hub: with --token, the channel to emit on")
    parser.add_argument("--quiet", help="hub: with --token, a channel with no events (warm-up clients)")
    args = parser.parse_args(argv)
    if args.strategy == "hub":
        run_hub(args)
    else:
        import uvloop

        uvloop.run(_bare(args))


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1:])
