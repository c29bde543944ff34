"""The transactional outbox: a change's events commit with it, then go to a subscriber.

The way of an event (docs/architecture.md draws it)::

    command ── record.emit / notify.emit_counts ──▶ Pending (on the session)
    Database.transaction ── before_commit ──▶ Outbox writes the events (record.flush_events)
                         ── COMMIT (PostgreSQL numbers the events here)
                         ── after_commit ──▶ Outbox reads the seqs ──▶ subscriber.events(...)
                                                                  └─▶ subscriber.counts(...)

The subscriber is the live hub of a server process (``server.live``); it
publishes to the broker. Without one (the CLI, scripts, tests of single
commands) the events stay in the log, where the relay of any running server
finds them, and counter events are published right away.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from persistence.outbox.counts import publish_counts_now
from persistence.outbox.pending import CountMarks, pending
from persistence.outbox.record import flush_events, numbered
from persistence.rules.events import EventRecord
from persistence.store.database import Database

__all__ = ["Outbox", "Subscriber", "open_database"]


@dataclass(frozen=True, slots=True)
class Subscriber:
    """Who takes what the outbox hands on after each commit.

    ``events`` gets a transaction's events with their seqs and must not raise
    (what it fails to publish, the relay publishes later); ``counts`` gets the
    counter slots the transaction changed, to publish their counts soon. Left
    out, events stay in the log for the relay and counts are published at once.
    """

    events: Callable[[list[EventRecord]], Awaitable[None]] | None = None
    counts: Callable[[CountMarks], None] | None = None


class Outbox:
    """Joins every transaction of ``db``; hands committed events to one subscriber."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._subscriber: Subscriber | None = None
        db.hooks.append(self)

    @classmethod
    def of(cls, db: Database) -> Outbox:
        """The outbox that joins ``db``'s transactions (see :func:`open_database`)."""
        for hook in db.hooks:
            if isinstance(hook, cls):
                return hook
        raise LookupError("this database has no outbox: open it with open_database()")

    def subscribe(self, subscriber: Subscriber) -> None:
        """Hand what commits from now on to ``subscriber`` (one at a time)."""
        if self._subscriber is not None:
            raise RuntimeError("the outbox has a subscriber already; one per process")
        self._subscriber = subscriber

    def unsubscribe(self) -> None:
        self._subscriber = None

    @contextmanager
    def subscribed(self, subscriber: Subscriber) -> Iterator[None]:
        """Hand committed events to ``subscriber`` while the block runs."""
        self.subscribe(subscriber)
        try:
            yield
        finally:
            self.unsubscribe()

    async def before_commit(self, session: AsyncSession) -> None:
        pending(session).committed = await flush_events(session)

    async def after_commit(self, session: AsyncSession) -> None:
        todo = pending(session)
        subscriber = self._subscriber or Subscriber()
        if todo.committed:
            async with self.db.session() as reader:
                todo.committed = await numbered(reader, todo.committed)
            if subscriber.events is not None:
                await subscriber.events(todo.committed)
        marks, todo.counts = todo.counts, {}
        if marks:
            if subscriber.counts is not None:
                subscriber.counts(marks)
            else:
                await publish_counts_now(self.db, marks)


def open_database(
    url: str, *, echo: bool = False, pool_size: int = 10, connect_timeout: float = 5.0
) -> Database:
    """A :class:`Database` whose transactions write their events (what every process wants)."""
    db = Database(url, echo=echo, pool_size=pool_size, connect_timeout=connect_timeout)
    Outbox(db)
    return db
