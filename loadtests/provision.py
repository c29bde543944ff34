"""Set a run's world up through the public API: organization, users, campaign, contacts, launch.

The organization comes from ``shiftline create-org`` (the CLI is the only
documented way to make one); everything else goes through HTTP, as an
organizer's script would.
"""

from __future__ import annotations

import asyncio
import random
import re
import secrets
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from .api import Api
from .config import Config
from .servers import Cluster

__all__ = ["LOGIN_SAMPLE", "Person", "World", "contact_phone", "iter_pages", "login", "provision"]

T = TypeVar("T")

_AREA_CODES = (201, 202, 203, 205, 206, 207, 208, 209, 210, 212, 213, 214, 215, 216, 217, 218, 219, 224)
_EXCHANGES = tuple(x for x in range(200, 1000) if x % 100 != 11)
_PASSWORD = "load-test-password"
_UPLOAD_CHUNK = 5_000
# Set-up moves whole campaigns at once: on a busy 2-core host that can take minutes.
_BULK_TIMEOUT = 900.0
_TARGETS_PER_MOVE = 100


def contact_phone(index: int) -> str:
    """The E.164 number of contact ``index`` (distinct and valid for the first 14 million)."""
    line = index % 10_000
    block = index // 10_000
    area = _AREA_CODES[block % len(_AREA_CODES)]
    exchange = _EXCHANGES[(block // len(_AREA_CODES)) % len(_EXCHANGES)]
    return f"+1{area}{exchange}{line:04d}"


@dataclass
class Person:
    user_id: int
    email: str
    token: str
    first_name: str
    role: str


@dataclass
class World:
    urls: list[str]
    campaign_id: int
    number: str
    webhook_token: str
    owner: Person
    admins: list[Person]
    senders: list[Person]
    # conversation id -> (contact phone, contact first name)
    contacts: dict[int, tuple[str, str]] = field(default_factory=dict)
    # Instances known dead (killed by the scenario): HTTP goes to the others.
    dead: set[int] = field(default_factory=set)

    def url(self, rng: random.Random) -> str:
        """A live instance for an HTTP call, as a load balancer would pick one."""
        alive = [u for i, u in enumerate(self.urls) if i not in self.dead] or self.urls
        return alive[rng.randrange(len(alive))]


async def _bounded(limit: int, jobs: list[Callable[[], Awaitable[T]]]) -> list[T]:
    gate = asyncio.Semaphore(limit)

    async def one(job: Callable[[], Awaitable[T]]) -> T:
        async with gate:
            return await job()

    return list(await asyncio.gather(*(one(j) for j in jobs)))


def _rows(body: Any) -> tuple[list[dict[str, Any]], Any]:
    """The rows and next cursor of a listing page, whatever its envelope key."""
    if isinstance(body, list):
        return body, None
    for key in ("conversations", "items", "rows", "results"):
        if isinstance(body.get(key), list):
            rows = body[key]
            break
    else:
        rows = []
    cursor = body.get("next_cursor") or body.get("cursor") or body.get("next")
    return rows, cursor


async def iter_pages(
    api: Api, base: str, token: str, campaign_id: int, params: dict[str, Any], limit: int = 500
) -> list[dict[str, Any]]:
    """Every row of an Admin Messenger listing, following the cursor."""
    out: list[dict[str, Any]] = []
    cursor: Any = None
    for _ in range(100_000):
        query = {**params, "limit": limit}
        if cursor is not None:
            query["cursor"] = cursor
        body = await api.call(
            "GET",
            f"{base}/api/campaigns/{campaign_id}/conversations",
            "/api/campaigns/{cid}/conversations",
            token=token,
            params=query,
        )
        rows, cursor = _rows(body)
        out.extend(rows)
        if not cursor or not rows:
            break
    return out


async def login(api: Api, base: str, email: str, password: str) -> tuple[str, dict[str, Any]]:
    body = await api.call(
        "POST", f"{base}/api/login", "/api/login", json={"email": email, "password": password}
    )
    return str(body["token"]), dict(body["user"])


def _chunks(items: list[T], size: int) -> Iterator[list[T]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


# Users past this many log in with a token the harness signs itself (only when it
# started the servers and holds their key): a login is one argon2 verification,
# about 0.2-0.4 s of server CPU, which for 2,000 senders is minutes of set-up.
LOGIN_SAMPLE = 20


async def _organization_id(api: Api, base: str, token: str) -> int:
    body = await api.call("GET", f"{base}/api/organization", "/api/organization", token=token)
    return int(body["id"])


async def _people(
    api: Api, base: str, owner_token: str, run: str, role: str, count: int, mint: Callable[[int], str] | None
) -> list[Person]:
    label = "admin" if role == "admin" else "sender"

    def make(i: int) -> Callable[[], Awaitable[Person]]:
        async def job() -> Person:
            email = f"{label}{i}.{run}@example.org"
            first = f"{label.capitalize()}{i}"
            user = await api.call(
                "POST",
                f"{base}/api/users",
                "/api/users",
                token=owner_token,
                json={
                    "email": email,
                    "password": _PASSWORD,
                    "first_name": first,
                    "last_name": "Load",
                    "role": role,
                },
            )
            uid = int(user["id"])
            if mint is not None and i >= LOGIN_SAMPLE:
                token = mint(uid)
            else:
                token, _ = await login(api, base, email, _PASSWORD)
            return Person(uid, email, token, first, role)

        return job

    # Password hashing is CPU-bound on the server: a few at a time is as fast as it goes.
    return await _bounded(8, [make(i) for i in range(count)])


async def provision(api: Api, cluster: Cluster, cfg: Config, run: str, contacts: int) -> World:
    """Build the run's organization, users, active campaign and assigned conversations."""
    base = cluster.urls[0]
    if cfg.external:
        email, password = cfg.owner_email or "", cfg.owner_password or ""
        number, webhook_token = cfg.number or "", cfg.webhook_token or ""
    else:
        email, password = f"owner.{run}@example.org", _PASSWORD
        number = f"+1202555{secrets.randbelow(10_000):04d}"
        webhook_token = secrets.token_hex(16)
        out = await asyncio.to_thread(
            cluster.cli,
            "create-org",
            f"Load test {run}",
            "--owner-email",
            email,
            "--owner-password",
            password,
            "--number",
            number,
            "--webhook-token",
            webhook_token,
        )
        if not re.search(r"organization \d+", out):
            raise RuntimeError(f"create-org said: {out!r}")
    token, user = await login(api, base, email, password)
    owner = Person(int(user["id"]), email, token, str(user.get("first_name", "")), str(user.get("role")))
    mint: Callable[[int], str] | None = None
    secret = cluster.secret
    if secret is not None:
        from server.tokens import issue_token

        org_id = await _organization_id(api, base, token)

        def mint(uid: int) -> str:
            return issue_token(secret, uid, org_id, 12 * 3600)

    admins = await _people(api, base, token, run, "admin", cfg.admins, mint)
    senders = await _people(api, base, token, run, "sender", cfg.senders, mint)
    campaign = await api.call(
        "POST",
        f"{base}/api/campaigns",
        "/api/campaigns",
        token=token,
        json={
            "title": f"Load test {run}",
            "initial_message": (
                "Hi %ContactFirstName%, this is %SenderFirstName% with the campaign. Can we count on you?"
            ),
            "follow_up_message": "Just checking in, %ContactFirstName%!",
        },
    )
    cid = int(campaign["id"])
    if senders:
        await api.call(
            "POST",
            f"{base}/api/campaigns/{cid}/senders",
            "/api/campaigns/{cid}/senders",
            token=token,
            json={"user_ids": [p.user_id for p in senders]},
        )
    offset = secrets.randbelow(1_000) * 10_000 if cfg.external else 0
    rows = [
        {"first_name": f"Contact{i}", "last_name": "Load", "phone": contact_phone(offset + i)}
        for i in range(contacts)
    ]
    for chunk in _chunks(rows, _UPLOAD_CHUNK):
        result = await api.call(
            "POST",
            f"{base}/api/campaigns/{cid}/contacts",
            "/api/campaigns/{cid}/contacts",
            token=token,
            json=chunk,
            read_timeout=_BULK_TIMEOUT,
        )
        if int(result.get("added", 0)) != len(chunk):
            raise RuntimeError(f"contacts upload added {result.get('added')} of {len(chunk)}: {result}")
    listed = await iter_pages(api, base, token, cid, {"sender": "unassigned", "tab": "initial"})
    world = World(list(cluster.urls), cid, number, webhook_token, owner, admins, senders)
    for row in listed:
        contact = row["contact"]
        world.contacts[int(row["id"])] = (str(contact["phone"]), str(contact.get("first_name", "")))
    if len(world.contacts) != contacts:
        raise RuntimeError(f"the unassigned listing shows {len(world.contacts)} of {contacts} conversations")
    await api.call(
        "PATCH", f"{base}/api/campaigns/{cid}", "/api/campaigns/{cid}", token=token, json={"status": "active"}
    )
    if senders:
        await _distribute(api, base, token, cid, [p.user_id for p in senders], contacts)
    return world


async def _distribute(api: Api, base: str, token: str, cid: int, senders: list[int], contacts: int) -> None:
    """Give every sender an even share of the pool, as an admin would with Reassign.

    One ``reassign_all`` to ``all_senders`` when there are few senders; in
    batches of ``_TARGETS_PER_MOVE`` senders otherwise (one statement spreading
    80,000 conversations over 2,000 senders ran for minutes).
    """
    url = f"{base}/api/campaigns/{cid}/reassign"
    moves: list[dict[str, Any]] = []
    if len(senders) > _TARGETS_PER_MOVE:
        share = contacts // len(senders)
        for i in range(0, len(senders), _TARGETS_PER_MOVE):
            batch = senders[i : i + _TARGETS_PER_MOVE]
            moves.append(
                {"action": "reassign_some", "from": [None], "count": share * len(batch), "to": batch}
            )
    # What is left (all of it, or the few the batches did not divide) goes out too.
    moves.append({"action": "reassign_all", "from": [None], "to": senders[:_TARGETS_PER_MOVE]})
    for body in moves:
        await api.call(
            "POST", url, "/api/campaigns/{cid}/reassign", token=token, json=body, read_timeout=_BULK_TIMEOUT
        )
