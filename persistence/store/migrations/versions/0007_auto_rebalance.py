"""automatic rebalance: the campaign setting, its tick claim, users' last presence change

Revision ID: 0007_auto_rebalance
Revises: 0006_shift
Create Date: 2026-11-30 21:00:00

``campaigns.auto_rebalance_after_minutes`` (null: off) moves the waiting
replies of a sender offline that long to the online senders;
``campaigns.auto_rebalance_at`` is the last tick that checked the campaign (an
instance claims a tick by moving it forward, so several instances check a
campaign once); ``presence_states`` holds each user's last presence change per
campaign (when a sender went offline).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import persistence.store.types

revision = "0007_auto_rebalance"
down_revision = "0006_shift"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_AT = persistence.store.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.add_column(sa.Column("auto_rebalance_after_minutes", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("auto_rebalance_at", _AT, nullable=True))
    op.create_table(
        "presence_states",
        sa.Column("campaign_id", _ID, nullable=False),
        sa.Column("user_id", _ID, nullable=False),
        sa.Column("online", sa.Boolean(), nullable=False),
        sa.Column("changed_at", _AT, nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("campaign_id", "user_id"),
    )


def downgrade() -> None:
    op.drop_table("presence_states")
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.drop_column("auto_rebalance_at")
        batch_op.drop_column("auto_rebalance_after_minutes")
