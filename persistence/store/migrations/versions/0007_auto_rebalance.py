"""automatic rebalance: the campaign setting, its tick claim, senders' offline-since

Revision ID: 0007_auto_rebalance
Revises: 0006_shift
Create Date: 2026-11-30 21:00:00

``campaigns.auto_rebalance_after_minutes`` (null: off) moves the waiting
replies of a sender offline that long to the online senders;
``campaigns.auto_rebalance_at`` is the last tick that checked the campaign (an
instance claims a tick by moving it forward, so several instances check a
campaign once); ``campaign_senders.offline_since`` is when the sender last went
offline (null while online or never seen).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import persistence.store.types

revision = "0007_auto_rebalance"
down_revision = "0006_shift"
branch_labels = None
depends_on = None

_AT = persistence.store.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.add_column(sa.Column("auto_rebalance_after_minutes", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("auto_rebalance_at", _AT, nullable=True))
    with op.batch_alter_table("campaign_senders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("offline_since", _AT, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("campaign_senders", schema=None) as batch_op:
        batch_op.drop_column("offline_since")
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.drop_column("auto_rebalance_at")
        batch_op.drop_column("auto_rebalance_after_minutes")
