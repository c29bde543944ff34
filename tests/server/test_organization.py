"""An admin turns on phone redaction; sweepers then see masked numbers."""

from __future__ import annotations

from sqlalchemy import select
from starlette.testclient import TestClient

from loadtests.fake_twilio import ACCOUNT_SID, AUTH_TOKEN
from persistence.store.database import Database
from persistence.store.models import Organization
from tests.support.worlds.accounts import login, sync
from tests.support.worlds.messaging import build_sync


def test_admin_turns_on_redaction_and_numbers_are_masked(client: TestClient, database_url: str) -> None:
    world = build_sync(database_url, assign=["Sam"] * 6)
    owner = login(client, "owner@example.org")
    org = client.get("/api/organization", headers=owner.headers).json()
    assert org == {
        "id": world.organization_id,
        "name": "Texters United",
        "sending_number": "+15005550006",
        "redact_phones": False,
        "provider": {"kind": "simulator"},
        "send_rate_per_second": 10,
        "opt_out_message": None,
        "plain_punctuation": False,
        "allow_delete": True,
        "consent_message": None,
        "consent_required": False,
        "allow_drips": True,
    }
    url = f"/api/campaigns/{world.campaign_id}/conversations"
    assert (
        client.get(url, headers=owner.headers).json()["conversations"][0]["contact"]["phone"]
        == world.phones[0]
    )
    changed = client.patch("/api/organization", headers=owner.headers, json={"redact_phones": True})
    assert changed.status_code == 200 and changed.json()["redact_phones"] is True
    phone = client.get(url, headers=owner.headers).json()["conversations"][0]["contact"]["phone"]
    assert phone != world.phones[0] and phone.endswith(world.phones[0][-2:])
    view = client.get(f"/api/conversations/{world.conversations[0]}", headers=owner.headers).json()
    assert view["contact"]["phone"] == phone


def test_only_owners_and_admins_change_it(client: TestClient, database_url: str) -> None:
    build_sync(database_url, assign=["Sam"] * 6)
    sam = login(client, "sam@example.org")
    owner = login(client, "owner@example.org")
    assert client.get("/api/organization", headers=sam.headers).status_code == 200
    assert (
        client.patch("/api/organization", headers=sam.headers, json={"redact_phones": True}).status_code
        == 403
    )
    for bad in ({"redact_phones": "yes"}, {"name": "New name"}):
        assert client.patch("/api/organization", headers=owner.headers, json=bad).status_code == 422
    assert client.get("/api/organization", headers=owner.headers).json()["redact_phones"] is False


def test_the_same_twilio_account_is_saved_again_without_retyping_its_token(
    client: TestClient, database_url: str
) -> None:
    build_sync(database_url, assign=["Sam"] * 6)
    owner = login(client, "owner@example.org")
    first = {"kind": "twilio", "account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN}
    assert (
        client.patch("/api/organization", headers=owner.headers, json={"provider": first}).status_code == 200
    )
    stored = sync(database_url, _stored_token)
    # A settings page changes the Messaging Service only: the saved token stays.
    service = {"kind": "twilio", "account_sid": ACCOUNT_SID, "messaging_service_sid": "MG" + "0" * 32}
    changed = client.patch("/api/organization", headers=owner.headers, json={"provider": service})
    assert changed.status_code == 200, changed.text
    assert changed.json()["provider"]["messaging_service_sid"] == "MG" + "0" * 32
    assert sync(database_url, _stored_token) == stored
    # Another account needs its own token: refused, nothing changes.
    other = {"kind": "twilio", "account_sid": "AC" + "1" * 32}
    refused = client.patch("/api/organization", headers=owner.headers, json={"provider": other})
    assert refused.status_code == 422 and "auth_token" in refused.json()["error"]["message"]
    assert (
        client.get("/api/organization", headers=owner.headers).json()["provider"]["account_sid"]
        == ACCOUNT_SID
    )
    assert sync(database_url, _stored_token) == stored


async def _stored_token(db: Database) -> str | None:
    async with db.session() as session:
        token: str | None = await session.scalar(select(Organization.twilio_auth_token_encrypted))
        return token
