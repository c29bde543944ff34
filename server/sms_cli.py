"""``shiftline sms inbound``: sign and post an inbound text to a running server, for trying things by hand.

The request is the one the SMS provider would make: a form-encoded webhook to
``{url}/api/sms/inbound`` signed with ``X-Twilio-Signature`` and the secret
the server checks it with (``--token``, or read from the database by the
``--to`` number: the webhook token, or the Twilio auth token of an
organization connected to Twilio). The server's JSON answer is printed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import urllib.error
import urllib.request
from urllib.parse import urlencode

from sqlalchemy import select

from persistence.outbox.outbox import open_database
from persistence.rules.phones import normalize_phone
from persistence.store.models import Organization
from persistence.store.secrets import signing_secret

from .credentials import CredentialError, Vault
from .settings import Settings
from .signature import compute_signature

__all__ = ["add_parser", "run"]


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sms = sub.add_parser("sms", help="try the SMS webhooks of a running server by hand")
    actions = sms.add_subparsers(dest="sms_command", required=True)
    inbound = actions.add_parser("inbound", help="sign and post an inbound text, as the provider would")
    inbound.add_argument("--from", dest="from_", required=True, help="the contact's number")
    inbound.add_argument("--to", required=True, help="the organization's sending number")
    inbound.add_argument("--body", required=True)
    inbound.add_argument("--url", default="http://127.0.0.1:8000", help="the server (default %(default)s)")
    inbound.add_argument("--token", help="the webhook token (default: the organization's, from the database)")
    inbound.add_argument("--sid", help="the MessageSid (default: a new one)")


async def _token_of(settings: Settings, number: str) -> str | None:
    """The secret the server checks this number's webhooks with (as ``server/webhooks.py`` picks it)."""
    db = open_database(settings.database_url)
    try:
        async with db.transaction() as session:
            row = (
                await session.execute(
                    select(
                        Organization.provider_kind,
                        Organization.webhook_token,
                        Organization.twilio_auth_token_encrypted,
                    ).where(Organization.sending_number == number)
                )
            ).one_or_none()
            if row is None:
                return None
            kind, webhook_token, encrypted = row
            if kind != "twilio":
                return webhook_token
            if not encrypted:
                return None
            secret = settings.secret_key or await signing_secret(session)
    finally:
        await db.dispose()
    try:
        return Vault(secret).decrypt(encrypted)
    except CredentialError:
        return None


def run(settings: Settings, args: argparse.Namespace) -> None:
    """Post the text; exit with an error message when the server refuses it or cannot be reached."""
    to = normalize_phone(args.to)
    if to is None:
        raise SystemExit(f"error: --to {args.to!r} is not a valid phone number")
    token = args.token or asyncio.run(_token_of(settings, to))
    if not token:
        raise SystemExit(
            f"error: no organization with a webhook token or Twilio account owns {to}; pass --token"
        )
    url = args.url.rstrip("/") + "/api/sms/inbound"
    params = {
        "From": args.from_,
        "To": to,
        "Body": args.body,
        "MessageSid": args.sid or "SMcli" + secrets.token_hex(14),
        "NumMedia": "0",
    }
    request = urllib.request.Request(
        url,
        data=urlencode(params).encode(),
        headers={
            "content-type": "application/x-www-form-urlencoded",
            "accept": "application/json",
            "x-twilio-signature": compute_signature(token, url, params.items()),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            print(json.dumps(json.loads(response.read()), sort_keys=True))
    except urllib.error.HTTPError as exc:
        raise SystemExit(
            f"error: the server answered {exc.code}: {exc.read().decode(errors='replace')}"
        ) from None
    except OSError as exc:
        raise SystemExit(f"error: cannot reach {url}: {exc}") from None
