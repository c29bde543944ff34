"""A paging cursor as a request kind: opaque text the server wrote, read back by its rule.

The rule that writes a list's cursors (e.g.
:mod:`persistence.rules.inbox_cursor`) also reads them; this kind runs that
reader while the request is parsed, so a cursor that was not written for
the list is refused before any query, like any other bad value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .kinds import Kind, Refused

__all__ = ["Cursor"]


@dataclass(frozen=True, slots=True)
class Cursor(Kind):
    decode: Callable[[str], Any]
    max_len: int = 500

    def parse(self, value: Any, where: str) -> Any:
        if not isinstance(value, str) or not value or len(value) > self.max_len:
            raise Refused(f"'{where}' is not a cursor of this list; start again without it.")
        try:
            return self.decode(value)
        except ValueError:
            raise Refused(f"'{where}' is not a cursor of this list; start again without it.") from None

    def schema(self) -> dict[str, Any]:
        return {"type": "string", "maxLength": self.max_len}
