"""scheduled texts and drips: the scheduler's rows, the drips, the organization's switch

Revision ID: 0012_drips
Revises: 0010_inbox
Create Date: 2026-11-30 21:30:00

``scheduled_messages`` holds each text to be sent later (a scheduled message,
or one step of an applied drip) until the scheduler turns it into a queued
message, in the transaction that marks it ``sent`` (docs/inbox.md). Pending
rows are found by ``ix_scheduled_messages_due``. ``drips`` keep their steps as
a JSON list; applying one copies each step into ``scheduled_messages``, so a
drip changed or deleted later does not change what was scheduled.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import persistence.store.types

revision = "0012_drips"
down_revision = "0011_media"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_AT = persistence.store.types.UTCDateTime(timezone=True)
_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
_PENDING = sa.text("state = 'pending'")


def upgrade() -> None:
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("allow_drips", sa.Boolean(), server_default=sa.text("true"), nullable=False)
        )
    op.create_table(
        "drips",
        sa.Column("id", _ID, nullable=False),
        sa.Column("organization_id", _ID, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("steps", _JSON, nullable=False),
        sa.Column("created_by", _ID, nullable=True),
        sa.Column("created_at", _AT, nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"]),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_drips_organization", "drips", ["organization_id", "id"], unique=False)
    op.create_table(
        "scheduled_messages",
        sa.Column("id", _ID, nullable=False),
        sa.Column("organization_id", _ID, nullable=False),
        sa.Column("conversation_id", _ID, nullable=False),
        sa.Column("author_id", _ID, nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("send_at", _AT, nullable=False),
        sa.Column("drip_id", _ID, nullable=True),
        sa.Column("drip_step", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=10), server_default="pending", nullable=False),
        sa.Column("message_id", _ID, nullable=True),
        sa.Column("skip_reason", sa.String(length=40), nullable=True),
        sa.Column("created_at", _AT, nullable=False),
        sa.CheckConstraint("state IN ('pending', 'sent', 'skipped')", name="ck_scheduled_messages_state"),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"]),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"]),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["message_id"], ["messages.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_scheduled_messages_due",
        "scheduled_messages",
        ["send_at", "id"],
        unique=False,
        postgresql_where=_PENDING,
        sqlite_where=_PENDING,
    )
    op.create_index(
        "ix_scheduled_messages_conversation",
        "scheduled_messages",
        ["conversation_id", "send_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_scheduled_messages_conversation", table_name="scheduled_messages")
    op.drop_index("ix_scheduled_messages_due", table_name="scheduled_messages")
    op.drop_table("scheduled_messages")
    op.drop_index("ix_drips_organization", table_name="drips")
    op.drop_table("drips")
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.drop_column("allow_drips")
