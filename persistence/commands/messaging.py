"""Sending: initial messages, replies, follow-ups and notes on a conversation.

A send is two steps so that the SMS provider is never called while a row is
locked, and no message is ever lost:

1. :func:`send_message` (one transaction): checks every refusal, writes the
   message as ``queued``, updates the conversation's status columns, the
   counters and the live events. Nothing is written when it refuses.
2. After commit the send queue (``persistence/commands/send_queue.py``,
   run by ``server/dispatcher.py``) hands the text to the provider at the
   organization's pace and records the outcome. A message is ``queued`` until
   then, also across a crash: the row is the job.

Notes (``direction`` ``note``) are written the same way but never sent and
never change the conversation's status.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, cast

from sqlalchemy import Table, and_, bindparam, exists, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.orm.attributes import set_committed_value

from persistence.commands.consent import queue_consent
from persistence.commands.media import attachments
from persistence.outbox.notify import conversation_channels, emit_conversation, emit_counts, iso
from persistence.outbox.record import emit, write_with_events
from persistence.rules.campaign import WINDOW_PASSED_MESSAGE, refusal, window_state
from persistence.rules.channels import slot_row
from persistence.rules.errors import Conflict, InvalidInput, Locked, NotFound, PermissionDenied
from persistence.rules.media import stored_media
from persistence.rules.segments import plain_punctuation, segments
from persistence.rules.status import Counts, contribution
from persistence.rules.text import storable
from persistence.rules.texting_hours import TextingHours, check_hours
from persistence.store.counters import apply_deltas, deltas_write
from persistence.store.models import Campaign, Contact, Conversation, Message, OptOut, Organization, User
from persistence.store.scope import Actor
from persistence.store.types import utcnow
from persistence.store.write import Write

__all__ = [
    "MAX_BODY_CHARS",
    "Named",
    "Outbound",
    "apply_conversation_deltas",
    "check_body",
    "contribution_of",
    "emit_message",
    "fill_template",
    "message_data",
    "send_message",
    "slot_delta",
]

# Ten concatenated SMS segments: what the common providers accept in one message.
MAX_BODY_CHARS = 1600


class Named(Protocol):
    """Whoever a template names: a user, a contact, or their names read alone."""

    @property
    def first_name(self) -> str: ...
    @property
    def last_name(self) -> str: ...


@dataclass(frozen=True, slots=True)
class _Name:
    first_name: str
    last_name: str


def fill_template(template: str, *, sender: Named | None, contact: Named) -> str:
    """The campaign template with the contract's placeholders filled in (pure)."""
    values = {
        "%SenderFirstName%": sender.first_name if sender else "",
        "%SenderLastName%": sender.last_name if sender else "",
        "%ContactFirstName%": contact.first_name,
        "%ContactLastName%": contact.last_name,
    }
    for placeholder, value in values.items():
        template = template.replace(placeholder, value)
    return template


def check_body(body: str, *, may_be_empty: bool = False) -> str:
    """The body to send, or 422: empty after trimming (an MMS may be), too long, or unstorable."""
    text = body.strip()
    if not storable(text):
        raise InvalidInput(
            "The message has characters that cannot be sent (NUL or a lone surrogate).", code="invalid_text"
        )
    if not text and not may_be_empty:
        raise InvalidInput("The message is empty.", code="empty_body")
    if len(text) > MAX_BODY_CHARS:
        raise InvalidInput(
            f"The message is {len(text)} characters long; the limit is {MAX_BODY_CHARS}.",
            code="body_too_long",
        )
    return text


def contribution_of(conversation: Conversation) -> Counts:
    return contribution(
        initial_sent=conversation.initial_sent_at is not None,
        needs_reply=conversation.needs_reply,
        opted_out=conversation.opted_out,
    )


def slot_delta(conversation: Conversation, before: Counts) -> dict[int, Counts]:
    """The counter delta of one changed conversation, keyed by its slot (not yet applied)."""
    delta = contribution_of(conversation) - before
    if delta.is_zero():
        return {}
    return {slot_row(conversation.assigned_to): delta}


def message_data(message: Message) -> dict[str, Any]:
    """A message as the API and the ``message`` event show it."""
    return {
        "id": message.id,
        "conversation_id": message.conversation_id,
        "direction": message.direction,
        "body": message.body,
        "media_urls": list(message.media_urls or []),
        "media": stored_media(message.media),
        "sender_id": message.sender_id,
        "delivery_status": message.delivery_status,
        "error_code": message.error_code,
        "error_message": message.error_message,
        "automatic": bool(message.automatic),
        "segments": _segments(message),
        "created_at": iso(message.created_at),
    }


def _segments(message: Message) -> int:
    if message.direction == "note":
        return 0
    # An MMS is one message however long its text (carriers bill it as one).
    return 1 if message.media else segments(message.body)


def emit_message(session: AsyncSession, conversation: Conversation, message: Message) -> None:
    """The ``message`` event, to everyone watching the conversation."""
    data = {"conversation_id": conversation.id, "message": message_data(message)}
    for channel in conversation_channels(conversation):
        emit(session, channel, "message", data)


@dataclass(frozen=True, slots=True)
class Outbound:
    """What the caller must hand to the provider after commit (``to`` None for a note)."""

    message: Message
    conversation: Conversation
    to: str | None
    from_: str | None
    kind: str  # "initial", "reply", "follow_up", "note" or "opt_out_message"
    # The consent message queued right before this text (inbox conversations).
    consent: Message | None = None


def _compose(
    campaign: Campaign | None,
    conversation: Conversation,
    contact: Named,
    sender: Named | None,
    body: str | None,
    *,
    follow_up: bool,
    has_media: bool,
    now: datetime,
) -> tuple[str, str]:
    """Which kind of message this is and its text (not yet checked), or the refusal (pure).

    An inbox conversation (no campaign) has no template, window or follow-up:
    every text is a reply a person typed.
    """
    if campaign is None:
        if follow_up:
            raise Conflict("An inbox conversation has no follow-up message.", code="no_follow_up")
        if body is None and not has_media:
            raise InvalidInput("A text needs a 'body'.", code="empty_body")
        return "reply", body or ""
    if conversation.initial_sent_at is None:
        if follow_up:
            raise Conflict("The initial message has not been sent yet.", code="not_started")
        state = window_state(campaign.window_start, campaign.window_end, now)
        if state == "passed":
            raise Locked(WINDOW_PASSED_MESSAGE, code="window_passed")
        if state == "not_open":
            raise Locked("Initial message sending window has not opened yet", code="window_not_open")
        if body is None:
            body = fill_template(campaign.initial_message, sender=sender, contact=contact)
        return "initial", body
    if follow_up:
        if not (campaign.follow_up_message or "").strip():
            raise Conflict("This campaign has no follow-up message.", code="no_follow_up")
        if conversation.has_replied:
            raise Conflict("The contact has replied; answer them instead.", code="already_replied")
        if conversation.follow_up_sent_at is not None:
            raise Conflict("The follow-up message was already sent.", code="follow_up_sent")
        if body is None:
            body = fill_template(campaign.follow_up_message or "", sender=sender, contact=contact)
        return "follow_up", body
    if body is None:
        if has_media:
            return "reply", ""
        raise InvalidInput("A reply needs a 'body'.", code="empty_body")
    return "reply", body


# Everything a send checks, in one statement built once: the conversation
# (locked: the row lock serializes this send with a concurrent reassign or
# opt-out) and its campaign as objects, the rest as plain columns. Each read
# apart was a round trip of its own, with the transaction open.
_Signer = aliased(User)
_SEND_CONTEXT = (
    select(
        Conversation,
        Campaign,
        Contact.phone,
        Contact.first_name,
        Contact.last_name,
        _Signer.first_name,
        _Signer.last_name,
        Organization.sending_number,
        Organization.plain_punctuation,
        exists()
        .where(OptOut.organization_id == Organization.id, OptOut.phone == Contact.phone)
        .label("opted_out_number"),
    )
    .join(Contact, Contact.id == Conversation.contact_id)
    .join(Organization, Organization.id == Contact.organization_id)
    # An inbox conversation has no campaign.
    .outerjoin(Campaign, Campaign.id == Conversation.campaign_id)
    # The contact has been talking to the assigned sender: a sweeper sending on
    # their behalf still signs with the assigned sender's name (the pages' preview does too).
    .outerjoin(
        _Signer,
        and_(
            _Signer.id == func.coalesce(Conversation.assigned_to, bindparam("actor")),
            _Signer.organization_id == Organization.id,
        ),
    )
    .where(Conversation.id == bindparam("conversation"), Contact.organization_id == bindparam("organization"))
    .with_for_update(of=Conversation)
)
# On PostgreSQL the message's id is taken with the context, so that the
# message, the conversation's columns, the counters and the events can all be
# written in one statement (``record.write_with_events``); SQLite has no
# sequence and inserts the message first.
_SEND_CONTEXT_RESERVING = _SEND_CONTEXT.add_columns(func.nextval("messages_id_seq"))

# What a text changes on its conversation, written from the object's values
# (all of them, so that every send is one statement shape), and the message
# itself: built once, on the tables (the ORM's machinery would only add cost).
_SENT_COLUMNS = (
    "initial_sent_at",
    "follow_up_sent_at",
    "last_outbound_at",
    "last_message_at",
    "needs_reply",
    "needs_reply_since",
)
_conversations, _messages = cast(Table, Conversation.__table__), cast(Table, Message.__table__)
_CONVERSATION_SENT = (
    update(_conversations)
    .where(_conversations.c.id == bindparam("sent_conversation"))
    .values({column: bindparam(f"sent_{column}") for column in _SENT_COLUMNS})
)
_MESSAGE_COLUMNS = (
    "organization_id",
    "conversation_id",
    "direction",
    "body",
    "media_urls",
    "media",
    "sender_id",
    "delivery_status",
    "automatic",
    "send_attempts",
    "created_at",
)
_NEW_MESSAGE = (
    insert(_messages)
    .values({column: bindparam(f"new_{column}") for column in _MESSAGE_COLUMNS})
    .returning(_messages.c.id)
)
_NEW_MESSAGE_WITH_ID = insert(_messages).values(
    {column: bindparam(f"new_{column}") for column in ("id", *_MESSAGE_COLUMNS)}
)


async def send_message(
    session: AsyncSession,
    actor: Actor,
    conversation_id: int,
    *,
    body: str | None = None,
    follow_up: bool = False,
    note: bool = False,
    media_ids: list[int] | None = None,
) -> Outbound:
    """Queue an outbound message (or add a note) on a conversation.

    The first outbound message is the initial message: ``body`` left out
    means the campaign's template. ``follow_up`` sends the campaign's
    follow-up message (or ``body``) to a contact who never replied.
    ``media_ids`` (uploaded with ``POST /api/media``) make it an MMS, whose
    ``body`` may then be left out or empty.

    Raises:
        PermissionDenied: a sender's conversation that is not theirs (403);
            a note by a sender.
        Locked: campaign paused/closed/draft; initial window passed or not open (423).
        Conflict: contact opted out; follow-up not possible (409).
        InvalidInput: body missing, empty or too long; media not the
            organization's, too many or too large (422).
    """
    if note and follow_up:
        raise InvalidInput("A message is either a note or a follow-up, not both.", code="invalid_input")
    if note and media_ids:
        raise InvalidInput("A note is never sent, so it carries no media.", code="invalid_input")
    reserving = session.get_bind().dialect.name == "postgresql"
    found = (
        await session.execute(
            _SEND_CONTEXT_RESERVING if reserving else _SEND_CONTEXT,
            {"conversation": conversation_id, "actor": actor.user_id, "organization": actor.organization_id},
        )
    ).one_or_none()
    if found is None:
        raise NotFound(f"No conversation {conversation_id}.")
    conversation, campaign, phone, contact_first, contact_last, signer_first, signer_last = found[:7]
    org_number, plain, opted_out_number = found[7:10]
    message_id: int | None = found[10] if reserving else None
    if not actor.is_sweeper and conversation.assigned_to != actor.user_id:
        raise PermissionDenied("This conversation is not assigned to you.")
    if note:
        if not actor.is_sweeper:
            raise PermissionDenied("Only owners, admins and moderators may add notes.")
        if body is None:
            raise InvalidInput("A note needs a 'body'.", code="empty_body")
        return await _write(
            session, actor, conversation, check_body(body), "note", to=None, from_=None, message_id=message_id
        )

    refused = refusal(campaign.status) if campaign is not None else None
    if refused is not None:
        raise refused
    if conversation.opted_out or opted_out_number:
        raise Conflict("This contact has opted out; nothing was sent.", code="opted_out")

    now = utcnow()
    contact = _Name(contact_first, contact_last)
    sender = None if signer_first is None else _Name(signer_first, signer_last)
    media = await attachments(session, actor, media_ids) if media_ids else []
    kind, text = _compose(
        campaign, conversation, contact, sender, body, follow_up=follow_up, has_media=bool(media), now=now
    )
    # Replies to a contact who wrote may go at any hour; any other text only in the contact's hours.
    answering = kind == "reply" and conversation.has_replied
    # Texting hours are a campaign's; an inbox text is one person writing to another.
    hours = None if answering or campaign is None else TextingHours.from_json(campaign.texting_hours)
    check_hours(hours, phone, now)
    text = check_body(plain_punctuation(text) if plain else text, may_be_empty=bool(media))
    before = contribution_of(conversation)
    changes: dict[str, Any] = {
        "last_outbound_at": now,
        "last_message_at": now,
        "needs_reply": False,
        "needs_reply_since": None,
    }
    if kind == "initial" or conversation.initial_sent_at is None:
        changes["initial_sent_at"] = now
    if kind == "follow_up":
        changes["follow_up_sent_at"] = now
    # The object takes the new values as stored: the statement below stores
    # them, with the message, instead of the ORM's own UPDATE.
    for column, value in changes.items():
        set_committed_value(conversation, column, value)
    sent = {f"sent_{column}": getattr(conversation, column) for column in _SENT_COLUMNS}
    writes = [Write(_CONVERSATION_SENT, {"sent_conversation": conversation.id, **sent})]
    deltas = slot_delta(conversation, before)
    consent = None
    if campaign is None:  # campaign texts stay one human action each: no automatic consent text
        consent = await queue_consent(session, conversation, actor.organization_id, phone, now=now)
        if consent is not None:
            emit_message(session, conversation, consent)
            # The consent text goes first, so the text itself takes an id after it.
            message_id = None
    if deltas and conversation.campaign_id is not None:
        counters = deltas_write(session.get_bind().dialect.name, conversation.campaign_id, deltas)
        writes += [counters] if counters is not None else []
        emit_counts(session, conversation.campaign_id, deltas)
    out = await _write(
        session,
        actor,
        conversation,
        text,
        kind,
        to=phone,
        from_=org_number,
        now=now,
        media=media,
        message_id=message_id,
        writes=writes,
        conversation_changed=True,
    )
    return Outbound(out.message, conversation, out.to, out.from_, kind, consent) if consent else out


async def apply_conversation_deltas(
    session: AsyncSession, conversation: Conversation, deltas: dict[int, Counts]
) -> None:
    """Move the campaign's counters by ``deltas``; an inbox conversation has none."""
    if deltas and conversation.campaign_id is not None:
        await apply_deltas(session, conversation.campaign_id, deltas)
        emit_counts(session, conversation.campaign_id, deltas)


async def _write(
    session: AsyncSession,
    actor: Actor,
    conversation: Conversation,
    text: str,
    kind: str,
    *,
    to: str | None,
    from_: str | None,
    now: datetime | None = None,
    media: list[dict[str, Any]] | None = None,
    message_id: int | None = None,
    writes: Sequence[Write] = (),
    conversation_changed: bool = False,
) -> Outbound:
    """Write the message, ``writes`` and the events in as few round trips as the database allows.

    ``message_id``: reserved with the context (PostgreSQL); without one the
    message goes in first, for its id. ``conversation_changed``: the
    ``conversation`` event follows the ``message`` event, as pages expect.
    """
    values: dict[str, Any] = {
        "organization_id": actor.organization_id,
        "conversation_id": conversation.id,
        "direction": "note" if kind == "note" else "outbound",
        "body": text,
        "media_urls": [],
        "media": media or None,
        "sender_id": actor.user_id,
        "delivery_status": None if kind == "note" else "queued",
        "automatic": False,
        "send_attempts": 0,
        "created_at": now or utcnow(),
    }
    params = {f"new_{column}": value for column, value in values.items()}
    if message_id is None:
        message_id = await session.scalar(_NEW_MESSAGE, params)
        inserts: list[Write] = []
    else:
        inserts = [Write(_NEW_MESSAGE_WITH_ID, {"new_id": message_id, **params})]
    # Not added to the session: the statements store it; the answer and the
    # events are built from it.
    message = Message(id=message_id, **values)
    emit_message(session, conversation, message)
    if conversation_changed:
        emit_conversation(session, conversation)
    await write_with_events(session, *writes, *inserts)
    return Outbound(message, conversation, to, from_, kind)
