"""An organizer sets up a campaign, adds senders, launches, pauses and closes it."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.support.worlds.accounts import add_contacts, add_user, login, make_campaign, make_org


def test_getting_started_end_to_end(client: TestClient, database_url: str) -> None:
    make_org(database_url)
    owner = login(client, "owner@example.org")
    sam = add_user(client, owner, "sam@example.org", first="Sam")
    ria = add_user(client, owner, "ria@example.org", first="Ria")

    campaign = make_campaign(
        client,
        owner,
        title="Canvass kickoff",
        initial_message="Hi %ContactFirstName%, it's %SenderFirstName%!",
        follow_up_message="Just checking in.",
        self_assign=True,
        survey_questions=[{"text": "Will you vote?", "answers": ["Yes", "No"]}, {"text": "Notes"}],
        sending_window={"start": "2026-11-01T14:00:00Z", "end": "2026-11-01T23:00:00+00:00"},
    )
    assert campaign["status"] == "draft"
    assert campaign["messages"] == {
        "initial": "Hi %ContactFirstName%, it's %SenderFirstName%!",
        "follow_up": "Just checking in.",
    }
    assert campaign["self_assign"] is True
    assert campaign["sending_window"] == {
        "start": "2026-11-01T14:00:00+00:00",
        "end": "2026-11-01T23:00:00+00:00",
    }
    questions = campaign["survey_questions"]
    assert [q["text"] for q in questions] == ["Will you vote?", "Notes"]
    assert questions[0]["answers"] == ["Yes", "No"] and questions[1]["answers"] == []
    assert all(isinstance(q["id"], int) for q in questions)
    assert campaign["created_at"]
    cid = campaign["id"]

    added = client.post(
        f"/api/campaigns/{cid}/senders", headers=owner.headers, json={"user_ids": [sam.user_id, ria.user_id]}
    )
    assert added.status_code == 200, added.text
    assert sorted(added.json()["added"]) == sorted([sam.user_id, ria.user_id])
    senders = client.get(f"/api/campaigns/{cid}/senders", headers=owner.headers).json()["senders"]
    assert [(s["first_name"], s["id"]) for s in senders] == [("Ria", ria.user_id), ("Sam", sam.user_id)]

    uploaded = client.post(
        f"/api/campaigns/{cid}/contacts",
        headers=owner.headers,
        json=[
            {"first_name": "Ana", "last_name": "Lee", "phone": "(212) 555-0101", "zip": "10001"},
            {"first_name": "Bo", "last_name": "Kim", "phone": "+1 212 555 0102"},
        ],
    )
    assert uploaded.status_code == 200, uploaded.text
    assert uploaded.json()["added"] == 2

    launched = client.patch(f"/api/campaigns/{cid}", headers=owner.headers, json={"status": "active"})
    assert launched.status_code == 200, launched.text
    assert launched.json()["status"] == "active"
    fetched = client.get(f"/api/campaigns/{cid}", headers=owner.headers).json()
    assert fetched["status"] == "active" and fetched["contact_count"] == 2
    assert fetched["survey_questions"] == questions


def test_lifecycle_follows_the_documented_transitions(client: TestClient, database_url: str) -> None:
    make_org(database_url)
    owner = login(client, "owner@example.org")
    cid = make_campaign(client, owner)["id"]

    def patch(status: str) -> tuple[int, str]:
        response = client.patch(f"/api/campaigns/{cid}", headers=owner.headers, json={"status": status})
        body = response.json()
        return response.status_code, body.get("status") or body["error"]["code"]

    assert patch("paused") == (409, "illegal_transition")
    add_contacts(client, owner, cid)
    assert patch("active") == (200, "active")
    assert patch("active") == (200, "active")  # a retried launch is harmless
    assert patch("draft") == (409, "illegal_transition")
    assert patch("paused") == (200, "paused")
    assert patch("active") == (200, "active")
    assert patch("closed") == (200, "closed")
    assert patch("closed") == (200, "closed")
    refused = client.patch(f"/api/campaigns/{cid}", headers=owner.headers, json={"status": "active"})
    assert refused.status_code == 409
    assert "create a new campaign" in refused.json()["error"]["message"]
    edit = client.patch(f"/api/campaigns/{cid}", headers=owner.headers, json={"title": "Renamed"})
    assert edit.status_code == 409
    assert edit.json()["error"]["code"] == "campaign_closed"
    assert patch("archived") == (422, "invalid_status")


def test_draft_can_be_closed_and_a_draft_can_be_edited(client: TestClient, database_url: str) -> None:
    make_org(database_url)
    owner = login(client, "owner@example.org")
    cid = make_campaign(client, owner, follow_up_message="Hello again")["id"]
    edited = client.patch(
        f"/api/campaigns/{cid}",
        headers=owner.headers,
        json={
            "title": "Renamed",
            "follow_up_message": None,
            "sending_window": {"start": "2026-11-01T09:00:00-05:00", "end": "2026-11-01T18:00:00-05:00"},
            "survey_questions": [{"text": "Q1"}],
            "self_assign": True,
        },
    )
    assert edited.status_code == 200, edited.text
    body = edited.json()
    assert body["title"] == "Renamed"
    assert body["follow_up_message"] is None and body["messages"]["follow_up"] is None
    assert body["sending_window"]["start"] == "2026-11-01T14:00:00+00:00"
    assert [q["text"] for q in body["survey_questions"]] == ["Q1"]
    assert body["self_assign"] is True
    cleared = client.patch(f"/api/campaigns/{cid}", headers=owner.headers, json={"sending_window": None})
    assert cleared.json()["sending_window"] is None
    closed = client.patch(f"/api/campaigns/{cid}", headers=owner.headers, json={"status": "closed"})
    assert closed.json()["status"] == "closed"


def test_survey_questions_are_fixed_once_launched(client: TestClient, database_url: str) -> None:
    make_org(database_url)
    owner = login(client, "owner@example.org")
    cid = make_campaign(client, owner, survey_questions=[{"text": "Q1"}])["id"]
    add_contacts(client, owner, cid)
    client.patch(f"/api/campaigns/{cid}", headers=owner.headers, json={"status": "active"})
    response = client.patch(
        f"/api/campaigns/{cid}", headers=owner.headers, json={"survey_questions": [{"text": "Other"}]}
    )
    assert response.status_code == 409
    assert (
        client.get(f"/api/campaigns/{cid}", headers=owner.headers).json()["survey_questions"][0]["text"]
        == "Q1"
    )


def test_campaign_list_shows_sweepers_everything_and_senders_their_own(
    client: TestClient, database_url: str
) -> None:
    make_org(database_url)
    owner = login(client, "owner@example.org")
    mod = add_user(client, owner, "mod@example.org", role="moderator")
    sam = add_user(client, owner, "sam@example.org")
    first = make_campaign(client, owner, title="First")["id"]
    second = make_campaign(client, mod, title="Second")["id"]
    client.post(f"/api/campaigns/{second}/senders", headers=mod.headers, json={"user_ids": [sam.user_id]})

    def titles(who: object) -> list[str]:
        response = client.get("/api/campaigns", headers=who.headers)  # type: ignore[attr-defined]
        assert response.status_code == 200
        return [c["title"] for c in response.json()["campaigns"]]

    assert titles(owner) == ["Second", "First"]
    assert titles(mod) == ["Second", "First"]
    assert titles(sam) == ["Second"]
    assert client.get(f"/api/campaigns/{second}", headers=sam.headers).status_code == 200
    assert client.get(f"/api/campaigns/{first}", headers=sam.headers).status_code == 403


def test_adding_senders_is_idempotent_and_all_or_nothing(client: TestClient, database_url: str) -> None:
    make_org(database_url)
    owner = login(client, "owner@example.org")
    sam = add_user(client, owner, "sam@example.org")
    ria = add_user(client, owner, "ria@example.org", first="Ria")
    make_org(database_url, "Other Org", email="boss@other.example")
    outsider = login(client, "boss@other.example")
    cid = make_campaign(client, owner)["id"]

    first = client.post(
        f"/api/campaigns/{cid}/senders", headers=owner.headers, json={"user_ids": [sam.user_id]}
    )
    assert first.json()["added"] == [sam.user_id]
    again = client.post(
        f"/api/campaigns/{cid}/senders", headers=owner.headers, json={"user_ids": [sam.user_id, sam.user_id]}
    )
    assert again.status_code == 200 and again.json()["added"] == []

    mixed = client.post(
        f"/api/campaigns/{cid}/senders",
        headers=owner.headers,
        json={"user_ids": [ria.user_id, outsider.user_id, 999_999]},
    )
    assert mixed.status_code == 422
    assert mixed.json()["error"]["code"] == "invalid_users"
    assert str(outsider.user_id) in mixed.json()["error"]["message"]
    names = [
        s["first_name"]
        for s in client.get(f"/api/campaigns/{cid}/senders", headers=owner.headers).json()["senders"]
    ]
    assert names == ["Sam"]

    client.patch(f"/api/users/{ria.user_id}", headers=owner.headers, json={"active": False})
    inactive = client.post(
        f"/api/campaigns/{cid}/senders", headers=owner.headers, json={"user_ids": [ria.user_id]}
    )
    assert inactive.status_code == 422


def test_wrong_shapes_get_clear_errors_and_change_nothing(client: TestClient, database_url: str) -> None:
    make_org(database_url)
    owner = login(client, "owner@example.org")
    bad_bodies = [
        {},
        {"title": "x"},
        {"title": "", "initial_message": "hi"},
        {"title": 5, "initial_message": "hi"},
        {"title": "t", "initial_message": "   "},
        {"title": "t", "initial_message": "x" * 1601},
        {"title": "t", "initial_message": "hi", "self_assign": "yes"},
        {"title": "t", "initial_message": "hi", "survey_questions": "Will you vote?"},
        {"title": "t", "initial_message": "hi", "survey_questions": [{"answers": ["a"]}]},
        {"title": "t", "initial_message": "hi", "survey_questions": [{"text": "q", "answers": [1]}]},
        {"title": "t", "initial_message": "hi", "sending_window": {"start": "2026-11-01T10:00:00Z"}},
        {"title": "t", "initial_message": "hi", "sending_window": {"start": "soon", "end": "later"}},
        {
            "title": "t",
            "initial_message": "hi",
            "sending_window": {"start": "2026-11-02T10:00:00Z", "end": "2026-11-01T10:00:00Z"},
        },
        {"title": "t", "initial_message": "hi", "colour": "red"},
    ]
    for body in bad_bodies:
        response = client.post("/api/campaigns", headers=owner.headers, json=body)
        assert response.status_code == 422, (body, response.text)
        assert set(response.json()["error"]) == {"code", "message"}
    assert client.post("/api/campaigns", headers=owner.headers, json=["a"]).status_code == 422
    assert client.get("/api/campaigns", headers=owner.headers).json()["campaigns"] == []

    cid = make_campaign(client, owner)["id"]
    for body in ({}, {"status": 3}, {"bogus": 1}, {"title": None}, {"sending_window": "tonight"}):
        response = client.patch(f"/api/campaigns/{cid}", headers=owner.headers, json=body)
        assert response.status_code == 422, (body, response.text)
    for body in ({}, {"user_ids": []}, {"user_ids": "1"}, {"user_ids": [True]}, {"user_ids": [-1]}):
        response = client.post(f"/api/campaigns/{cid}/senders", headers=owner.headers, json=body)
        assert response.status_code == 422, (body, response.text)
    assert client.get("/api/campaigns/abc", headers=owner.headers).status_code == 404
    assert client.get("/api/campaigns/424242", headers=owner.headers).status_code == 404


def test_text_the_database_cannot_hold_is_refused(client: TestClient, database_url: str) -> None:
    make_org(database_url)
    owner = login(client, "owner@example.org")
    bodies = [
        b'{"title": "Nul\\u0000", "initial_message": "hi"}',
        b'{"title": "t", "initial_message": "broken \\ud800"}',
        b'{"title": "t", "initial_message": "hi",'
        b' "survey_questions": [{"text": "q", "answers": ["\\u0000"]}]}',
    ]
    for body in bodies:
        response = client.post(
            "/api/campaigns", headers={**owner.headers, "content-type": "application/json"}, content=body
        )
        assert response.status_code == 422, (body, response.text)
    renamed = client.patch(
        f"/api/users/{owner.user_id}",
        headers={**owner.headers, "content-type": "application/json"},
        content=b'{"first_name": "\\ud800"}',
    )
    assert renamed.status_code == 422
    assert client.get("/api/campaigns", headers=owner.headers).json()["campaigns"] == []
