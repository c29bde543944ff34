"""Building organizations and users for a story, through the real code paths."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from starlette.testclient import TestClient

from persistence.commands.accounts import create_organization, create_user
from persistence.outbox.outbox import open_database
from server.auth import hash_password

__all__ = ["Login", "login", "make_org"]

PASSWORD = "correct horse battery"


@dataclass(frozen=True)
class Login:
    user_id: int
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def _make_org(url: str, name: str, email: str, number: str | None, webhook_token: str | None) -> int:
    db = open_database(url)
    try:
        password_hash = await hash_password(PASSWORD)
        async with db.transaction() as session:
            org = await create_organization(session, name, number=number, webhook_token=webhook_token)
            await create_user(
                session,
                org.id,
                email=email,
                password_hash=password_hash,
                first_name="Olive",
                last_name="Owner",
                role="owner",
            )
            return org.id
    finally:
        await db.dispose()


def make_org(
    database_url: str,
    name: str = "Texters United",
    *,
    email: str = "owner@example.org",
    number: str | None = None,
    webhook_token: str | None = None,
) -> int:
    """A new organization with an owner whose password is PASSWORD."""
    return asyncio.run(_make_org(database_url, name, email, number, webhook_token))


def login(client: TestClient, email: str, password: str = PASSWORD) -> Login:
    response = client.post("/api/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    body = response.json()
    return Login(body["user"]["id"], body["token"])
