"""The Admin Messenger's sort keys and tab predicates, and the indexes built from them.

The lists (``queries.conversations``) ORDER BY these expressions and the
indexes of ``list_indexes`` are made of the very same ones, so PostgreSQL and
SQLite read a page in index order instead of sorting every matching row of a
campaign. Constants are rendered inline (never as bound parameters): an index
on ``coalesce(x, $1)`` would match no query. The indexes on conversations are
partial, on tabs a freshly uploaded conversation is never in (Responses,
Follow-ups, Opt Outs), so an upload does not maintain them; the freshly
uploaded rows of the untabbed list share every sort key but the id, so that
list reads them by primary key (``queries.untabbed``).
``tests/persistence/queries/test_list_indexes.py`` shows the plans use them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Index, Integer, and_, case, cast, false, func, literal, literal_column, null, or_
from sqlalchemy.sql.elements import ColumnElement, Grouping

from .types import UTCDateTime

__all__ = [
    "EPOCH",
    "FreshRow",
    "Keys",
    "epoch_or",
    "follow_up_keys",
    "follow_ups",
    "fresh",
    "green_dot",
    "list_indexes",
    "listed",
    "name_keys",
    "opted_out",
    "recent_keys",
    "reply_keys",
    "responses",
    "slot_keys",
    "touched",
    "untexted",
    "waiting_rows",
]

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def epoch_or(column: Any) -> ColumnElement[Any]:
    """``column``, the epoch where it is NULL: keyset keys must never be NULL (NULL stops paging)."""
    return func.coalesce(column, literal(EPOCH, UTCDateTime(), literal_execute=True))


def green_dot(c: Any) -> ColumnElement[bool]:
    """The contact wrote last and is not opted out (``rules.status``: needs_reply)."""
    return and_(c.needs_reply.is_(True), c.opted_out.is_(False))


def waiting_rows(c: Any) -> ColumnElement[bool]:
    """The green dot's rows, written as ``ix_conversations_waiting``'s predicate.

    ``green_dot`` says ``needs_reply IS true``, which no partial index on
    ``needs_reply`` matches; both columns are NOT NULL, so the two select the
    same rows (``tests/persistence/store/test_waiting_index.py``).
    """
    return and_(c.needs_reply, ~c.opted_out)


def responses(c: Any) -> ColumnElement[bool]:
    """The Responses tab: the contact answered and has not opted out."""
    return and_(c.has_replied, ~c.opted_out)


def follow_ups(c: Any) -> ColumnElement[bool]:
    """The Follow-ups tab (when the campaign has a follow-up): sent, never answered, not followed up."""
    return and_(c.initial_sent_at.is_not(None), ~c.has_replied, ~c.opted_out, c.follow_up_sent_at.is_(None))


def opted_out(c: Any) -> ColumnElement[bool]:
    """The Opt Outs tab."""
    # IS TRUE, not the bare column: SQLite renders that as "= 1" in a query but
    # not in an index's WHERE, and would then never use the partial index.
    return c.opted_out.is_(True)  # type: ignore[no-any-return]


def untexted(c: Any) -> ColumnElement[bool]:
    """Never texted, never answered, not opted out: the untabbed list's rows in no tab but Initial."""
    return and_(c.initial_sent_at.is_(None), ~c.has_replied, ~c.opted_out)


def listed(c: Any) -> ColumnElement[bool]:
    """The untabbed list: every conversation but the ones texted and never answered (nor opted out)."""
    return or_(responses(c), opted_out(c), untexted(c))


def _written(c: Any) -> ColumnElement[bool]:
    # Set by a text or an answer (which also set initial_sent_at or has_replied); an upload leaves them so.
    return or_(c.needs_reply.is_(True), c.needs_reply_since.is_not(None), c.last_message_at.is_not(None))


def fresh(c: Any) -> ColumnElement[bool]:
    """Untexted rows as an upload leaves them: every sort key but the id the same (``FreshRow``)."""
    return and_(untexted(c), ~_written(c))


def touched(c: Any) -> ColumnElement[bool]:
    """Untexted rows that are not fresh; nothing writes them, but the lists must not lose one."""
    return and_(untexted(c), _written(c))


class FreshRow:
    """A ``fresh`` row's columns as the sort keys read them: constants, but for the id.

    The keys of ``FreshRow(c)`` are a fresh row's keys written without its
    columns, so a list can tell where all fresh rows stand against a cursor
    (``queries.keyset.last_key_after``) and read them in id order.
    """

    def __init__(self, conversation: Any) -> None:
        self.id = conversation.id
        self.opted_out = self.needs_reply = false()
        # Typed, so coalesce(NULL, epoch) is a time on PostgreSQL too.
        self.needs_reply_since = self.last_message_at = cast(null(), UTCDateTime())


# (expression, descending) pairs, in ORDER BY order.
Keys = list[tuple[ColumnElement[Any], bool]]


def reply_keys(c: Any) -> Keys:
    """Waiting contacts first, longest-waiting first; then the most recent."""
    # In parentheses: PostgreSQL takes an index column that is no function call only so.
    waiting = Grouping(case((green_dot(c), literal_column("0", Integer)), else_=literal_column("1", Integer)))
    return [
        (waiting, False),
        (epoch_or(c.needs_reply_since), False),
        (epoch_or(c.last_message_at), True),
        (c.id.expression, False),
    ]


def recent_keys(c: Any) -> Keys:
    """The most recent message first."""
    return [(epoch_or(c.last_message_at), True), (c.id.expression, True)]


def follow_up_keys(c: Any) -> Keys:
    """Oldest initial message first: the order follow-ups go out in."""
    return [(epoch_or(c.initial_sent_at), False), (c.id.expression, False)]


def name_keys(contact: Any) -> Keys:
    """A-Z by the name as the lists show it, first name first; then the contact (one per conversation)."""
    return [
        (func.lower(contact.first_name), False),
        (func.lower(contact.last_name), False),
        (contact.id.expression, False),
    ]


def slot_keys(keys: Keys) -> Keys:
    """``keys`` for one sender's or the pool's list: the same order, matched by no campaign-wide index.

    A slot holds a sliver of a campaign, and often (the pool's answered rows)
    none of a tab's rows; the planner cannot know and would walk a
    campaign-wide index in order, past every other slot's rows, for rows that
    never come. Written as ``coalesce(k, k)``, the first key leaves it to read
    the slot's rows through the slot indexes and sort them.
    """
    first, desc = keys[0]
    return [(func.coalesce(first, first), desc), *keys[1:]]


def _index(name: str, leading: list[Any], keys: Keys, where: ColumnElement[bool] | None = None) -> Index:
    columns = [*leading, *(expr.desc() if desc else expr for expr, desc in keys)]
    return Index(name, *columns, postgresql_where=where, sqlite_where=where)


def list_indexes(conversation: Any, contact: Any) -> list[Index]:
    """The indexes that hold the lists of a whole campaign, the Unassigned pool and a sender in order."""
    c = conversation
    return [
        _index("ix_conversations_responses", [c.campaign_id], reply_keys(c), responses(c)),
        _index(
            "ix_conversations_slot_responses", [c.campaign_id, c.assigned_to], reply_keys(c), responses(c)
        ),
        # The pool's answered rows are few: a pool-wide filter on the index above would read them all.
        _index(
            "ix_conversations_pool_responses",
            [c.campaign_id],
            reply_keys(c),
            and_(c.assigned_to.is_(None), responses(c)),
        ),
        # Scanned backwards for the newest first.
        _index(
            "ix_conversations_responses_recent",
            [c.campaign_id],
            [(e, False) for e, _d in recent_keys(c)],
            responses(c),
        ),
        _index("ix_conversations_follow_ups", [c.campaign_id], follow_up_keys(c), follow_ups(c)),
        _index("ix_conversations_opt_outs", [c.campaign_id], reply_keys(c), opted_out(c)),
        _index(
            "ix_conversations_opt_outs_recent",
            [c.campaign_id],
            [(e, False) for e, _d in recent_keys(c)],
            opted_out(c),
        ),
        # Rows no message writes: the untabbed list finds them without reading the fresh ones.
        _index("ix_conversations_untexted_touched", [c.campaign_id], [], touched(c)),
        _index("ix_contacts_campaign_name", [contact.campaign_id], name_keys(contact)),
        # The overview's oldest waiting reply of each slot: only the waiting rows, their wait in order.
        _index(
            "ix_conversations_waiting",
            [c.campaign_id, c.assigned_to],
            [(c.needs_reply_since.expression, False)],
            waiting_rows(c),
        ),
    ]
