"""Keyset paging of the conversation lists: the keys a page is ordered by, its cursors, its seek.

A cursor holds the last row's key values and the list's signature; the next
page is every row strictly after them in the keys' order. The comparisons are
written so an index on the keys seeks to the cursor instead of reading every
earlier row.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import and_, case, literal, or_, tuple_
from sqlalchemy.sql.elements import ColumnElement, Label

from persistence.outbox.notify import iso
from persistence.rules.errors import InvalidInput
from persistence.rules.text import storable
from persistence.store.list_keys import Keys
from persistence.store.types import IdType

__all__ = ["Key", "Kind", "after", "columns", "decode", "encode", "last_key_after", "order_by", "typed"]

Kind = Literal["int", "dt", "str"]
Key = tuple[ColumnElement[Any], bool, Kind]  # expression, descending, kind

# Beyond every id: the bound of "every row" for a seek on the id alone.
_LOWEST, _HIGHEST = -(2**63), 2**63 - 1


def typed(keys: Keys, kinds: str) -> list[Key]:
    """``keys`` with the kind of each value (``i``nt, ``d``atetime, ``s``tring), for the cursor."""
    kind_of: dict[str, Kind] = {"i": "int", "d": "dt", "s": "str"}
    return [(expr, desc, kind_of[k]) for (expr, desc), k in zip(keys, kinds, strict=True)]


def columns(keys: list[Key]) -> list[Label[Any]]:
    """A page's key columns, ``k0``, ``k1``...: what its rows are ordered by and its cursor holds."""
    return [expr.label(f"k{i}") for i, (expr, _d, _k) in enumerate(keys)]


def order_by(exprs: list[Any], keys: list[Key]) -> list[ColumnElement[Any]]:
    """``exprs`` (the keys or columns standing for them) in the keys' directions, for ORDER BY."""
    return [e.desc() if desc else e.asc() for e, (_x, desc, _k) in zip(exprs, keys, strict=True)]


def encode(signature: str, values: list[Any]) -> str:
    plain = [iso(v) if isinstance(v, datetime) else v for v in values]
    raw = json.dumps({"s": signature, "v": plain}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str, signature: str, keys: list[Key]) -> list[Any]:
    bad = InvalidInput(
        "The cursor is not valid for this list; start again without it.", code="invalid_cursor"
    )
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        values = data["v"]
        if data["s"] != signature or not isinstance(values, list) or len(values) != len(keys):
            raise bad
        out: list[Any] = []
        for value, (_expr, _desc, kind) in zip(values, keys, strict=True):
            if kind == "dt":
                moment = datetime.fromisoformat(value)
                if moment.tzinfo is None:
                    raise bad
                out.append(moment)
            elif kind == "int":
                if isinstance(value, bool) or not isinstance(value, int) or not _LOWEST <= value <= _HIGHEST:
                    raise bad
                out.append(value)
            else:
                if not isinstance(value, str) or not storable(value):
                    raise bad
                out.append(value)
        return out
    except (ValueError, TypeError, KeyError, binascii.Error, UnicodeDecodeError):
        raise bad from None


def after(keys: list[Key], values: list[Any]) -> ColumnElement[bool]:
    """Rows strictly after ``values`` in the keys' order (mixed directions allowed).

    The leading keys that share a direction are also bounded as one row value,
    which an index on them seeks to instead of reading every earlier row.
    """
    clauses: list[ColumnElement[bool]] = []
    for i, (expr, desc, _kind) in enumerate(keys):
        equal = [keys[j][0] == values[j] for j in range(i)]
        step = expr < values[i] if desc else expr > values[i]
        clauses.append(and_(*equal, step))
    first = keys[0][1]
    same = 1
    while same < len(keys) and keys[same][1] == first:
        same += 1
    if same == len(keys):
        left, right = tuple_(*(k[0] for k in keys)), tuple_(*values)
        return left < right if first else left > right
    prefix, bound = tuple_(*(k[0] for k in keys[:same])), tuple_(*values[:same])
    return and_(prefix <= bound if first else prefix >= bound, or_(*clauses))


def last_key_after(keys: list[Key], values: list[Any]) -> ColumnElement[bool]:
    """``after``, for rows whose keys but the last are constants (no column in them).

    Written as a bound on the last key alone, ``last > CASE ... END``: every
    row when the constants come after the cursor, the rows past its last value
    when they equal the cursor's, none (NULL) otherwise. The CASE is the same
    for every row, so an index on the last key seeks to it.
    """
    prefix, (last, desc, _kind) = keys[:-1], keys[-1]
    if not prefix:
        return after(keys, values)
    past = after(prefix, values[:-1])
    level = and_(*(expr == value for (expr, _d, _k), value in zip(prefix, values, strict=False)))
    edge = literal(_HIGHEST if desc else _LOWEST, IdType)
    bound = case((past, edge), (level, literal(values[-1], IdType)), else_=None)
    return last < bound if desc else last > bound
