"""Building a campaign for a browser story through the public HTTP API of a running server."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from .accounts import PASSWORD, make_org

__all__ = ["ORG_NUMBER", "WEBHOOK_TOKEN", "World", "build_world", "signed_inbound", "signed_status"]

ORG_NUMBER = "+15005550006"
WEBHOOK_TOKEN = "webhook-token-for-tests"


@dataclass
class World:
    base_url: str
    owner_token: str
    campaign_id: int
    senders: dict[str, int] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    contacts: list[dict[str, str]] = field(default_factory=list)

    def api(self, method: str, path: str, token: str | None = None, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {token or self.owner_token}"}
        response = httpx.request(method, self.base_url + path, headers=headers, timeout=10, **kwargs)
        assert response.is_success, f"{method} {path}: {response.status_code} {response.text}"
        return response.json() if response.content else None


def _login(base_url: str, email: str) -> tuple[int, str]:
    response = httpx.post(f"{base_url}/api/login", json={"email": email, "password": PASSWORD}, timeout=10)
    assert response.status_code == 200, response.text
    body = response.json()
    return int(body["user"]["id"]), str(body["token"])


def build_world(
    base_url: str,
    database_url: str,
    *,
    senders: dict[str, str],
    contacts: int = 6,
    assign: dict[str, int] | None = None,
    self_assign: bool = False,
    follow_up: str | None = None,
) -> World:
    """An organization with a number, senders (email -> "First Last"), an active campaign.

    ``assign`` moves that many conversations from the Unassigned pool to each sender (by email).
    """
    make_org(database_url, number=ORG_NUMBER, webhook_token=WEBHOOK_TOKEN)
    _, owner_token = _login(base_url, "owner@example.org")
    world = World(base_url, owner_token, 0)
    for email, name in senders.items():
        first, _, last = name.partition(" ")
        body = {
            "email": email,
            "password": PASSWORD,
            "first_name": first,
            "last_name": last,
            "role": "sender",
        }
        world.senders[email] = int(world.api("POST", "/api/users", json=body)["id"])
        world.tokens[email] = _login(base_url, email)[1]
    campaign = world.api(
        "POST",
        "/api/campaigns",
        json={
            "title": "Get Out The Vote",
            "initial_message": "Hi %ContactFirstName%, it's %SenderFirstName%. Can we count on your vote?",
            "survey_questions": [{"text": "Will you vote?", "answers": ["Yes", "No", "Maybe"]}],
            "self_assign": self_assign,
            "follow_up_message": follow_up,
        },
    )
    world.campaign_id = cid = int(campaign["id"])
    world.api("POST", f"/api/campaigns/{cid}/senders", json={"user_ids": list(world.senders.values())})
    names = ["Ada", "Ben", "Cleo", "Dev", "Eli", "Fay", "Gus", "Hana", "Ivo", "Jo", "Kai", "Lu"]
    world.contacts = [
        {"first_name": names[i % len(names)], "last_name": f"Contact{i}", "phone": f"+1415555{1000 + i:04d}"}
        for i in range(contacts)
    ]
    world.api("POST", f"/api/campaigns/{cid}/contacts", json=world.contacts)
    world.api(
        "POST",
        f"/api/campaigns/{cid}/replies",
        json={"title": "Polling place", "body": "Find your polling place at vote.example.org"},
    )
    world.api("PATCH", f"/api/campaigns/{cid}", json={"status": "active"})
    for email, count in (assign or {}).items():
        world.api(
            "POST",
            f"/api/campaigns/{cid}/reassign",
            json={"action": "reassign_some", "from": None, "count": count, "to": [world.senders[email]]},
        )
    return world


def _signature(token: str, url: str, params: dict[str, str]) -> str:
    payload = url + "".join(k + v for k, v in sorted(params.items()))
    digest = hmac.new(token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def signed_inbound(
    base_url: str, from_phone: str, body: str, sid: str, media: Sequence[tuple[str, str]] = ()
) -> httpx.Response:
    """A contact's text, as the SMS provider would post it, signed with the org's webhook token.

    ``media``: (URL, content type) of each picture or video it carries (an MMS).
    """
    url = f"{base_url}/api/sms/inbound"
    params = {
        "From": from_phone,
        "To": ORG_NUMBER,
        "Body": body,
        "MessageSid": sid,
        "NumMedia": str(len(media)),
    }
    for n, (media_url, content_type) in enumerate(media):
        params[f"MediaUrl{n}"] = media_url
        params[f"MediaContentType{n}"] = content_type
    headers = {"X-Twilio-Signature": _signature(WEBHOOK_TOKEN, url, params)}
    return httpx.post(url, data=params, headers=headers, timeout=10)


def signed_status(base_url: str, to_phone: str, sid: str, status: str, error_code: str) -> httpx.Response:
    """A delivery receipt for the text ``sid``, as the provider would post it, signed like an inbound text."""
    url = f"{base_url}/api/sms/status"
    params = {
        "MessageSid": sid,
        "MessageStatus": status,
        "ErrorCode": error_code,
        "From": ORG_NUMBER,
        "To": to_phone,
    }
    headers = {"X-Twilio-Signature": _signature(WEBHOOK_TOKEN, url, params)}
    return httpx.post(url, data=params, headers=headers, timeout=10)
