"""MMS: uploaded pictures and video, and the media of each message

Revision ID: 0011_media
Revises: 0006_shift
Create Date: 2026-11-30 21:00:00

``media`` holds what senders upload to send by MMS: its organization, who
uploaded it, the content type read from its bytes, its size, and the bytes
themselves (or the key under which an S3-compatible store keeps them).
``messages.media`` lists a message's media: the uploaded ones it sent, or
the URLs and types of what a contact texted.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import persistence.store.types

revision = "0011_media"
down_revision = "0010_inbox"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_AT = persistence.store.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "media",
        sa.Column("id", _ID, nullable=False),
        sa.Column("organization_id", _ID, nullable=False),
        sa.Column("uploaded_by", _ID, nullable=True),
        sa.Column("content_type", sa.String(length=40), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=True),
        sa.Column("storage_key", sa.String(length=200), nullable=True),
        sa.Column("created_at", _AT, nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"]),
        sa.ForeignKeyConstraint(["uploaded_by"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_media_organization", "media", ["organization_id", "id"], unique=False)
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("media", persistence.store.types.JSONType, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_column("media")
    op.drop_index("ix_media_organization", table_name="media")
    op.drop_table("media")
