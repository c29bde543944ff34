"""the texting inbox: conversations without a campaign, the address book, consent, deleting

Revision ID: 0010_inbox
Revises: 0006_shift
Create Date: 2026-11-30 21:10:00

An inbox conversation has no campaign (``conversations.campaign_id`` NULL) and
belongs to the user in ``assigned_to``. Its contact is an address-book entry:
a contact row with ``campaign_id`` NULL, one per phone in an organization
(``uq_contacts_address_book``). Campaign contacts are not copied into the
address book; the address book reads them with a union, so a million-row
upload writes nothing more. A phone may now have several conversations (a
campaign's and each user's inbox), so ``conversations.contact_id`` is no
longer unique; ``uq_conversations_inbox`` keeps one inbox conversation per
user and contact. ``consents`` records when a phone got the organization's
consent message; organizations get the consent settings and the switch that
turns deleting conversations off. A deleted inbox conversation's audit entry
has no campaign.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import persistence.store.types

revision = "0010_inbox"
down_revision = "0007_auto_rebalance"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_AT = persistence.store.types.UTCDateTime(timezone=True)
_INBOX = sa.text("campaign_id IS NULL")
# Names SQLite's unnamed unique constraint on contact_id so batch mode can drop it.
_NAMING = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def _drop_contact_unique() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint("conversations_contact_id_key", "conversations", type_="unique")
        return
    # Unnamed when 0001 made it (the naming convention names it), named when a downgrade did.
    found = [
        u["name"]
        for u in sa.inspect(op.get_bind()).get_unique_constraints("conversations")
        if u["column_names"] == ["contact_id"]
    ]
    name = (found[0] if found else None) or "uq_conversations_contact_id"
    with op.batch_alter_table("conversations", naming_convention=_NAMING) as batch_op:
        batch_op.drop_constraint(name, type_="unique")


def upgrade() -> None:
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("allow_delete", sa.Boolean(), server_default=sa.text("true"), nullable=False)
        )
        batch_op.add_column(sa.Column("consent_message", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("consent_required", sa.Boolean(), server_default=sa.text("false"), nullable=False)
        )
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.alter_column("campaign_id", existing_type=_ID, nullable=True)
    op.create_index(
        "uq_contacts_address_book",
        "contacts",
        ["organization_id", "phone"],
        unique=True,
        postgresql_where=_INBOX,
        sqlite_where=_INBOX,
    )
    _drop_contact_unique()
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.alter_column("campaign_id", existing_type=_ID, nullable=True)
    op.create_index("ix_conversations_contact", "conversations", ["contact_id"], unique=False)
    op.create_index(
        "uq_conversations_inbox",
        "conversations",
        ["assigned_to", "contact_id"],
        unique=True,
        postgresql_where=_INBOX,
        sqlite_where=_INBOX,
    )
    op.create_index(
        "ix_conversations_inbox",
        "conversations",
        ["assigned_to", "archived", "last_message_at"],
        unique=False,
        postgresql_where=_INBOX,
        sqlite_where=_INBOX,
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.alter_column("campaign_id", existing_type=_ID, nullable=True)
    op.create_table(
        "consents",
        sa.Column("organization_id", _ID, nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("sent_at", _AT, nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"]),
        sa.PrimaryKeyConstraint("organization_id", "phone"),
    )


def downgrade() -> None:
    op.drop_table("consents")
    op.execute("DELETE FROM audit_log WHERE campaign_id IS NULL")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.alter_column("campaign_id", existing_type=_ID, nullable=False)
    op.drop_index("ix_conversations_inbox", table_name="conversations")
    op.drop_index("uq_conversations_inbox", table_name="conversations")
    op.drop_index("ix_conversations_contact", table_name="conversations")
    # Inbox conversations and address-book entries have no place in the older schema.
    op.execute(
        "DELETE FROM survey_answers WHERE conversation_id IN "
        "(SELECT id FROM conversations WHERE campaign_id IS NULL)"
    )
    op.execute(
        "DELETE FROM messages WHERE conversation_id IN "
        "(SELECT id FROM conversations WHERE campaign_id IS NULL)"
    )
    op.execute("DELETE FROM conversations WHERE campaign_id IS NULL")
    op.execute("DELETE FROM contacts WHERE campaign_id IS NULL")
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.alter_column("campaign_id", existing_type=_ID, nullable=False)
        batch_op.create_unique_constraint("conversations_contact_id_key", ["contact_id"])
    op.drop_index("uq_contacts_address_book", table_name="contacts")
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.alter_column("campaign_id", existing_type=_ID, nullable=False)
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.drop_column("consent_required")
        batch_op.drop_column("consent_message")
        batch_op.drop_column("allow_delete")
