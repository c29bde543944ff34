"""counter publication marks

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 20:45:00

Counter events are published after the change that moved the counters
(persistence.outbox.counts). Each counter row now records how many changes moved
it and how many a published event reported, so that counts a stopped process
never published are found and published by another.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("conversation_counts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("changes", sa.BigInteger(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("published", sa.BigInteger(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("conversation_counts", schema=None) as batch_op:
        batch_op.drop_column("published")
        batch_op.drop_column("changes")
