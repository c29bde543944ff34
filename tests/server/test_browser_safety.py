"""What a webhook or a page could smuggle into a browser: no script URL, no inline script, no sniffing."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlencode

import pytest
from starlette.testclient import TestClient

from persistence.commands.inbound import safe_media_urls
from server.pages import TEMPLATES_DIR
from server.signature import compute_signature
from tests.support.worlds.accounts import login
from tests.support.worlds.messaging import NUMBER, TOKEN, build_sync

URL = "http://testserver/api/sms/inbound"
HOSTILE_MEDIA = [
    "javascript:alert(document.cookie)",
    "  JavaScript:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "ftp://files.example/1.jpg",
    "//evil.example/1.jpg",
    "http://[::1",
]


def _inbound(client: TestClient, params: dict[str, str]) -> int:
    signature = compute_signature(TOKEN, URL, params.items())
    response = client.post(
        "/api/sms/inbound",
        content=urlencode(params),
        headers={"content-type": "application/x-www-form-urlencoded", "x-twilio-signature": signature},
    )
    return response.status_code


def test_only_http_and_https_media_urls_of_a_signed_webhook_are_kept(
    client: TestClient, database_url: str
) -> None:
    world = build_sync(database_url, assign=["Sam", None, None, None, None, None])
    sam = login(client, "sam@example.org")
    client.post(f"/api/conversations/{world.conversations[0]}/messages", headers=sam.headers, json={})
    media = [*HOSTILE_MEDIA, "https://media.example/1.jpg", "HTTP://media.example/2.png"]
    params = {"From": world.phones[0], "To": NUMBER, "Body": "pic", "MessageSid": "SM1"}
    params |= {"NumMedia": str(len(media))} | {f"MediaUrl{i}": url for i, url in enumerate(media)}
    assert _inbound(client, params) == 200
    view = client.get(f"/api/conversations/{world.conversations[0]}", headers=sam.headers).json()
    assert view["messages"][-1]["media_urls"] == ["https://media.example/1.jpg", "HTTP://media.example/2.png"]


def test_an_unmatched_text_keeps_only_http_and_https_media_too(client: TestClient, database_url: str) -> None:
    build_sync(database_url, assign=[None] * 6)
    owner = login(client, "owner@example.org")
    params = {"From": "+14155550199", "To": NUMBER, "Body": "hi", "MessageSid": "SM2"}
    params |= {"MediaUrl0": "javascript:alert(1)", "MediaUrl1": "https://media.example/3.jpg"}
    assert _inbound(client, params) == 200
    unmatched = client.get("/api/sms/unmatched", headers=owner.headers)
    assert unmatched.status_code == 200, unmatched.text
    assert [row["media_urls"] for row in unmatched.json()["unmatched"]] == [["https://media.example/3.jpg"]]


def test_the_media_rule_keeps_web_addresses_only() -> None:
    assert safe_media_urls(HOSTILE_MEDIA) == []
    assert safe_media_urls([" https://m.example/a.jpg "]) == ["https://m.example/a.jpg"]


@pytest.mark.parametrize(
    "path", ["/login", "/campaigns", "/campaigns/1", "/send/1", "/static/js/api.js", "/api/users", "/nowhere"]
)
def test_every_response_forbids_inline_script_and_sniffing(client: TestClient, path: str) -> None:
    response = client.get(path, follow_redirects=False)
    assert response.headers["x-content-type-options"] == "nosniff"
    policy = dict(
        part.strip().split(" ", 1) for part in response.headers["content-security-policy"].split(";")
    )
    assert policy["script-src"] == "'self'" and policy["object-src"] == "'none'"
    assert "unsafe-inline" not in response.headers["content-security-policy"]


class _InlineFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        self.found += [f"<{tag} {name}>" for name in names if name.startswith("on") or name == "style"]
        self.found += [f"<{tag} {k}={v}>" for k, v in names.items() if (v or "").startswith("javascript:")]
        if tag == "style":
            self.found.append("<style>")
        # A JSON data block (the page config) is never executed: the policy lets it be.
        if tag == "script" and names.get("type") != "application/json":
            self._in_script = True
            if not names.get("src"):
                self.found.append("<script> without src")

    def handle_endtag(self, tag: str) -> None:
        self._in_script = self._in_script and tag != "script"

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.found.append("inline script")


def test_the_pages_hold_no_inline_script_the_policy_would_block() -> None:
    templates = sorted(TEMPLATES_DIR.glob("*.html"))
    assert templates
    for template in templates:
        finder = _InlineFinder()
        finder.feed(template.read_text())
        assert finder.found == [], template.name
