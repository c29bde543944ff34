"""Putting one channel's events in seq order (pure: no I/O, no asyncio).

Events reach an instance more than once and out of order: straight from a
local commit, back through the broker, from the relay, from a catch-up read
of the log. Per channel the :class:`Sequencer` keeps the last seq handed on;
it drops what it has seen, holds back what comes early, and says when a gap
must be filled from the log. The hub does the I/O around it (``hub.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

from persistence.rules.events import EventRecord

__all__ = ["Offer", "Sequencer"]


@dataclass(frozen=True, slots=True)
class Offer:
    """What an offered event leads to: records to hand on now, in seq order, and
    whether a gap before the held ones needs a read of the log."""

    ready: tuple[EventRecord, ...] = ()
    gap: bool = False


_NOTHING = Offer()
_GAP = Offer(gap=True)


class Sequencer:
    """The seq state of one channel: ``last`` handed on (-1 until positioned) and those held."""

    __slots__ = ("held", "last")

    def __init__(self) -> None:
        self.last = -1
        self.held: dict[int, EventRecord] = {}

    @property
    def positioned(self) -> bool:
        return self.last >= 0

    @property
    def waiting(self) -> bool:
        """Events are held behind a gap."""
        return bool(self.held) and self.positioned

    def offer(self, record: EventRecord) -> Offer:
        """Take one event; see :class:`Offer`."""
        seq = record.seq
        if self.last < 0 or seq > self.last + 1:
            if seq > self.last:
                self.held[seq] = record
            return _GAP if self.last >= 0 else _NOTHING
        if seq <= self.last:
            return _NOTHING  # seen already
        self.last = seq
        if not self.held:
            return Offer((record,))
        return Offer((record, *self._drain()))

    def start_at(self, seq: int) -> tuple[EventRecord, ...]:
        """Position the channel at ``seq`` (the log's current one); hand on what was held after it."""
        self.last = seq
        return self._drain()

    def skip_gap(self) -> tuple[int, tuple[EventRecord, ...]]:
        """The gap is gone from the log for good: jump to the first held event.

        Returns the seq the subscribers must resync from, and what is ready then.
        """
        self.last = min(self.held) - 1
        return self.last, self._drain()

    def _drain(self) -> tuple[EventRecord, ...]:
        held = self.held
        for seq in [s for s in held if s <= self.last]:
            del held[seq]
        out: list[EventRecord] = []
        while (record := held.pop(self.last + 1, None)) is not None:
            self.last = record.seq
            out.append(record)
        return tuple(out)
