"""The inbound webhook's request signature, as the common SMS providers compute it (pure).

``X-Twilio-Signature`` is the base64 HMAC-SHA1, keyed with the organization's
webhook token, of the full URL followed by every form parameter sorted by
name, each as name then value, with no separators.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping

__all__ = ["sign_webhook"]


def sign_webhook(url: str, params: Mapping[str, str], token: str) -> str:
    """The signature header value for a form POST of ``params`` to ``url``."""
    payload = url + "".join(name + params[name] for name in sorted(params))
    digest = hmac.new(token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")
