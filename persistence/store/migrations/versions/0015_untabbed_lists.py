"""untabbed lists: the Opt Outs tab in recent order, and the untexted rows no upload leaves

Revision ID: 0015_untabbed_lists
Revises: 0014_waiting_index
Create Date: 2026-12-01 09:00:00

The whole campaign's list with no tab is read as the ordered merge of its
parts (``persistence.queries.untabbed``): Responses and Opt Outs from their
indexes, the fresh never-texted rows by primary key. Two partial indexes
complete it: the Opt Outs tab in recent order (scanned backwards, as
``ix_conversations_responses_recent``), and the never-texted rows that are not
as an upload left them (``persistence.store.list_keys``: ``touched``), which
no message writes, so neither an upload nor a text maintains that index.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_untabbed_lists"
down_revision = "0014_waiting_index"
branch_labels = None
depends_on = None


def _definitions(dialect: str) -> list[tuple[str, list[str], str]]:
    if dialect == "postgresql":
        epoch, yes, untexted = "'1970-01-01 00:00:00+00:00'", "true", "NOT has_replied AND NOT opted_out"
    else:
        epoch, yes, untexted = "'1970-01-01 00:00:00.000000'", "1", "has_replied = 0 AND opted_out = 0"
    written = f"needs_reply IS {yes} OR needs_reply_since IS NOT NULL OR last_message_at IS NOT NULL"
    return [
        (
            "ix_conversations_opt_outs_recent",
            ["campaign_id", f"coalesce(last_message_at, {epoch})", "id"],
            f"opted_out IS {yes}",
        ),
        (
            "ix_conversations_untexted_touched",
            ["campaign_id"],
            f"initial_sent_at IS NULL AND {untexted} AND ({written})",
        ),
    ]


def upgrade() -> None:
    for name, columns, where in _definitions(op.get_bind().dialect.name):
        op.create_index(
            name,
            "conversations",
            [sa.text(c) for c in columns],
            unique=False,
            postgresql_where=sa.text(where),
            sqlite_where=sa.text(where),
        )


def downgrade() -> None:
    for name, _columns, _where in reversed(_definitions(op.get_bind().dialect.name)):
        op.drop_index(name, table_name="conversations")
