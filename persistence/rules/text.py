"""What text the database can store (pure).

PostgreSQL's ``text`` holds neither NUL characters nor lone surrogates (what
JSON's ``"\\ud800"`` decodes to), and ``jsonb`` refuses the escape ``\\u0000``.
Such input would fail a whole transaction with a driver error, so every
command checks it first and refuses it with a clear message.
"""

from __future__ import annotations

from persistence.rules.errors import InvalidInput

__all__ = ["json_storable", "require_storable", "storable"]


def storable(*texts: str) -> bool:
    """Whether every one of ``texts`` can be stored."""
    for text in texts:
        if "\x00" in text:
            return False
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return False
    return True


def json_storable(serialized: str) -> bool:
    """Whether serialized JSON can go into a ``jsonb`` column."""
    return "\\u0000" not in serialized and storable(serialized)


def require_storable(field: str, value: str) -> str:
    """``value``, or InvalidInput naming ``field``."""
    if not storable(value):
        raise InvalidInput(
            f"'{field}' contains characters that cannot be stored (NUL or broken Unicode).",
            code="invalid_text",
        )
    return value
