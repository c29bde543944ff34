"""The relational model of shiftline (SQLAlchemy 2 declarative).

Conversations carry the columns every contract status is derived from
(``initial_sent_at``, ``has_replied``, ``needs_reply``, ``opted_out``), kept
right by the commands that send, receive and opt out; no status is ever worked
out by scanning messages. ``conversation_counts`` keeps per-sender counters in
the same transactions, so the overview reads at most one row per sender.

The migration in ``migrations/versions`` must match this module; a test
compares them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, deferred, mapped_column

from persistence.rules.campaign import CAMPAIGN_STATES
from persistence.store.list_keys import list_indexes
from persistence.store.types import IdType, JSONType, UTCDateTime, utcnow

__all__ = [
    "DIRECTIONS",
    "LIST_INDEXES",
    "ROLES",
    "SCHEDULED_STATES",
    "SWEEPER_ROLES",
    "AuditEntry",
    "Base",
    "Broadcast",
    "BroadcastAck",
    "Campaign",
    "CampaignSender",
    "ChannelSeq",
    "Consent",
    "Contact",
    "Conversation",
    "ConversationCount",
    "DeliveryReceipt",
    "Drip",
    "Event",
    "InstanceSecret",
    "Media",
    "Message",
    "OptOut",
    "Organization",
    "PresenceState",
    "RecommendedReply",
    "ScheduledMessage",
    "SendPace",
    "SurveyAnswer",
    "SurveyQuestion",
    "UnmatchedInbound",
    "User",
]

ROLES = ("owner", "admin", "moderator", "sender")
SWEEPER_ROLES = frozenset({"owner", "admin", "moderator"})
DIRECTIONS = ("outbound", "inbound", "note")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    pass


class InstanceSecret(Base):
    """The token-signing key shared by every instance on one database."""

    __tablename__ = "instance_secrets"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    secret: Mapped[str] = mapped_column(String(128))


class Organization(Base):
    __tablename__ = "organizations"
    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    sending_number: Mapped[str | None] = mapped_column(String(20), unique=True)
    webhook_token: Mapped[str | None] = mapped_column(String(200))
    redact_phones: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    # Sent once after a keyword opt-out; NULL sends none (docs/texting-rules.md).
    opt_out_message: Mapped[str | None] = mapped_column(Text)
    plain_punctuation: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The SMS provider: "simulator" or "twilio". The auth token is stored only
    # encrypted (server/credentials.py), never in the clear.
    provider_kind: Mapped[str] = mapped_column(String(16), default="simulator", server_default="simulator")
    twilio_account_sid: Mapped[str | None] = mapped_column(String(64), index=True)
    twilio_auth_token_encrypted: Mapped[str | None] = mapped_column(Text)
    messaging_service_sid: Mapped[str | None] = mapped_column(String(64))
    send_rate_per_second: Mapped[int] = mapped_column(Integer, default=10, server_default="10")
    # Off: nobody may delete a conversation (403 delete_disabled).
    allow_delete: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    # Sent before the first text to a phone that has not had it (docs/inbox.md).
    consent_message: Mapped[str | None] = mapped_column(Text)
    consent_required: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    # Off: no drip may be applied, and pending drip steps are skipped (403 drips_disabled).
    allow_drips: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))


class User(Base):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint(_in("role", ROLES), name="ck_users_role"),)
    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Campaign(Base):
    __tablename__ = "campaigns"
    __table_args__ = (CheckConstraint(_in("status", CAMPAIGN_STATES), name="ck_campaigns_status"),)
    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    initial_message: Mapped[str] = mapped_column(Text)
    follow_up_message: Mapped[str | None] = mapped_column(Text)
    self_assign: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    status: Mapped[str] = mapped_column(String(16), default="draft", server_default="draft")
    window_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    window_end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # {"start": "09:00", "end": "21:00", "time_zone": ...} (persistence.rules.texting_hours)
    texting_hours: Mapped[dict[str, str] | None] = mapped_column(JSONType)
    practice: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Texts the carriers filtered (error 30007): shown on the overview.
    carrier_filtered: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # The overview highlights a reply that has waited longer than this.
    waiting_alert_minutes: Mapped[int] = mapped_column(Integer, default=10, server_default="10")
    # Move the waiting replies of a sender offline this long to the online senders (None: off).
    auto_rebalance_after_minutes: Mapped[int | None] = mapped_column(Integer)
    # The last automatic-rebalance tick that checked this campaign (claimed by compare-and-set).
    auto_rebalance_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CampaignSender(Base):
    __tablename__ = "campaign_senders"
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SurveyQuestion(Base):
    __tablename__ = "survey_questions"
    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    answers: Mapped[list[str]] = mapped_column(JSONType, default=list)


class Contact(Base):
    """A campaign's contact, or (``campaign_id`` NULL) an address-book entry.

    The address book holds one entry per phone in an organization; campaign
    contacts show in it through a union (persistence/queries/address_book.py)
    rather than a copy, so an upload writes each row once.
    """

    __tablename__ = "contacts"
    __table_args__ = (
        UniqueConstraint("campaign_id", "phone", name="uq_contacts_campaign_phone"),
        Index("ix_contacts_org_phone", "organization_id", "phone"),
        Index(
            "uq_contacts_address_book",
            "organization_id",
            "phone",
            unique=True,
            postgresql_where=text("campaign_id IS NULL"),
            sqlite_where=text("campaign_id IS NULL"),
        ),
    )
    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    # NULL: an address-book entry.
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"))
    first_name: Mapped[str] = mapped_column(String(200), default="")
    last_name: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(20))
    extra: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


class Conversation(Base):
    """One contact in one campaign, or an inbox conversation (``campaign_id`` NULL).

    An inbox conversation belongs to the user in ``assigned_to``; there is at
    most one per user and address-book entry. Status columns are maintained,
    never hand-set.
    """

    __tablename__ = "conversations"
    __table_args__ = (
        Index(
            "ix_conversations_slot_reply", "campaign_id", "assigned_to", "needs_reply", "needs_reply_since"
        ),
        Index("ix_conversations_slot_initial", "campaign_id", "assigned_to", "initial_sent_at", "id"),
        Index("ix_conversations_contact", "contact_id"),
        Index(
            "uq_conversations_inbox",
            "assigned_to",
            "contact_id",
            unique=True,
            postgresql_where=text("campaign_id IS NULL"),
            sqlite_where=text("campaign_id IS NULL"),
        ),
        Index(
            "ix_conversations_inbox",
            "assigned_to",
            "archived",
            "last_message_at",
            postgresql_where=text("campaign_id IS NULL"),
            sqlite_where=text("campaign_id IS NULL"),
        ),
    )
    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    # NULL: an inbox conversation.
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"))
    # NULL: the Unassigned pool (campaign conversations only).
    assigned_to: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    initial_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    follow_up_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_outbound_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_inbound_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_message_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    has_replied: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    needs_reply: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    needs_reply_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    # Hidden from every list, shown in search; a new inbound text clears it.
    archived: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))


class ConversationCount(Base):
    """Per-campaign, per-sender counters; ``slot`` 0 is the Unassigned pool.

    Campaign totals are the sum over a campaign's slots, so there is no single
    hot row that every send would have to lock.
    """

    __tablename__ = "conversation_counts"
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), primary_key=True)
    slot: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    assigned: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    not_started: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    sent: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    needs_reply: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    opted_out: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # How many changes moved this row, and how many of them a sender_stats
    # event has reported: a row where they differ awaits publication (see
    # persistence.outbox.counts), also after the process that changed it died.
    changes: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    published: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        CheckConstraint(_in("direction", DIRECTIONS), name="ck_messages_direction"),
        UniqueConstraint("organization_id", "provider_message_id", name="uq_messages_provider_id"),
        Index("ix_messages_conversation", "conversation_id", "id"),
        # A sender's last send and sends of the last minutes, for the overview.
        Index("ix_messages_sender_recent", "sender_id", "created_at"),
        # The send queue: the queued rows, oldest first (persistence/commands/send_queue.py).
        Index(
            "ix_messages_queued",
            "organization_id",
            "id",
            postgresql_where=text("delivery_status = 'queued'"),
            sqlite_where=text("delivery_status = 'queued'"),
        ),
    )
    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"))
    direction: Mapped[str] = mapped_column(String(10))
    body: Mapped[str] = mapped_column(Text)
    media_urls: Mapped[list[str]] = mapped_column(JSONType, default=list)
    # MMS: [{"id", "content_type", "size"}] uploaded and sent (rows of ``media``), or
    # [{"url", "content_type"}] a contact texted; NULL on a text without any.
    media: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONType, nullable=True)
    sender_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    provider_message_id: Mapped[str | None] = mapped_column(String(100))
    delivery_status: Mapped[str | None] = mapped_column(String(20))
    # Sent by shiftline itself (the opt-out message), not typed by a person.
    automatic: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    # Until when an instance holds this queued message (its claim); another
    # instance takes it over after that, so a killed instance loses nothing.
    delivery_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Tries the provider throttled so far, and when the next may start.
    send_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    not_before: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error_code: Mapped[str | None] = mapped_column(String(40))
    error_message: Mapped[str | None] = mapped_column(Text)


class Media(Base):
    """A picture or video uploaded to send by MMS (docs/media.md).

    The bytes live in ``data`` unless an S3-compatible store holds them under
    ``storage_key``. ``data`` is deferred: listing or checking media never
    loads the file.
    """

    __tablename__ = "media"
    __table_args__ = (Index("ix_media_organization", "organization_id", "id"),)
    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(BigInteger)
    data: Mapped[bytes | None] = deferred(mapped_column(LargeBinary, nullable=True))
    storage_key: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DeliveryReceipt(Base):
    """A provider's status callback, stored as it came before it is applied.

    ``applied_at`` stays NULL while no message carries ``provider_message_id``
    yet (a callback that beat the send's answer); it is applied when one does.
    """

    __tablename__ = "delivery_receipts"
    __table_args__ = (
        Index("ix_delivery_receipts_message", "organization_id", "provider_message_id"),
        Index(
            "ix_delivery_receipts_pending",
            "id",
            postgresql_where=text("applied_at IS NULL"),
            sqlite_where=text("applied_at IS NULL"),
        ),
    )
    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    provider_message_id: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20))
    error_code: Mapped[str | None] = mapped_column(String(40))
    raw: Mapped[dict[str, Any]] = mapped_column(JSONType)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SendPace(Base):
    """An organization's pace shared by every instance without Redis (server/pacing.py).

    ``next_at``: the earliest moment (epoch seconds) the next text may reach
    the provider. ``published_depth``/``published_at``: the last ``send_queue``
    event, so that instances together publish at most one a second.
    """

    __tablename__ = "send_pace"
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), primary_key=True)
    next_at: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    published_depth: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    published_at: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")


class UnmatchedInbound(Base):
    """An inbound text that matched no conversation: kept for review, never dropped."""

    __tablename__ = "unmatched_inbound"
    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    from_phone: Mapped[str] = mapped_column(String(40))
    to_phone: Mapped[str] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(Text)
    media_urls: Mapped[list[str]] = mapped_column(JSONType, default=list)
    provider_message_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OptOut(Base):
    __tablename__ = "opt_outs"
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), primary_key=True)
    # "manual" or "keyword"
    source: Mapped[str] = mapped_column(String(10))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Consent(Base):
    """When a phone got its organization's consent message (at most once)."""

    __tablename__ = "consents"
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), primary_key=True)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SurveyAnswer(Base):
    __tablename__ = "survey_answers"
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("survey_questions.id"), primary_key=True)
    answer: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RecommendedReply(Base):
    """A canned reply; ``campaign_id`` NULL means organization-wide."""

    __tablename__ = "recommended_replies"
    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PresenceState(Base):
    """A user's last presence change in a campaign (what the automatic rebalance reads).

    Written only by presence changes, under the campaign channel's lock: a
    table of its own, so no other lock (a sender row's) can form a cycle with it.
    """

    __tablename__ = "presence_states"
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    online: Mapped[bool] = mapped_column(Boolean)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ChannelSeq(Base):
    """The last ``seq`` handed out on each live channel."""

    __tablename__ = "channel_seqs"
    channel: Mapped[str] = mapped_column(String(100), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)


class Event(Base):
    """The event log: written in the transaction of the change that causes it."""

    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("channel", "seq", name="uq_events_channel_seq"),
        Index(
            "ix_events_unpublished",
            "id",
            postgresql_where=text("NOT published"),
            sqlite_where=text("NOT published"),
        ),
        Index("ix_events_created_at", "created_at"),
    )
    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    channel: Mapped[str] = mapped_column(String(100))
    # Null only inside the writing transaction on PostgreSQL, which numbers
    # its events while it commits (migration 0002); committed rows have one.
    seq: Mapped[int] = mapped_column(BigInteger, nullable=True)
    kind: Mapped[str] = mapped_column(String(20))
    data: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))


class AuditEntry(Base):
    """Who changed what in a campaign, and when; kept as long as the campaign.

    Written in the transaction of the change itself, so an entry exists
    exactly when the change does. Unlike the event log it is never pruned.
    """

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_campaign", "campaign_id", "id"),)
    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    # None: an inbox conversation's entry (its detail names the organization).
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"))
    # None: the system (a keyword opt-out, a provider's answer).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(40))
    detail: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Broadcast(Base):
    """A sweeper's message to every sender of a campaign."""

    __tablename__ = "broadcasts"
    __table_args__ = (Index("ix_broadcasts_campaign", "campaign_id", "id"),)
    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BroadcastAck(Base):
    """A sender's "Got it" to a broadcast."""

    __tablename__ = "broadcast_acks"
    broadcast_id: Mapped[int] = mapped_column(ForeignKey("broadcasts.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    acked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


SCHEDULED_STATES = ("pending", "sent", "skipped")


class Drip(Base):
    """A drip: texts sent at set times after it is applied to an inbox conversation.

    ``steps`` is ``[{"after_seconds", "body"}, ...]``, each counted from the
    moment the drip is applied, in ascending order (docs/inbox.md).
    """

    __tablename__ = "drips"
    __table_args__ = (Index("ix_drips_organization", "organization_id", "id"),)
    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    name: Mapped[str] = mapped_column(String(200))
    steps: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ScheduledMessage(Base):
    """A text to send at ``send_at``: the job of the scheduler (persistence/commands/scheduler.py).

    ``pending`` until the scheduler queues it as a message (``sent``, with
    ``message_id``) or finds it may not go any more (``skipped``, with the
    reason); both happen in one transaction with the change they record.
    ``drip_step`` is set for a drip's step: an inbound text deletes those.
    """

    __tablename__ = "scheduled_messages"
    __table_args__ = (
        CheckConstraint(_in("state", SCHEDULED_STATES), name="ck_scheduled_messages_state"),
        Index(
            "ix_scheduled_messages_due",
            "send_at",
            "id",
            postgresql_where=text("state = 'pending'"),
            sqlite_where=text("state = 'pending'"),
        ),
        Index("ix_scheduled_messages_conversation", "conversation_id", "send_at"),
    )
    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    send_at: Mapped[datetime] = mapped_column(UTCDateTime)
    drip_id: Mapped[int | None] = mapped_column(IdType)
    drip_step: Mapped[int | None] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(10), default="pending", server_default="pending")
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    skip_reason: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# The Admin Messenger's sort orders, as indexes (built from the expressions the lists sort by).
LIST_INDEXES = list_indexes(Conversation, Contact)
