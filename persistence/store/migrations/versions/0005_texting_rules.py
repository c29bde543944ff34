"""texting rules: the opt-out message, plain punctuation, texting hours, practice mode

Revision ID: 0005_texting_rules
Revises: 0004_texting
Create Date: 2026-12-01 10:00:00

Organizations get the message sent once after a keyword opt-out and the
plain-punctuation switch; campaigns their daily texting hours and practice
mode; messages whether shiftline sent them by itself (their error code and
message come with 0004_texting).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005_texting_rules"
down_revision = "0004_texting"
branch_labels = None
depends_on = None

_FALSE = sa.text("false")


def upgrade() -> None:
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("opt_out_message", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("plain_punctuation", sa.Boolean(), server_default=_FALSE, nullable=False)
        )
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "texting_hours",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("practice", sa.Boolean(), server_default=_FALSE, nullable=False))
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("automatic", sa.Boolean(), server_default=_FALSE, nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_column("automatic")
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.drop_column("practice")
        batch_op.drop_column("texting_hours")
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.drop_column("plain_punctuation")
        batch_op.drop_column("opt_out_message")
