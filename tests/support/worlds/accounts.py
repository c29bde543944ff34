"""The base of every world: the one test password, organizations, logins, run-from-sync.

Password hashing is deliberately slow (argon2), so every world hashes
:data:`PASSWORD` once per process through :func:`password_hash`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from starlette.testclient import TestClient

from persistence.commands.accounts import create_organization, create_user
from persistence.outbox.outbox import open_database
from persistence.store.database import Database
from server.auth import hash_password

__all__ = [
    "PASSWORD",
    "Login",
    "add_contacts",
    "add_user",
    "login",
    "make_campaign",
    "make_org",
    "password_hash",
    "sync",
]

T = TypeVar("T")

PASSWORD = "correct horse battery"
_hashes: dict[str, str] = {}


async def password_hash(password: str = PASSWORD) -> str:
    """The argon2 hash of ``password``, computed once per process (off the event loop)."""
    if password not in _hashes:
        _hashes[password] = await hash_password(password)
    return _hashes[password]


def sync(database_url: str, work: Callable[[Database], Awaitable[T]]) -> T:
    """Run ``work(db)`` on a database of its own from a synchronous (TestClient) test."""

    async def run() -> T:
        db = open_database(database_url)
        try:
            return await work(db)
        finally:
            await db.dispose()

    return asyncio.run(run())


@dataclass(frozen=True)
class Login:
    user_id: int
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def _make_org(
    db: Database, name: str, email: str, number: str | None, webhook_token: str | None
) -> int:
    hashed = await password_hash()
    async with db.transaction() as session:
        org = await create_organization(session, name, number=number, webhook_token=webhook_token)
        await create_user(
            session,
            org.id,
            email=email,
            password_hash=hashed,
            first_name="Olive",
            last_name="Owner",
            role="owner",
        )
        return org.id


def make_org(
    database_url: str,
    name: str = "Texters United",
    *,
    email: str = "owner@example.org",
    number: str | None = None,
    webhook_token: str | None = None,
) -> int:
    """A new organization with an owner whose password is PASSWORD."""
    return sync(database_url, lambda db: _make_org(db, name, email, number, webhook_token))


def login(client: TestClient, email: str, password: str = PASSWORD) -> Login:
    response = client.post("/api/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    body = response.json()
    return Login(body["user"]["id"], body["token"])


def add_user(client: TestClient, admin: Login, email: str, role: str = "sender", first: str = "Sam") -> Login:
    """An active user of the admin's organization, made through the API, logged in."""
    response = client.post(
        "/api/users",
        headers=admin.headers,
        json={
            "email": email,
            "password": "texting-is-fun",
            "first_name": first,
            "last_name": "T",
            "role": role,
        },
    )
    assert response.status_code == 201, response.text
    return login(client, email, "texting-is-fun")


def make_campaign(client: TestClient, who: Login, **fields: Any) -> dict[str, Any]:
    """A draft campaign made through the API (``fields`` override the defaults)."""
    body: dict[str, Any] = {"title": "Get out the vote", "initial_message": "Hi %ContactFirstName%!"}
    body.update(fields)
    response = client.post("/api/campaigns", headers=who.headers, json=body)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def add_contacts(client: TestClient, who: Login, cid: int, count: int = 1) -> None:
    """``count`` contacts in the campaign (a campaign is launched only with some)."""
    rows = [{"first_name": f"C{i}", "last_name": "T", "phone": f"+1212555{i:04d}"} for i in range(count)]
    response = client.post(f"/api/campaigns/{cid}/contacts", headers=who.headers, json=rows)
    assert response.status_code == 200, response.text
