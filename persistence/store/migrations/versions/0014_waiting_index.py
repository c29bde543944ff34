"""waiting index: the overview's oldest waiting reply of each slot, read from the waiting rows only

Revision ID: 0014_waiting_index
Revises: 0013_list_indexes
Create Date: 2026-11-30 22:15:00

The overview asks each slot's oldest ``needs_reply_since`` among the green-dot
rows. ``ix_conversations_slot_reply`` led with the slot but held every row of
it, so on a million-conversation campaign the grouped query read them all. A
partial index of the waiting rows alone (``persistence.store.list_keys``:
``waiting_rows``) holds a few rows per slot, already in wait order.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_waiting_index"
down_revision = "0013_list_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    where = sa.text("needs_reply AND NOT opted_out" if postgres else "needs_reply = 1 AND opted_out = 0")
    op.create_index(
        "ix_conversations_waiting",
        "conversations",
        ["campaign_id", "assigned_to", "needs_reply_since"],
        unique=False,
        postgresql_where=where,
        sqlite_where=where,
    )


def downgrade() -> None:
    op.drop_index("ix_conversations_waiting", table_name="conversations")
