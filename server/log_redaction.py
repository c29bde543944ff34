"""No secret in a log line: tokens, passwords and auth tokens are masked before any handler writes.

uvicorn logs every request's path with its query string, and browsers put the
live token in ``/ws?token=…`` (a WebSocket cannot send headers). The filter
rewrites the record's message and arguments in place, keeping the argument
tuple's shape, which uvicorn's access formatter unpacks.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any

__all__ = ["REDACTED", "RedactSecrets", "install", "redact"]

REDACTED = "[redacted]"

_SECRET_NAME = r"[\w.-]*(?:token|password|passwd|secret)[\w.-]*"
_PATTERNS = (
    # ?token=…, &auth_token=…, password=… in a query string or a form body
    re.compile(rf"(?i)(\b{_SECRET_NAME}=)[^&\s\"';]+"),
    # "password": "…" in a JSON text
    re.compile(rf'(?i)("{_SECRET_NAME}"\s*:\s*")(?:[^"\\]|\\.)*'),
    # Authorization: Bearer …
    re.compile(r"(?i)(\bbearer\s+)[\w.~+/=-]+"),
)


def redact(text: str) -> str:
    """``text`` with every secret value replaced by ``[redacted]``."""
    for pattern in _PATTERNS:
        text = pattern.sub(rf"\g<1>{REDACTED}", text)
    return text


def _clean(value: Any) -> Any:
    return redact(value) if isinstance(value, str) else value


class RedactSecrets(logging.Filter):
    """A handler filter that masks secrets in a record; it never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_clean(arg) for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: _clean(arg) for key, arg in record.args.items()}
        return True


def install(logger_names: Iterable[str] = ("", "uvicorn", "uvicorn.error", "uvicorn.access")) -> None:
    """Put the filter on every handler of these loggers (root: ``""``). Idempotent.

    On handlers, not loggers: a logger's filters miss the records its
    children propagate to it.
    """
    for name in logger_names:
        for handler in logging.getLogger(name).handlers:
            if not any(isinstance(f, RedactSecrets) for f in handler.filters):
                handler.addFilter(RedactSecrets())
