"""Checks one client's event stream against the contract's seq rules (pure).

The contract: ``seq`` rises by exactly one per event on each channel, and a
client that resubscribes with ``since`` gets every later event, in order, none
twice. The checker is fed what a client receives and says, per event, whether
to apply it; it keeps every departure from those rules as an :class:`Anomaly`:

- ``lost``: a seq was skipped and never arrived (a gap; reported by :meth:`SeqChecker.finish`);
- ``out_of_order``: a seq arrived after a higher one (it filled an earlier gap);
- ``duplicate``: a seq arrived that was already received;
- ``resync``: the server said the history needed was gone.

A slow client's superseded ``stats``/``sender_stats`` events are merged by the
server into the newer one, whose frame lists the seqs it ``supersedes``: those
count as delivered (they may be named after a later event already arrived,
so a skipped seq is only a loss if nothing accounts for it by the end).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

__all__ = ["Anomaly", "AnomalyKind", "SeqChecker"]

AnomalyKind = Literal["lost", "out_of_order", "duplicate", "resync"]

# Gaps wider than this are kept as a count, not as every missing number.
_MAX_TRACKED_MISSING = 10_000


@dataclass(frozen=True, slots=True)
class Anomaly:
    kind: AnomalyKind
    channel: str
    seq: int
    detail: str = ""

    def __str__(self) -> str:
        extra = f" ({self.detail})" if self.detail else ""
        return f"{self.kind} on {self.channel} at seq {self.seq}{extra}"


class SeqChecker:
    """Per-channel seq bookkeeping for one client.

    Call :meth:`subscribed` on each ``subscribed`` frame, :meth:`accept` on
    each ``event`` frame, :meth:`resync` on a ``resync`` frame, and
    :meth:`finish` once at the end.
    """

    def __init__(self) -> None:
        self._last: dict[str, int] = {}
        self._missing: dict[str, set[int]] = {}
        self._target: dict[str, int] = {}
        self.anomalies: list[Anomaly] = []
        self.accepted = 0

    def last(self, channel: str) -> int | None:
        """The highest seq received on ``channel`` (or the subscription's start): the next ``since``."""
        return self._last.get(channel)

    def target(self, channel: str) -> int:
        """The channel's seq the server announced at the latest subscribe."""
        return self._target.get(channel, 0)

    def caught_up(self) -> bool:
        """True when every channel has reached the seq announced at its latest subscribe."""
        return all(self._last.get(ch, 0) >= seq for ch, seq in self._target.items())

    def open_gaps(self) -> int:
        """Seqs skipped so far and not (yet) accounted for."""
        return sum(len(m) for m in self._missing.values())

    def subscribed(self, channel: str, seq: int) -> None:
        """A ``subscribed`` frame: a fresh subscription starts after ``seq``; a resumed one catches up."""
        self._target[channel] = seq
        if channel not in self._last:
            self._last[channel] = seq

    def resync(self, channel: str, seq: int | None = None) -> None:
        """The server could not replay: count it and start over from ``seq`` (or the next event)."""
        self.anomalies.append(Anomaly("resync", channel, self._last.get(channel, 0)))
        self._missing.pop(channel, None)
        if seq is None:
            self._last.pop(channel, None)
        else:
            self._last[channel] = seq
            self._target[channel] = seq

    def accept(self, channel: str, seq: int, supersedes: Iterable[int] = ()) -> bool:
        """Whether to apply the event; records any anomaly it shows."""
        applied = self._accept(channel, seq)
        missing = self._missing.get(channel)
        if missing:
            missing.difference_update(supersedes)
        return applied

    def _accept(self, channel: str, seq: int) -> bool:
        last = self._last.get(channel)
        if last is None:
            # An event before any subscribed frame: take it as the start.
            self._last[channel] = seq
            self.accepted += 1
            return True
        if seq == last + 1:
            self._last[channel] = seq
            self.accepted += 1
            return True
        if seq > last + 1:
            missing = self._missing.setdefault(channel, set())
            if len(missing) < _MAX_TRACKED_MISSING:
                missing.update(range(last + 1, min(seq, last + 1 + _MAX_TRACKED_MISSING)))
            self._last[channel] = seq
            self.accepted += 1
            return True
        holes = self._missing.get(channel)
        if holes is not None and seq in holes:
            holes.discard(seq)
            self.anomalies.append(Anomaly("out_of_order", channel, seq, f"after {last}"))
            self.accepted += 1
            return True
        self.anomalies.append(Anomaly("duplicate", channel, seq))
        return False

    def finish(self) -> list[Anomaly]:
        """Record every seq still missing as lost; return all anomalies."""
        for channel, missing in sorted(self._missing.items()):
            self.anomalies.extend(Anomaly("lost", channel, seq) for seq in sorted(missing))
            missing.clear()
        return self.anomalies
