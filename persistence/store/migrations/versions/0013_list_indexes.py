"""list indexes: the Admin Messenger's sort orders held by indexes

Revision ID: 0013_list_indexes
Revises: 0012_drips
Create Date: 2026-11-30 21:15:00

Expression indexes made of the very expressions the lists ORDER BY
(``persistence.store.list_keys``), so a page of a million-conversation
campaign is read in index order, not sorted: contacts by lower-cased first
and last name (A-Z), and, partial on the Responses, Follow-ups and Opt Outs
tabs (which a fresh upload never enters), conversations by the needs-reply,
recent and follow-up orders. The epoch that stands for a missing time is
written inline, as each dialect stores it.

"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_list_indexes"
down_revision = "0012_drips"
branch_labels = None
depends_on = None


def _definitions(dialect: str) -> list[tuple[str, str, list[str], str | None]]:
    if dialect == "postgresql":
        epoch, yes, no = "'1970-01-01 00:00:00+00:00'", "true", "false"
        responses = "has_replied AND NOT opted_out"
        follow_ups = (
            "initial_sent_at IS NOT NULL AND NOT has_replied AND NOT opted_out AND follow_up_sent_at IS NULL"
        )
    else:
        epoch, yes, no = "'1970-01-01 00:00:00.000000'", "1", "0"
        responses = "has_replied = 1 AND opted_out = 0"
        follow_ups = (
            "initial_sent_at IS NOT NULL AND has_replied = 0 AND opted_out = 0 AND follow_up_sent_at IS NULL"
        )
    reply = [
        f"(CASE WHEN (needs_reply IS {yes} AND opted_out IS {no}) THEN 0 ELSE 1 END)",
        f"coalesce(needs_reply_since, {epoch})",
        f"coalesce(last_message_at, {epoch}) DESC",
        "id",
    ]
    return [
        ("ix_conversations_responses", "conversations", ["campaign_id", *reply], responses),
        (
            "ix_conversations_slot_responses",
            "conversations",
            ["campaign_id", "assigned_to", *reply],
            responses,
        ),
        (
            "ix_conversations_pool_responses",
            "conversations",
            ["campaign_id", *reply],
            f"assigned_to IS NULL AND {responses}",
        ),
        (
            "ix_conversations_responses_recent",
            "conversations",
            ["campaign_id", f"coalesce(last_message_at, {epoch})", "id"],
            responses,
        ),
        (
            "ix_conversations_follow_ups",
            "conversations",
            ["campaign_id", f"coalesce(initial_sent_at, {epoch})", "id"],
            follow_ups,
        ),
        ("ix_conversations_opt_outs", "conversations", ["campaign_id", *reply], f"opted_out IS {yes}"),
        (
            "ix_contacts_campaign_name",
            "contacts",
            ["campaign_id", "lower(first_name)", "lower(last_name)", "id"],
            None,
        ),
    ]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for name, table, columns, where in _definitions(dialect):
        predicate = sa.text(where) if where else None
        op.create_index(
            name,
            table,
            [sa.text(c) for c in columns],
            unique=False,
            postgresql_where=predicate,
            sqlite_where=predicate,
        )


def downgrade() -> None:
    for name, table, _columns, _where in reversed(_definitions(op.get_bind().dialect.name)):
        op.drop_index(name, table_name=table)
