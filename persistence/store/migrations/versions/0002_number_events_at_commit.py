"""number events at commit

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 19:50:00

On PostgreSQL an event's ``seq`` is now given by the database while the
transaction commits (a deferred constraint trigger), so the channel's
counter is locked only for the commit itself, not from the application's
allocation through its last statements. Rows are inserted without a seq;
no other transaction ever sees one without it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_FUNCTION = """
CREATE FUNCTION shiftline_number_event() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    next_seq bigint;
BEGIN
    IF NEW.seq IS NOT NULL THEN
        RETURN NULL;
    END IF;
    INSERT INTO channel_seqs AS counter (channel, seq) VALUES (NEW.channel, 1)
        ON CONFLICT (channel) DO UPDATE SET seq = counter.seq + 1
        RETURNING counter.seq INTO next_seq;
    UPDATE events SET seq = next_seq WHERE id = NEW.id;
    RETURN NULL;
END
$$
"""

_TRIGGER = """
CREATE CONSTRAINT TRIGGER events_number_at_commit AFTER INSERT ON events
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION shiftline_number_event()
"""


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.alter_column("seq", existing_type=sa.BigInteger(), nullable=True)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_FUNCTION)
        op.execute(_TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER events_number_at_commit ON events")
        op.execute("DROP FUNCTION shiftline_number_event()")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.alter_column("seq", existing_type=sa.BigInteger(), nullable=False)
