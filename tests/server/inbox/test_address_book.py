"""A team keeps an address book: people added by hand and everyone their campaigns texted."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.support.worlds.accounts import login
from tests.support.worlds.messaging import build_sync


def test_a_sender_adds_a_neighbour_and_finds_them_with_the_campaign_contacts(
    client: TestClient, database_url: str
) -> None:
    build_sync(database_url, assign=["Sam"] * 6)
    sam = login(client, "sam@example.org")
    added = client.post(
        "/api/address-book",
        headers=sam.headers,
        json={"first_name": "Nia", "last_name": "Neighbour", "phone": "(415) 555-0199", "ward": "7"},
    )
    assert added.status_code == 201, added.text
    nia = added.json()
    assert nia["phone"] == "+14155550199" and nia["fields"] == {"ward": "7"} and nia["campaign_id"] is None
    assert nia["opted_out"] is False and nia["consent"] == {"sent_at": None}

    everyone = client.get("/api/address-book", headers=sam.headers).json()["contacts"]
    # Nia and the campaign's six contacts, one entry each, by first name.
    assert [c["first_name"] for c in everyone] == [
        "Ada",
        "Alan",
        "Barbara",
        "Edsger",
        "Grace",
        "Katherine",
        "Nia",
    ]
    assert client.get("/api/address-book?search=neigh", headers=sam.headers).json()["contacts"] == [nia]
    by_phone = client.get("/api/address-book?search=2671", headers=sam.headers).json()["contacts"]
    assert [c["first_name"] for c in by_phone] == ["Ada"]


def test_a_phone_is_in_the_address_book_once(client: TestClient, database_url: str) -> None:
    build_sync(database_url)
    owner = login(client, "owner@example.org")
    first = client.post("/api/address-book", headers=owner.headers, json={"phone": "+1 415 555 0199"})
    assert first.status_code == 201
    again = client.post("/api/address-book", headers=owner.headers, json={"phone": "415-555-0199"})
    assert again.status_code == 409 and again.json()["error"]["code"] == "duplicate_phone"
    # A campaign contact's phone is already in the address book too.
    ada = client.post("/api/address-book", headers=owner.headers, json={"phone": "+14155552671"})
    assert ada.status_code == 409
    bad = client.post("/api/address-book", headers=owner.headers, json={"phone": "12"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_phone"
    assert len(client.get("/api/address-book", headers=owner.headers).json()["contacts"]) == 7


def test_update_contact_details_opts_the_phone_out_everywhere(client: TestClient, database_url: str) -> None:
    world = build_sync(database_url, assign=["Sam"] * 6)
    sam = login(client, "sam@example.org")
    ada = client.get("/api/address-book?search=ada", headers=sam.headers).json()["contacts"][0]
    changed = client.patch(
        f"/api/address-book/{ada['id']}",
        headers=sam.headers,
        json={"first_name": "Augusta Ada", "opted_out": True},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["first_name"] == "Augusta Ada" and changed.json()["opted_out"] is True
    # The campaign conversation with Ada's phone is opted out as well: nothing can be sent to her.
    refused = client.post(
        f"/api/conversations/{world.conversations[0]}/messages", headers=sam.headers, json={}
    )
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "opted_out"
    back = client.patch(f"/api/address-book/{ada['id']}", headers=sam.headers, json={"opted_out": False})
    assert back.json()["opted_out"] is False
    typo = client.patch(f"/api/address-book/{ada['id']}", headers=sam.headers, json={"opted_in": True})
    assert typo.status_code == 422 and typo.json()["error"]["code"] == "unknown_field"


def test_another_organization_sees_none_of_it(client: TestClient, database_url: str) -> None:
    build_sync(database_url)
    build_sync(database_url, name="Other", domain="other.org", number="+15005550007", contacts=())
    mine = login(client, "owner@example.org")
    theirs = login(client, "owner@other.org")
    nia = client.post("/api/address-book", headers=mine.headers, json={"phone": "+14155550199"}).json()
    assert client.get("/api/address-book", headers=theirs.headers).json()["contacts"] == []
    assert client.get(f"/api/address-book/{nia['id']}", headers=theirs.headers).status_code == 404
    # The same phone is theirs to add, in their own address book.
    assert (
        client.post("/api/address-book", headers=theirs.headers, json={"phone": "+14155550199"}).status_code
        == 201
    )
