"""shift control: the audit log, broadcasts, the waiting alert, senders' recent sends

Revision ID: 0006_shift
Revises: 0005_texting_rules
Create Date: 2026-11-30 19:00:00

``audit_log`` keeps who changed what in a campaign for as long as the
campaign; ``broadcasts`` and ``broadcast_acks`` hold the sweepers' messages to
every sender and who acknowledged them; campaigns get ``waiting_alert_minutes``;
``ix_messages_sender_recent`` lets the overview read each sender's last send
and recent sends without scanning the campaign's messages.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import persistence.store.types

revision = "0006_shift"
down_revision = "0005_texting_rules"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_AT = persistence.store.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("waiting_alert_minutes", sa.Integer(), server_default="10", nullable=False)
        )
    op.create_index("ix_messages_sender_recent", "messages", ["sender_id", "created_at"], unique=False)
    op.create_table(
        "audit_log",
        sa.Column("id", _ID, nullable=False),
        sa.Column("campaign_id", _ID, nullable=False),
        sa.Column("actor_id", _ID, nullable=True),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("detail", persistence.store.types.JSONType, nullable=False),
        sa.Column("created_at", _AT, nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"]),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_audit_log_campaign", "audit_log", ["campaign_id", "id"], unique=False)
    op.create_table(
        "broadcasts",
        sa.Column("id", _ID, nullable=False),
        sa.Column("campaign_id", _ID, nullable=False),
        sa.Column("author_id", _ID, nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", _AT, nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"]),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_broadcasts_campaign", "broadcasts", ["campaign_id", "id"], unique=False)
    op.create_table(
        "broadcast_acks",
        sa.Column("broadcast_id", _ID, nullable=False),
        sa.Column("user_id", _ID, nullable=False),
        sa.Column("acked_at", _AT, nullable=False),
        sa.ForeignKeyConstraint(["broadcast_id"], ["broadcasts.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("broadcast_id", "user_id"),
    )


def downgrade() -> None:
    op.drop_table("broadcast_acks")
    op.drop_index("ix_broadcasts_campaign", table_name="broadcasts")
    op.drop_table("broadcasts")
    op.drop_index("ix_audit_log_campaign", table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_index("ix_messages_sender_recent", table_name="messages")
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.drop_column("waiting_alert_minutes")
