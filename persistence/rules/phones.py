"""Phone numbers in E.164 (pure; uses the ``phonenumbers`` numbering-plan data)."""

from __future__ import annotations

import phonenumbers

__all__ = ["mask_phone", "normalize_phone"]


def normalize_phone(raw: str, default_region: str = "US") -> str | None:
    """The E.164 form of ``raw``, or None when it is not a valid number."""
    text = raw.strip()
    if not text or len(text) > 40:
        return None
    try:
        number = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def mask_phone(phone: str) -> str:
    """Redacted form shown to sweepers when the organization asks: only the last two digits stay."""
    digits = phone.lstrip("+")
    hidden = "*" * max(0, len(digits) - 2) + digits[-2:]
    return ("+" if phone.startswith("+") else "") + hidden
