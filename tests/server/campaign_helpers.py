"""Small steps the campaign stories share: add a teammate, make a campaign."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from tests.world import Login, login

__all__ = ["add_contacts", "add_user", "make_campaign"]


def add_user(client: TestClient, admin: Login, email: str, role: str = "sender", first: str = "Sam") -> Login:
    """An active user of the admin's organization, logged in."""
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
