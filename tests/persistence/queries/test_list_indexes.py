"""Each list of the Admin Messenger is read in the order of an index, not sorted.

The lists' ORDER BY and the expression indexes of ``persistence.store.list_keys``
are built from the same expressions; these plans show the database agrees that
they match (PostgreSQL with sorting priced out, SQLite's query plan), on the
first page and on a later one (keyset bound as an index condition). The whole
campaign's untabbed list merges its parts (``persistence.queries.untabbed``):
each part is read in order from its own index, and only a page's worth of each
is sorted.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import Select, literal, text
from sqlalchemy.ext.asyncio import AsyncConnection

from persistence.queries.conversations import page_query
from persistence.queries.keyset import encode, runs
from persistence.store.database import Database
from persistence.store.models import Campaign
from tests.support.worlds.messaging import add_campaign, build

CONTACTS = tuple((f"Name{i:03d}", f"Family{(i * 37) % 300:03d}", f"+1415555{i:04d}") for i in range(300))

# (list, its query, the index that must give its order)
LISTS: list[tuple[str, dict[str, Any], str]] = [
    (
        "campaign, Responses, needs reply",
        {"tab": "responses", "sort": "needs_reply"},
        "ix_conversations_responses",
    ),
    (
        "campaign, Responses, recent",
        {"tab": "responses", "sort": "recent"},
        "ix_conversations_responses_recent",
    ),
    ("campaign, Responses, A-Z", {"tab": "responses", "sort": "az"}, "ix_contacts_campaign_name"),
    ("campaign, no tab, A-Z", {"tab": None, "sort": "az"}, "ix_contacts_campaign_name"),
    (
        "campaign, Opt Outs, needs reply",
        {"tab": "opt_outs", "sort": "needs_reply"},
        "ix_conversations_opt_outs",
    ),
    ("campaign, Follow-ups", {"tab": "follow_ups", "sort": "needs_reply"}, "ix_conversations_follow_ups"),
    (
        "pool, Responses, needs reply",
        {"tab": "responses", "sort": "needs_reply", "sender": "unassigned"},
        "ix_conversations_pool_responses",
    ),
]


async def _campaign(db: Database) -> Campaign:
    world = await build(db)
    assign = [None if i % 4 == 0 else "Sam" if i % 2 else "Sue" for i in range(len(CONTACTS))]
    campaign_id, _ids = await add_campaign(db, world, contacts=CONTACTS, assign=assign)
    async with db.engine.begin() as conn:
        # Two thirds texted, a fifth answered (some waiting), one in ten opted out.
        await conn.execute(
            text(
                "UPDATE conversations SET initial_sent_at = CURRENT_TIMESTAMP, "
                "last_message_at = CURRENT_TIMESTAMP, has_replied = (id % 5 = 1), "
                "needs_reply = (id % 10 = 1), opted_out = (id % 10 = 7) "
                "WHERE campaign_id = :c AND id % 3 <> 0"
            ),
            {"c": campaign_id},
        )
        await conn.execute(text("ANALYZE"))
    async with db.session() as session:
        return await session.get_one(Campaign, campaign_id)


async def _plan(conn: AsyncConnection, query: Select[Any], index: str) -> tuple[str, str]:
    """(the plan as text, how it orders): PostgreSQL's JSON plan, or SQLite's with ``INDEXED BY index``.

    SQLite's planner may rightly sort a small table's rows instead; ``INDEXED
    BY`` fails the statement if the index cannot serve it at all.
    """
    # As the lists send it: values as parameters, only the constants meant to be inline rendered inline.
    compiled = query.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    sql = str(compiled)
    params = tuple(compiled.params[name] for name in compiled.positiontup or ())
    if conn.dialect.name == "postgresql":
        await conn.execute(text("SET LOCAL enable_sort = off"))
        await conn.execute(text("SET LOCAL enable_seqscan = off"))
        # A generic plan, as a prepared statement gets after its first runs: no parameter is a constant.
        await conn.execute(text("SET LOCAL plan_cache_mode = force_generic_plan"))
        await conn.exec_driver_sql(f"PREPARE listed AS {sql}")
        values = ", ".join(
            str(
                literal(compiled.params[n], compiled.binds[n].type).compile(
                    dialect=conn.dialect, compile_kwargs={"literal_binds": True}
                )
            )
            for n in compiled.positiontup or ()
        )
        explain = (
            f"EXPLAIN (FORMAT JSON) EXECUTE listed({values})"
            if values
            else "EXPLAIN (FORMAT JSON) EXECUTE listed"
        )
        plan = (await conn.exec_driver_sql(explain)).scalar()
        await conn.exec_driver_sql("DEALLOCATE listed")
        dumped = json.dumps(plan)
        return dumped, "sorted" if '"Sort"' in dumped or "Incremental Sort" in dumped else "index order"
    if index.startswith("ix_contacts"):
        sql = sql.replace("JOIN contacts ON", f"JOIN contacts INDEXED BY {index} ON", 1)
    else:
        sql = sql.replace("FROM conversations ", f"FROM conversations INDEXED BY {index} ", 1)
    rows = (await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params)).all()
    details = " | ".join(str(r[-1]) for r in rows)
    return details, "sorted" if "TEMP B-TREE FOR ORDER BY" in details else "index order"


@pytest.mark.parametrize(("label", "query", "index"), LISTS, ids=[c[0] for c in LISTS])
async def test_a_list_page_is_read_in_index_order(
    db: Database, label: str, query: dict[str, Any], index: str
) -> None:
    campaign = await _campaign(db)
    first, _keys, signature = page_query(campaign, search=None, limit=5, cursor=None, **_args(query))
    async with db.engine.connect() as conn:
        rows = (await conn.execute(first)).all()
        assert len(rows) == 6, label  # enough rows for a second page
        plan, order = await _plan(conn, first, index)
        assert index in plan, plan
        assert order == "index order", plan
        # The next page starts after the first's last row: still the index's order.
        cursor = encode(signature, list(rows[4][1:]))
        second, keys, _sig = page_query(campaign, search=None, limit=5, cursor=cursor, **_args(query))
        each = len(runs(keys))
        if each > 1:
            # Mixed directions: a range per run of one direction, each read from the index in
            # order, and only their LIMITed rows merged (keyset.seeks).
            if conn.dialect.name == "postgresql":
                # A range that holds the time equal may seek another index of the tab: in order too.
                found = await _postgres_parts(conn, second)
                assert index in found and not any(found.values()), (label, found)
            else:
                assert await _sqlite_parts(conn, second, [index] * each) == {index: False}, label
        else:
            plan, order = await _plan(conn, second, index)
            assert index in plan, plan
            assert order == "index order", plan
        await conn.rollback()


def _args(query: dict[str, Any]) -> dict[str, Any]:
    return {"sender": None, **query}


# The untabbed list's parts, in the order the query names them: Responses, Opt
# Outs, the untexted rows a message touched (none here: sorted, from their
# partial index), and the fresh rows by primary key (None).
UNTABBED: list[tuple[str, str, list[str | None]]] = [
    (
        "needs reply",
        "needs_reply",
        [
            "ix_conversations_responses",
            "ix_conversations_opt_outs",
            "ix_conversations_untexted_touched",
            None,
        ],
    ),
    (
        "recent",
        "recent",
        [
            "ix_conversations_responses_recent",
            "ix_conversations_opt_outs_recent",
            "ix_conversations_untexted_touched",
            None,
        ],
    ),
]
TOUCHED = "ix_conversations_untexted_touched"


def _nodes(node: dict[str, Any]) -> list[dict[str, Any]]:
    return [node, *(n for child in node.get("Plans", []) for n in _nodes(child))]


def _indexes(node: dict[str, Any]) -> set[str]:
    return {n["Index Name"] for n in _nodes(node) if "Index Name" in n}


def _sorts(node: dict[str, Any]) -> bool:
    return any(n["Node Type"] in ("Sort", "Incremental Sort") for n in _nodes(node))


async def _postgres_parts(conn: AsyncConnection, query: Select[Any]) -> dict[str, bool]:
    """Each part's index (the primary key's as None) and whether the part sorts its rows before its LIMIT.

    Also checks that any other sort is of a part's LIMITed rows or of the
    touched rows: never of the campaign.
    """
    compiled = query.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    await conn.execute(text("SET LOCAL enable_sort = off"))
    await conn.execute(text("SET LOCAL enable_seqscan = off"))
    await conn.execute(text("SET LOCAL plan_cache_mode = force_generic_plan"))
    await conn.exec_driver_sql(f"PREPARE listed AS {compiled}")
    values = ", ".join(
        str(
            literal(compiled.params[n], compiled.binds[n].type).compile(
                dialect=conn.dialect, compile_kwargs={"literal_binds": True}
            )
        )
        for n in compiled.positiontup or ()
    )
    plan: Any = (await conn.exec_driver_sql(f"EXPLAIN (FORMAT JSON) EXECUTE listed({values})")).scalar()
    await conn.exec_driver_sql("DEALLOCATE listed")
    root = plan[0]["Plan"]
    scans = [n for n in _nodes(root) if n.get("Relation Name") == "conversations"]
    assert all(n["Node Type"] != "Seq Scan" for n in scans), plan
    parts = [
        n
        for n in _nodes(root)
        if n["Node Type"] == "Limit"
        and sum(m.get("Relation Name") == "conversations" for m in _nodes(n)) == 1
    ]
    for sort in (n for n in _nodes(root) if n["Node Type"] in ("Sort", "Incremental Sort")):
        below = _nodes(sort)[1:]
        assert any(n["Node Type"] == "Limit" for n in below) or TOUCHED in _indexes(sort), plan
    found: dict[str, bool] = {}
    for part in parts:
        (name,) = _indexes(part) or {"conversations_pkey"}
        found[name] = _sorts(part)
    return {("" if name == "conversations_pkey" else name): sorted_ for name, sorted_ in found.items()}


async def _sqlite_parts(
    conn: AsyncConnection, query: Select[Any], indexes: list[str | None]
) -> dict[str, bool]:
    """As ``_postgres_parts``, from SQLite's plan, each part held to its index by ``INDEXED BY``."""
    compiled = query.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    sql = str(compiled)
    params = tuple(compiled.params[name] for name in compiled.positiontup or ())
    pieces = sql.split("FROM conversations \n")
    assert len(pieces) == len(indexes) + 1, sql
    sql = pieces[0] + "".join(
        f"FROM conversations {'NOT INDEXED' if index is None else f'INDEXED BY {index}'} \n{piece}"
        for index, piece in zip(indexes, pieces[1:], strict=True)
    )
    plan: list[Any] = list((await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params)).all())
    rows = [(int(r[0]), int(r[1]), str(r[3])) for r in plan]  # id, parent, detail
    children: dict[int, list[str]] = {}
    for node, parent, detail in rows:
        children.setdefault(parent, []).append(detail)
        children.setdefault(node, [])
    details = " | ".join(r[-1] for r in rows)
    found: dict[str, bool] = {}
    for node, _parent, detail in rows:
        if detail.startswith(("CO-ROUTINE part", "MATERIALIZE part")):
            # The primary key's part: a SEARCH of a rowid range, or (first page) a SCAN in rowid order.
            (read,) = [
                d for d in children[node] if d.startswith(("SEARCH conversations", "SCAN conversations"))
            ]
            name = read.split("USING INDEX ")[1].split()[0] if "USING INDEX " in read else ""
            assert name or "PRIMARY KEY" in read or read == "SCAN conversations", details
            found[name] = "USE TEMP B-TREE FOR ORDER BY" in children[node]
    # Any other sort is of a part's rows, after its LIMIT, for the merge.
    for _node, parent, detail in rows:
        if detail == "USE TEMP B-TREE FOR ORDER BY":
            siblings = children[parent]
            assert any(
                s.startswith(("SCAN part", "CO-ROUTINE part", "MATERIALIZE part")) for s in siblings
            ) or any(TOUCHED in s for s in siblings), details
    return found


@pytest.mark.parametrize(("label", "sort", "indexes"), UNTABBED, ids=[c[0] for c in UNTABBED])
async def test_the_untabbed_list_merges_its_parts_each_read_in_index_order(
    db: Database, label: str, sort: str, indexes: list[str | None]
) -> None:
    campaign = await _campaign(db)
    args: dict[str, Any] = {"sender": None, "tab": None, "search": None, "sort": sort, "limit": 5}
    first, keys, signature = page_query(campaign, cursor=None, **args)
    async with db.engine.connect() as conn:
        rows = (await conn.execute(first)).all()
        assert len(rows) == 6, label
        later, _keys, _sig = page_query(campaign, cursor=encode(signature, list(rows[4][1:])), **args)
        # Only the touched rows (none, as the app writes) are sorted before their part's LIMIT.
        expected = {index or "": index == TOUCHED for index in indexes}
        # After a cursor each part but the fresh rows is read as a range per run of one direction.
        for page, each in ((first, 1), (later, len(runs(keys)))):
            if conn.dialect.name == "postgresql":
                found = await _postgres_parts(conn, page)
                # A range that holds the time equal may seek another index of its tab: in order too.
                assert {name: found[name] for name in expected} == expected, (label, found)
                assert not any(sorted_ for name, sorted_ in found.items() if name not in expected), found
            else:
                ranged = [name for name in indexes[:-1] for _ in range(each)] + indexes[-1:]
                assert await _sqlite_parts(conn, page, ranged) == expected, label
        await conn.rollback()
