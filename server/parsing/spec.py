"""Request definitions: a frozen dataclass per body or query, its fields declared with :func:`param`.

One declaration serves twice: :func:`parse_object` / :func:`parse_query` turn a
request into the typed dataclass (or raise :class:`InvalidInput`), and
:func:`object_schema` / :func:`query_parameters` describe it in the OpenAPI
document. Unknown keys in a body are refused (``unknown_field``, naming them):
a typo must never widen a bulk move or change the scope of a write.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any, ClassVar, Final, Protocol, TypeVar

from persistence.rules.errors import InvalidInput

from .kinds import Kind, Refused

__all__ = [
    "ABSENT",
    "Absent",
    "Nested",
    "Spec",
    "object_schema",
    "param",
    "parse_object",
    "parse_query",
    "query_parameters",
]


class Absent(Enum):
    """A key left out of the body, where that means something else than null."""

    ABSENT = "absent"


ABSENT: Final = Absent.ABSENT


class Spec(Protocol):
    """Any dataclass (a request definition)."""

    __dataclass_fields__: ClassVar[dict[str, dataclasses.Field[Any]]]


S = TypeVar("S", bound=Spec)


@dataclass(frozen=True, slots=True)
class _Param:
    kind: Kind
    key: str | None
    required: bool
    code: str
    description: str


def param(
    kind: Kind,
    *,
    key: str | None = None,
    required: bool = False,
    default: Any = None,
    code: str = "invalid_input",
    description: str = "",
) -> Any:
    """A field of a request definition (declare the dataclass ``kw_only``).

    Args:
        key: the JSON key, when it is not a Python name (``from``).
        default: the value when the key is left out (``ABSENT`` to tell it from null).
        code: the error code when the value is refused (the default ``invalid_input``).
    """
    meta = {"param": _Param(kind, key, required, code, description)}
    if required:
        return dataclasses.field(metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


def _params(cls: type[Spec]) -> list[tuple[str, str, _Param]]:
    return [(f.name, f.metadata["param"].key or f.name, f.metadata["param"]) for f in dataclasses.fields(cls)]


def parse_object(cls: type[S], raw: Any, where: str = "") -> S:
    """Check ``raw`` (decoded JSON) against ``cls`` and build it.

    Raises:
        InvalidInput: not an object, an unknown key (``unknown_field``), a
            missing required key or a refused value (the field's code).
    """
    label = f"'{where}'" if where else "The request body"
    if not isinstance(raw, Mapping):
        raise InvalidInput(f"{label} must be a JSON object.")
    params = _params(cls)
    unknown = sorted(set(raw) - {key for _name, key, _p in params})
    if unknown:
        names = ", ".join(repr(k[:100]) for k in unknown[:20])
        raise InvalidInput(f"{label} has unknown field(s): {names}.", code="unknown_field", details=unknown)
    values: dict[str, Any] = {}
    for name, key, p in params:
        path = f"{where}.{key}" if where else key
        if key not in raw:
            if p.required:
                raise InvalidInput(f"'{path}' is required.", code=p.code)
            continue
        try:
            values[name] = p.kind.parse(raw[key], path)
        except Refused as exc:
            raise InvalidInput(str(exc), code=p.code) from None
    return cls(**values)


def parse_query(cls: type[S], query: Mapping[str, str]) -> S:
    """Build ``cls`` from a query string; empty values count as left out, unknown names are ignored."""
    values: dict[str, Any] = {}
    for name, key, p in _params(cls):
        text = query.get(key)
        if text is None or text == "":
            if p.required:
                raise InvalidInput(f"Query parameter '{key}' is required.", code=p.code)
            continue
        try:
            values[name] = p.kind.from_text(text, key)
        except Refused as exc:
            raise InvalidInput(f"Query parameter {exc}", code=p.code) from None
    return cls(**values)


@dataclass(frozen=True, slots=True)
class Nested(Kind):
    """A JSON object inside a body, declared by its own definition."""

    spec: type[Spec]

    def parse(self, value: Any, where: str) -> Any:
        # Its own errors (unknown keys included) keep their codes.
        return parse_object(self.spec, value, where)

    def schema(self) -> dict[str, Any]:
        return object_schema(self.spec)


def object_schema(cls: type[Spec]) -> dict[str, Any]:
    """The JSON Schema of a body definition: closed, with its required keys."""
    properties: dict[str, Any] = {}
    required: list[str] = []
    for _name, key, p in _params(cls):
        prop = p.kind.schema()
        if p.description:
            prop = {**prop, "description": p.description}
        properties[key] = prop
        if p.required:
            required.append(key)
    out: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        out["required"] = required
    if cls.__doc__:
        out["description"] = cls.__doc__.strip().splitlines()[0]
    return out


def query_parameters(cls: type[Spec]) -> list[dict[str, Any]]:
    """OpenAPI parameter objects for a query definition."""
    out = []
    for _name, key, p in _params(cls):
        item: dict[str, Any] = {"name": key, "in": "query", "required": p.required, "schema": p.kind.schema()}
        if p.description:
            item["description"] = p.description
        out.append(item)
    return out
