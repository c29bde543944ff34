"""Steps the live stories share: a team with a campaign, sockets, events caused on demand."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.testclient import TestClient

from persistence.events import campaign_channel, emit, sender_channel
from server.services import Services
from tests.server.campaign_helpers import add_user, make_campaign
from tests.world import Login, login, make_org

__all__ = ["Team", "cause", "make_team"]


@dataclass(frozen=True)
class Team:
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


def make_team(client: TestClient, database_url: str) -> Team:
    """An organization with an owner, a moderator, two senders and a campaign they are on."""
    make_org(database_url)
    owner = login(client, "owner@example.org")
    sam = add_user(client, owner, "sam@example.org", first="Sam")
    ria = add_user(client, owner, "ria@example.org", first="Ria")
    moe = add_user(client, owner, "moe@example.org", role="moderator", first="Moe")
    campaign = make_campaign(client, owner)
    response = client.post(
        f"/api/campaigns/{campaign['id']}/senders",
        headers=owner.headers,
        json={"user_ids": [sam.user_id, ria.user_id]},
    )
    assert response.status_code in (200, 201), response.text
    return Team(owner, sam, ria, moe, campaign["id"])


def cause(client: TestClient, channel: str, count: int = 1, kind: str = "conversation", **data: Any) -> None:
    """Commit ``count`` events on ``channel`` through the app's own database (so they are published)."""
    svc: Services = client.app.state.services  # type: ignore[attr-defined]

    async def run() -> None:
        for number in range(count):
            async with svc.db.transaction() as session:
                emit(session, channel, kind, {"id": number, **data})

    client.portal.call(run)  # type: ignore[union-attr]
