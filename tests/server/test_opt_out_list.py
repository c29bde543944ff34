"""An admin keeps the organization's opt-out list: search, add, remove, upload a file, download it."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.support.worlds.accounts import login
from tests.support.worlds.messaging import build_sync


def test_an_admin_opts_numbers_out_and_back_in_and_every_campaign_follows(
    client: TestClient, database_url: str
) -> None:
    world = build_sync(database_url, assign=["Sam"] * 6)
    owner = login(client, "owner@example.org")
    phone = world.phones[0]
    national = phone.removeprefix("+1")

    added = client.post(
        "/api/opt-outs",
        headers=owner.headers,
        json={"phone": f"({national[:3]}) {national[3:6]}-{national[6:]}"},
    )
    assert added.status_code == 201, added.text
    assert added.json()["phone"] == phone and added.json()["source"] == "manual"
    assert (
        client.post("/api/opt-outs", headers=owner.headers, json={"phone": phone}).status_code == 201
    )  # again: harmless
    overview = client.get(
        f"/api/campaigns/{world.campaign_id}/conversations?tab=opt_outs", headers=owner.headers
    )
    assert [row["contact"]["phone"] for row in overview.json()["conversations"]] == [phone]

    listed = client.get("/api/opt-outs", headers=owner.headers, params={"search": national[-4:]}).json()
    assert [r["phone"] for r in listed["opt_outs"]] == [phone] and listed["total"] == 1
    assert (
        client.get("/api/opt-outs", headers=owner.headers, params={"search": "999999"}).json()["total"] == 0
    )

    assert client.delete(f"/api/opt-outs/{phone}", headers=owner.headers).status_code == 204
    assert client.get("/api/opt-outs", headers=owner.headers).json()["opt_outs"] == []
    assert client.delete(f"/api/opt-outs/{phone}", headers=owner.headers).status_code == 404
    overview = client.get(
        f"/api/campaigns/{world.campaign_id}/conversations?tab=opt_outs", headers=owner.headers
    )
    assert overview.json()["conversations"] == []


def test_a_file_of_numbers_is_opted_out_at_once_and_the_list_downloads(
    client: TestClient, database_url: str
) -> None:
    build_sync(database_url, assign=["Sam"] * 6)
    owner = login(client, "owner@example.org")
    client.post("/api/opt-outs", headers=owner.headers, json={"phone": "+12125550100"})
    rows = (
        "name,phone\nAna,+12125550100\nBo,212 555 0101\nCy,not a number\nDi,(212) 555-0102\nBo,2125550101\n"
    )
    uploaded = client.post(
        "/api/opt-outs/upload", headers=owner.headers, files={"file": ("stop.csv", rows.encode(), "text/csv")}
    )
    assert uploaded.status_code == 200, uploaded.text
    body = uploaded.json()
    assert (body["added"], body["already"], body["invalid"]) == (2, 1, 1)
    assert body["problems"] == [{"row": 4, "reason": "invalid phone number 'not a number'"}]
    # A raw CSV body without a header works too: the first column is the phone.
    raw = client.post(
        "/api/opt-outs/upload",
        headers={**owner.headers, "content-type": "text/csv"},
        content=b"+12125550103\n+12125550104\n",
    )
    assert raw.json()["added"] == 2

    page = client.get("/api/opt-outs", headers=owner.headers, params={"limit": 2}).json()
    assert [r["phone"] for r in page["opt_outs"]] == ["+12125550100", "+12125550101"] and page["total"] == 5
    rest = client.get(
        "/api/opt-outs", headers=owner.headers, params={"limit": 2, "after": page["next"]}
    ).json()
    assert [r["phone"] for r in rest["opt_outs"]] == ["+12125550102", "+12125550103"]

    download = client.get("/api/opt-outs.csv", headers=owner.headers)
    assert download.status_code == 200 and download.headers["content-type"].startswith("text/csv")
    lines = download.text.splitlines()
    assert lines[0] == "phone,source,created_at"
    assert [line.split(",")[0] for line in lines[1:]] == [
        "+12125550100",
        "+12125550101",
        "+12125550102",
        "+12125550103",
        "+12125550104",
    ]


def test_only_admins_keep_the_list_and_bad_input_changes_nothing(
    client: TestClient, database_url: str
) -> None:
    build_sync(database_url, assign=["Sam"] * 6)
    build_sync(database_url, name="Rivals", domain="rival.org", number="+15005550007")
    owner = login(client, "owner@example.org")
    sam = login(client, "sam@example.org")
    rival = login(client, "owner@rival.org")
    client.post("/api/opt-outs", headers=owner.headers, json={"phone": "+12125550100"})
    assert client.get("/api/opt-outs", headers=sam.headers).status_code == 403
    assert (
        client.post("/api/opt-outs", headers=sam.headers, json={"phone": "+12125550101"}).status_code == 403
    )
    assert client.get("/api/opt-outs.csv", headers=sam.headers).status_code == 403
    assert (
        client.get("/api/opt-outs", headers=rival.headers).json()["total"] == 0
    )  # each organization its own
    assert client.delete("/api/opt-outs/+12125550100", headers=rival.headers).status_code == 404
    bad = client.post("/api/opt-outs", headers=owner.headers, json={"phone": "12"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_phone"
    assert (
        client.post(
            "/api/opt-outs", headers=owner.headers, json={"phone": "+12125550101", "x": 1}
        ).status_code
        == 422
    )
    assert client.get("/api/opt-outs", headers=owner.headers, params={"limit": 0}).status_code == 422
    wrong = client.post("/api/opt-outs/upload", headers=owner.headers, json=["+12125550101"])
    assert wrong.status_code == 422
    assert [r["phone"] for r in client.get("/api/opt-outs", headers=owner.headers).json()["opt_outs"]] == [
        "+12125550100"
    ]
