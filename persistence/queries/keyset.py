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
from typing import Any, Literal, NamedTuple

from sqlalchemy import Select, and_, case, literal, or_, select, tuple_, union_all
from sqlalchemy.sql.elements import ColumnElement, Label

from persistence.outbox.notify import iso
from persistence.rules.errors import InvalidInput
from persistence.rules.text import storable
from persistence.store.list_keys import Keys
from persistence.store.types import IdType

__all__ = [
    "Key",
    "Kind",
    "Range",
    "after",
    "columns",
    "decode",
    "encode",
    "last_key_after",
    "merge",
    "order_by",
    "ranges",
    "runs",
    "seeks",
    "typed",
]

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


class Range(NamedTuple):
    """A part of a page to read by itself: its condition, and its ORDER BY.

    The ORDER BY names only the keys the range does not hold equal to the
    cursor's: SQLite sorts an expression index's rows when it names one more.
    """

    where: list[ColumnElement[bool]]
    order: list[ColumnElement[Any]]


def runs(keys: list[Key]) -> list[tuple[int, int]]:
    """The keys' runs of one direction, as (start, end) slices, in order."""
    found: list[tuple[int, int]] = []
    for i, (_expr, desc, _kind) in enumerate(keys):
        if found and keys[found[-1][0]][1] == desc:
            found[-1] = (found[-1][0], i + 1)
        else:
            found.append((i, i + 1))
    return found


def seeks(keys: list[Key], values: list[Any]) -> list[tuple[int, ColumnElement[bool]]]:
    """The rows strictly after ``values``, as disjoint ranges in the keys' order, each one index seek.

    Each range is (the first key it is not held equal on, its condition). Keys
    of one direction are one range: a row value bound. Keys of mixed
    directions (waiting first, then the most recent) are cut into runs of one
    direction each; a range is then "equal to the cursor on the runs before
    this one, past it on this one", and the ranges follow each other in the
    list's order from the last run's to the first's. An index on the keys (in
    their directions) seeks to each range's start, where one bound on all the
    keys would only seek on the first run and then pass every row tied with
    the cursor on it.
    """
    found: list[tuple[int, ColumnElement[bool]]] = []
    for start, end in reversed(runs(keys)):
        equal = [keys[j][0] == values[j] for j in range(start)]
        run, bound, desc = [k[0] for k in keys[start:end]], values[start:end], keys[start][1]
        left, right = (run[0], bound[0]) if len(run) == 1 else (tuple_(*run), tuple_(*bound))
        found.append((start, and_(*equal, left < right if desc else left > right)))
    return found


def ranges(keys: list[Key], values: list[Any] | None) -> list[Range]:
    """The ranges a page after ``values`` reads, in order: ``seeks``, or every row in one without a cursor."""
    exprs = [expr for expr, _d, _k in keys]
    if values is None:
        return [Range([], order_by(exprs, keys))]
    return [Range([bound], order_by(exprs[start:], keys[start:])) for start, bound in seeks(keys, values)]


def after(keys: list[Key], values: list[Any]) -> ColumnElement[bool]:
    """Rows strictly after ``values`` in the keys' order, as one condition (the ranges of ``seeks``)."""
    return or_(*(bound for _start, bound in seeks(keys, values)))


def merge(parts: list[Select[Any]], keys: list[Key], limit: int) -> Select[Any]:
    """The first ``limit + 1`` rows of ``parts`` (each a page's ids and key columns) in the keys' order.

    Each part is read in order and cut at its own LIMIT, so only their rows are sorted.
    """
    if len(parts) == 1:
        return parts[0]
    # Each part in a subquery of its own: SQLite takes no ORDER BY or LIMIT in a UNION's arms.
    merged = union_all(*(select(*p.subquery(f"part{i}").c) for i, p in enumerate(parts))).subquery("merged")
    ordered = [merged.c[f"k{i}"] for i in range(len(keys))]
    return select(merged.c.picked_id, *ordered).order_by(*order_by(ordered, keys)).limit(limit + 1)


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
