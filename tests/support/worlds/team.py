"""Steps the live stories share: a team with a campaign, sockets, events caused on demand.

Users are written straight to the database with one password hash computed
once, and tokens are issued directly: password hashing is deliberately slow,
and these stories are about live updates, not logins.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from starlette.testclient import TestClient

from persistence.commands.accounts import create_organization, create_user
from persistence.outbox.record import emit
from persistence.rules.channels import campaign_channel, sender_channel
from persistence.store.database import Database
from persistence.store.models import Event
from server.services import Services
from server.tokens import issue_token

from .accounts import Login, password_hash

__all__ = ["Team", "add_member", "cause", "make_team", "seed_team"]


@dataclass(frozen=True)
class Team:
    org_id: int
    owner: Login
    sam: Login  # a sender of the campaign
    ria: Login  # another sender of the campaign
    moe: Login  # a moderator
    campaign_id: int

    @property
    def campaign(self) -> str:
        return campaign_channel(self.campaign_id)

    def sender(self, who: Login) -> str:
        return sender_channel(self.campaign_id, who.user_id)


async def seed_team(
    db: Database, name: str = "Texters United", domain: str = "example.org"
) -> tuple[int, dict[str, int]]:
    """An organization and its owner, sam, ria (senders) and moe (moderator): (org id, user ids)."""
    hashed = await password_hash()
    async with db.transaction() as session:
        org = await create_organization(session, name)
        users = {}
        for key, role in (("owner", "owner"), ("sam", "sender"), ("ria", "sender"), ("moe", "moderator")):
            user = await create_user(
                session,
                org.id,
                email=f"{key}@{domain}",
                password_hash=hashed,
                first_name=key.title(),
                last_name="T",
                role=role,
            )
            users[key] = user.id
    return org.id, users


def _svc(client: TestClient) -> Services:
    svc: Services = client.app.state.services  # type: ignore[attr-defined]
    return svc


def add_member(
    client: TestClient, org_id: int, role: str = "sender", email: str = "new@example.org"
) -> Login:
    svc = _svc(client)

    async def build() -> int:
        hashed = await password_hash()
        async with svc.db.transaction() as session:
            user = await create_user(
                session,
                org_id,
                email=email,
                password_hash=hashed,
                first_name="New",
                last_name="T",
                role=role,
            )
            return user.id

    user_id = client.portal.call(build)  # type: ignore[union-attr]
    return Login(user_id, issue_token(svc.secret, user_id, org_id, 3600))


def make_team(
    client: TestClient, database_url: str, *, name: str = "Texters United", domain: str = "example.org"
) -> Team:
    """An organization with an owner, a moderator, two senders and a campaign the senders are on."""
    svc = _svc(client)
    org_id, ids = client.portal.call(seed_team, svc.db, name, domain)  # type: ignore[union-attr]
    logins = {key: Login(uid, issue_token(svc.secret, uid, org_id, 3600)) for key, uid in ids.items()}
    owner = logins["owner"]
    response = client.post(
        "/api/campaigns", headers=owner.headers, json={"title": "Get out the vote", "initial_message": "Hi!"}
    )
    assert response.status_code == 201, response.text
    campaign_id = response.json()["id"]
    response = client.post(
        f"/api/campaigns/{campaign_id}/senders",
        headers=owner.headers,
        json={"user_ids": [ids["sam"], ids["ria"]]},
    )
    assert response.status_code in (200, 201), response.text
    _wait_for_counts(client, svc, campaign_id)
    return Team(org_id, owner, logins["sam"], logins["ria"], logins["moe"], campaign_id)


def _wait_for_counts(client: TestClient, svc: Services, campaign_id: int) -> None:
    """Adding senders publishes their counters a moment later: let that pass before a story counts events."""

    async def published() -> bool:
        async with svc.db.session() as session:
            found = await session.scalar(
                select(func.count())
                .select_from(Event)
                .where(Event.channel == campaign_channel(campaign_id), Event.kind == "stats")
            )
        return bool(found)

    deadline = time.monotonic() + 10
    while not client.portal.call(published):  # type: ignore[union-attr]
        assert time.monotonic() < deadline, "the counters of the new senders were never published"
        time.sleep(0.02)


def cause(client: TestClient, channel: str, count: int = 1, kind: str = "conversation", **data: Any) -> None:
    """Commit ``count`` events on ``channel`` through the app's own database (so they are published)."""
    svc = _svc(client)

    async def run() -> None:
        for number in range(count):
            async with svc.db.transaction() as session:
                emit(session, channel, kind, {"id": number, **data})

    client.portal.call(run)  # type: ignore[union-attr]
