"""The kinds of value a request may hold, each able to check a value and describe itself.

Pure: no I/O, no web framework. A kind's ``parse`` takes a decoded JSON value
(or, with ``from_text``, a query-string value) and returns the checked Python
value, or raises :class:`Refused` with a message for a person; the field that
holds the kind turns that into :class:`persistence.rules.errors.InvalidInput` with
its own code. ``schema`` is the kind's JSON Schema (draft 2020-12, as
OpenAPI 3.1 uses), so what is checked and what is described cannot drift.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "INT64_MAX",
    "INT64_MIN",
    "AnyOf",
    "Bool",
    "Choice",
    "DateTime",
    "Int",
    "Kind",
    "ListOf",
    "MapOf",
    "Nullable",
    "Refused",
    "Str",
]

# Every integer the API takes fits a signed 64-bit SQL column; beyond, it is refused here
# rather than overflowing in the database driver (a 500 before).
INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1


class Refused(ValueError):
    """A value that is not of its kind; the message says what was expected."""


class Kind:
    """Base of every kind: a checker and its description."""

    def parse(self, value: Any, where: str) -> Any:
        raise NotImplementedError

    def from_text(self, text: str, where: str) -> Any:
        """Parse a query-string value (always text)."""
        return self.parse(text, where)

    def schema(self) -> dict[str, Any]:
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class Int(Kind):
    minimum: int = INT64_MIN
    maximum: int = INT64_MAX

    def parse(self, value: Any, where: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise Refused(f"'{where}' must be a whole number.")
        if value < self.minimum:
            raise Refused(f"'{where}' must be at least {self.minimum}.")
        if value > self.maximum:
            raise Refused(f"'{where}' must be at most {self.maximum}.")
        return value

    def from_text(self, text: str, where: str) -> int:
        digits = text.removeprefix("-")
        # isdigit alone admits other scripts' digits; int() would accept "1_000" and spaces.
        if not (digits.isascii() and digits.isdigit()) or len(digits) > 19:
            raise Refused(f"'{where}' must be a whole number.")
        return self.parse(int(text), where)

    def schema(self) -> dict[str, Any]:
        return {"type": "integer", "format": "int64", "minimum": self.minimum, "maximum": self.maximum}


@dataclass(frozen=True, slots=True)
class Str(Kind):
    max_len: int = 10_000
    # Blank (empty or only spaces) is refused unless allowed.
    allow_blank: bool = False

    def parse(self, value: Any, where: str) -> str:
        if not isinstance(value, str):
            raise Refused(f"'{where}' must be a string.")
        if not self.allow_blank and not value.strip():
            raise Refused(f"'{where}' must not be empty.")
        if len(value) > self.max_len:
            raise Refused(f"'{where}' is longer than {self.max_len} characters.")
        return value

    def schema(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "string", "maxLength": self.max_len}
        if not self.allow_blank:
            out["pattern"] = r"\S"
        return out


@dataclass(frozen=True, slots=True)
class Bool(Kind):
    def parse(self, value: Any, where: str) -> bool:
        if not isinstance(value, bool):
            raise Refused(f"'{where}' must be true or false.")
        return value

    def from_text(self, text: str, where: str) -> bool:
        if text not in ("true", "false"):
            raise Refused(f"'{where}' must be true or false.")
        return text == "true"

    def schema(self) -> dict[str, Any]:
        return {"type": "boolean"}


@dataclass(frozen=True, slots=True)
class Choice(Kind):
    values: tuple[str, ...]

    def parse(self, value: Any, where: str) -> str:
        if not isinstance(value, str) or value not in self.values:
            raise Refused(f"'{where}' must be one of {', '.join(self.values)}.")
        return value

    def schema(self) -> dict[str, Any]:
        return {"type": "string", "enum": list(self.values)}


@dataclass(frozen=True, slots=True)
class DateTime(Kind):
    """An ISO 8601 datetime; one without an offset is taken as UTC (the API speaks UTC)."""

    def parse(self, value: Any, where: str) -> datetime:
        if not isinstance(value, str) or len(value) > 64:
            raise Refused(f"'{where}' must be an ISO 8601 datetime string.")
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise Refused(f"'{where}' is not an ISO 8601 datetime: {value[:40]!r}.") from None
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)

    def schema(self) -> dict[str, Any]:
        return {"type": "string", "format": "date-time"}


@dataclass(frozen=True, slots=True)
class Nullable(Kind):
    inner: Kind

    def parse(self, value: Any, where: str) -> Any:
        return None if value is None else self.inner.parse(value, where)

    def from_text(self, text: str, where: str) -> Any:
        return self.inner.from_text(text, where)

    def schema(self) -> dict[str, Any]:
        return {"anyOf": [self.inner.schema(), {"type": "null"}]}


@dataclass(frozen=True, slots=True)
class ListOf(Kind):
    item: Kind
    min_items: int = 0
    max_items: int = 10_000
    unique: bool = False

    def parse(self, value: Any, where: str) -> list[Any]:
        if not isinstance(value, list) or not self.min_items <= len(value) <= self.max_items:
            least = "a non-empty list" if self.min_items else "a list"
            raise Refused(f"'{where}' must be {least} of at most {self.max_items} items.")
        items = [self.item.parse(v, f"{where}[{n}]") for n, v in enumerate(value)]
        if self.unique and len({repr(i) for i in items}) != len(items):
            raise Refused(f"'{where}' names the same item twice.")
        return items

    def schema(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "array", "items": self.item.schema(), "maxItems": self.max_items}
        if self.min_items:
            out["minItems"] = self.min_items
        if self.unique:
            out["uniqueItems"] = True
        return out


@dataclass(frozen=True, slots=True)
class MapOf(Kind):
    """An object whose keys are data (e.g. question ids), each value of one kind."""

    value: Kind
    max_keys: int = 1000

    def parse(self, value: Any, where: str) -> dict[str, Any]:
        if not isinstance(value, dict) or len(value) > self.max_keys:
            raise Refused(f"'{where}' must be an object of at most {self.max_keys} keys.")
        return {k: self.value.parse(v, f"{where}.{k}") for k, v in value.items()}

    def schema(self) -> dict[str, Any]:
        return {"type": "object", "additionalProperties": self.value.schema(), "maxProperties": self.max_keys}


@dataclass(frozen=True, slots=True)
class AnyOf(Kind):
    """The first of ``options`` that takes the value; refused with ``message`` when none does."""

    options: Sequence[Kind]
    message: str

    def parse(self, value: Any, where: str) -> Any:
        for option in self.options:
            try:
                return option.parse(value, where)
            except Refused:
                continue
        raise Refused(self.message)

    def from_text(self, text: str, where: str) -> Any:
        for option in self.options:
            try:
                return option.from_text(text, where)
            except Refused:
                continue
        raise Refused(self.message)

    def schema(self) -> dict[str, Any]:
        return {"anyOf": [o.schema() for o in self.options]}
