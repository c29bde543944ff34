"""A channel's events come out in seq order, each once, whatever order they arrive in."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from persistence.rules.events import EventRecord
from server.live.sequencer import Sequencer


def ev(seq: int) -> EventRecord:
    return EventRecord(seq, "campaign:1", seq, "stats", {}, datetime(2026, 11, 30, tzinfo=UTC))


def seqs(records: tuple[EventRecord, ...]) -> list[int]:
    return [r.seq for r in records]


def test_events_before_the_channel_is_positioned_wait_for_the_position() -> None:
    s = Sequencer()
    assert s.offer(ev(5)).ready == () and not s.offer(ev(6)).gap
    assert seqs(s.start_at(4)) == [5, 6]
    assert s.last == 6


def test_an_early_event_is_held_and_a_gap_reported_then_filled_in_order() -> None:
    s = Sequencer()
    s.start_at(0)
    assert seqs(s.offer(ev(1)).ready) == [1]
    early = s.offer(ev(3))
    assert early.ready == () and early.gap and s.waiting
    assert seqs(s.offer(ev(2)).ready) == [2, 3]
    assert not s.waiting


def test_an_event_seen_already_is_dropped() -> None:
    s = Sequencer()
    s.start_at(0)
    s.offer(ev(1))
    assert s.offer(ev(1)) == s.offer(ev(0))
    assert s.offer(ev(1)).ready == ()


def test_a_gap_gone_from_the_log_is_skipped_and_the_resync_point_given() -> None:
    s = Sequencer()
    s.start_at(2)
    s.offer(ev(7))
    s.offer(ev(8))
    resync_at, ready = s.skip_gap()
    assert resync_at == 6 and seqs(ready) == [7, 8]


@given(st.permutations(list(range(1, 30))), st.lists(st.integers(1, 29), max_size=20))
def test_any_arrival_order_with_repeats_comes_out_gapless_and_once(
    order: list[int], repeats: list[int]
) -> None:
    s = Sequencer()
    s.start_at(0)
    out: list[int] = []
    for seq in [*order, *repeats]:
        out += seqs(s.offer(ev(seq)).ready)
    assert out == list(range(1, 30))
