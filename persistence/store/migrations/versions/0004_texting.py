"""texting: providers, the send queue, delivery receipts and pace

Revision ID: 0004_texting
Revises: 0003
Create Date: 2026-12-01 10:00:00

An organization gets its SMS provider (the Twilio auth token only encrypted)
and its send rate; a message gets its tries, its earliest next try and the
provider's error; campaigns count the texts carriers filtered. Status
callbacks are stored raw in ``delivery_receipts`` before they are applied, and
``send_pace`` holds each organization's pace when no Redis is shared.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import persistence.store.types

revision = "0004_texting"
down_revision = "0003"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_QUEUED = sa.text("delivery_status = 'queued'")
_PENDING = sa.text("applied_at IS NULL")


def upgrade() -> None:
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("provider_kind", sa.String(length=16), server_default="simulator", nullable=False)
        )
        batch_op.add_column(sa.Column("twilio_account_sid", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("twilio_auth_token_encrypted", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("messaging_service_sid", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("send_rate_per_second", sa.Integer(), server_default="10", nullable=False)
        )
        batch_op.create_index("ix_organizations_twilio_account_sid", ["twilio_account_sid"], unique=False)
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("carrier_filtered", sa.BigInteger(), server_default="0", nullable=False)
        )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("send_attempts", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(
            sa.Column("not_before", persistence.store.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("error_code", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("error_message", sa.Text(), nullable=True))
    op.create_index(
        "ix_messages_queued",
        "messages",
        ["organization_id", "id"],
        unique=False,
        postgresql_where=_QUEUED,
        sqlite_where=_QUEUED,
    )
    op.create_table(
        "delivery_receipts",
        sa.Column("id", _ID, nullable=False),
        sa.Column("organization_id", _ID, nullable=False),
        sa.Column("provider_message_id", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("error_code", sa.String(length=40), nullable=True),
        sa.Column("raw", persistence.store.types.JSONType, nullable=False),
        sa.Column("received_at", persistence.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("applied_at", persistence.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_delivery_receipts_message",
        "delivery_receipts",
        ["organization_id", "provider_message_id"],
        unique=False,
    )
    op.create_index(
        "ix_delivery_receipts_pending",
        "delivery_receipts",
        ["id"],
        unique=False,
        postgresql_where=_PENDING,
        sqlite_where=_PENDING,
    )
    op.create_table(
        "send_pace",
        sa.Column("organization_id", _ID, nullable=False),
        sa.Column("next_at", sa.Float(), server_default="0", nullable=False),
        sa.Column("published_depth", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("published_at", sa.Float(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"]),
        sa.PrimaryKeyConstraint("organization_id"),
    )


def downgrade() -> None:
    op.drop_table("send_pace")
    op.drop_index("ix_delivery_receipts_pending", table_name="delivery_receipts")
    op.drop_index("ix_delivery_receipts_message", table_name="delivery_receipts")
    op.drop_table("delivery_receipts")
    op.drop_index("ix_messages_queued", table_name="messages")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_column("error_message")
        batch_op.drop_column("error_code")
        batch_op.drop_column("not_before")
        batch_op.drop_column("send_attempts")
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.drop_column("carrier_filtered")
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.drop_index("ix_organizations_twilio_account_sid")
        batch_op.drop_column("send_rate_per_second")
        batch_op.drop_column("messaging_service_sid")
        batch_op.drop_column("twilio_auth_token_encrypted")
        batch_op.drop_column("provider_kind")
