"""The whole campaign's list with no tab, read as the ordered merge of its parts.

That list holds every conversation but the ones texted and never answered
(``list_keys.listed``), freshly uploaded ones included, so an index of it in
the needs-reply or recent order would be written for every uploaded row.
Its rows fall instead into four disjoint parts, each read in the list's order:

- the Responses tab and the Opt Outs tab, from their indexes (after a cursor,
  each in the ranges of ``keyset.seeks``);
- the fresh rows (never texted, as uploaded), by primary key: their keys are
  the same but for the id (``list_keys.FreshRow``), so id order is their order;
- the untexted rows that are not fresh (none, as the app writes), from their
  partial index, sorted: there are too few to matter.

Each part gives its first ``limit + 1`` rows after the cursor, and the page is
the first ``limit + 1`` of those: the very rows, in the very order, of the
single query over the whole campaign, sorting at most four pages' rows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Select, select

from persistence.store.list_keys import FreshRow, Keys, fresh, opted_out, responses, touched
from persistence.store.models import Conversation

from .keyset import columns, last_key_after, merge, ranges, typed

__all__ = ["untabbed_page"]


def untabbed_page(
    campaign_id: int, keys_of: Callable[[Any], Keys], kinds: str, values: list[Any] | None, limit: int
) -> Select[Any]:
    """The SELECT of a page's ids and keys (``limit + 1`` rows) in ``keys_of``'s order, after ``values``.

    ``keys_of`` must end on the conversation's id, as every list order does.
    """
    c = Conversation
    keys = typed(keys_of(c), kinds)
    picked = [c.id.label("picked_id"), *columns(keys)]
    where = [c.campaign_id == campaign_id, c.archived.is_(False)]
    parts = [
        select(*picked).where(*where, part, *r.where).order_by(*r.order).limit(limit + 1)
        for part in (responses(c), opted_out(c), touched(c))
        for r in ranges(keys, values)
    ]
    last, desc, _kind = keys[-1]
    seek = [last_key_after(typed(keys_of(FreshRow(c)), kinds), values)] if values is not None else []
    parts.append(
        select(*picked)
        .where(*where, fresh(c), *seek)
        .order_by(last.desc() if desc else last.asc())
        .limit(limit + 1)
    )
    return merge(parts, keys, limit)
