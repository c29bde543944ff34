"""no slot recent index: every write of a conversation paid for an index no query reads

Revision ID: 0016_no_slot_recent
Revises: 0015_untabbed_lists
Create Date: 2026-12-01 08:45:00

``ix_conversations_slot_recent`` (campaign, sender, last message) was made
for a sender's list in recent order. That list now reads the sender's rows
through the slot indexes and sorts them (``persistence.store.list_keys``:
``slot_keys``), the tabs in that order have partial indexes of their own, and
no other query orders or filters a slot by its last message. Yet an upload
wrote an entry for every conversation, and each text or answer, which moves
``last_message_at``, wrote a new one.
"""

from __future__ import annotations

from alembic import op

revision = "0016_no_slot_recent"
down_revision = "0015_untabbed_lists"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_conversations_slot_recent", table_name="conversations")


def downgrade() -> None:
    op.create_index(
        "ix_conversations_slot_recent",
        "conversations",
        ["campaign_id", "assigned_to", "last_message_at"],
        unique=False,
    )
