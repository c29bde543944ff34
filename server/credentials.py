"""The SMS provider's secrets, encrypted at rest with a key derived from the server's secret.

Fernet (AES-128-CBC with HMAC-SHA256) under a key that HKDF-SHA256 derives
from the server's secret with its own label, so the token-signing secret is
never used as a cipher key itself. A database copied without that secret
holds no usable auth token.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = ["CredentialError", "Vault"]

_LABEL = b"shiftline provider credentials v1"


class CredentialError(Exception):
    """A stored secret cannot be read with this server's secret (it was changed)."""


class Vault:
    """Encrypts and decrypts provider secrets for one server secret."""

    def __init__(self, server_secret: str) -> None:
        if not server_secret:
            raise ValueError("the server secret is empty")
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_LABEL).derive(
            server_secret.encode("utf-8")
        )
        self._fernet = Fernet(base64.urlsafe_b64encode(key))

    def encrypt(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode("utf-8")).decode("ascii")

    def decrypt(self, stored: str) -> str:
        try:
            return self._fernet.decrypt(stored.encode("ascii")).decode("utf-8")
        except (InvalidToken, ValueError):
            raise CredentialError(
                "The provider's auth token cannot be decrypted: SHIFTLINE_SECRET_KEY changed. "
                "Enter the auth token again (PATCH /api/organization)."
            ) from None

    def __repr__(self) -> str:
        return "Vault(<secret>)"
