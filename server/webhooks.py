"""Who signs an organization's webhooks, and checking a request against it.

With a Twilio provider the inbound and status webhooks are signed with the
account's auth token; with the simulator, with the organization's webhook
token (``shiftline create-org --webhook-token``).
"""

from __future__ import annotations

import logging

from starlette.requests import Request

from .credentials import CredentialError, Vault
from .errors import ApiError
from .services import Services
from .signature import valid_signature

__all__ = ["require_signature", "signing_token"]

logger = logging.getLogger("shiftline.http")


def signing_token(svc: Services, kind: str, webhook_token: str | None, encrypted: str | None) -> str | None:
    """The secret this organization's webhooks are signed with (None: no webhook is accepted)."""
    if kind != "twilio":
        return webhook_token
    if not encrypted:
        return None
    try:
        return Vault(svc.secret).decrypt(encrypted)
    except CredentialError:
        logger.error("a Twilio auth token cannot be decrypted; its webhooks are refused")
        return None


def require_signature(
    request: Request, svc: Services, params: list[tuple[str, str]], token: str | None
) -> None:
    """Refuse (403, nothing changed) a request not signed with ``token``."""
    header = request.headers.get("x-twilio-signature")
    if not valid_signature(token, str(request.url), params, header, public_url=svc.settings.public_url):
        raise ApiError(403, "invalid_signature", "The request is not signed by this number's provider.")
