"""A client's stream is held to the contract's seq rules: no gap, no duplicate, in order."""

from __future__ import annotations

from loadtests.seqcheck import SeqChecker


def kinds(checker: SeqChecker) -> list[str]:
    return [a.kind for a in checker.finish()]


def test_a_clean_stream_after_subscribing_has_no_anomaly() -> None:
    c = SeqChecker()
    c.subscribed("sender:1:2", 41)
    assert [c.accept("sender:1:2", s) for s in (42, 43, 44)] == [True, True, True]
    assert c.last("sender:1:2") == 44
    assert kinds(c) == []
    assert c.accepted == 3


def test_a_skipped_seq_that_never_comes_is_lost() -> None:
    c = SeqChecker()
    c.subscribed("campaign:1", 0)
    c.accept("campaign:1", 1)
    assert c.accept("campaign:1", 3) is True
    assert c.open_gaps() == 1
    assert [str(a) for a in c.finish()] == ["lost on campaign:1 at seq 2"]


def test_merged_stats_for_a_slow_client_are_not_a_loss() -> None:
    # Queued: 11 stats, 12 conversation, 13 stats; the server merged 11 into 13.
    c = SeqChecker()
    c.subscribed("campaign:1", 10)
    c.accept("campaign:1", 12)
    assert c.accept("campaign:1", 13, supersedes=[11]) is True
    assert kinds(c) == []


def test_a_late_seq_fills_its_gap_but_counts_as_out_of_order() -> None:
    c = SeqChecker()
    c.subscribed("campaign:1", 0)
    for seq in (1, 3):
        c.accept("campaign:1", seq)
    assert c.accept("campaign:1", 2) is True
    assert kinds(c) == ["out_of_order"]


def test_a_repeated_seq_is_a_duplicate_and_is_not_applied() -> None:
    c = SeqChecker()
    c.subscribed("campaign:1", 5)
    c.accept("campaign:1", 6)
    assert c.accept("campaign:1", 6) is False
    assert c.accept("campaign:1", 4) is False
    assert kinds(c) == ["duplicate", "duplicate"]


def test_resuming_with_since_keeps_the_position_and_waits_for_the_announced_seq() -> None:
    c = SeqChecker()
    c.subscribed("sender:1:2", 10)
    c.accept("sender:1:2", 11)
    # The connection broke; the client resubscribes with since=11 and the server is at 14.
    c.subscribed("sender:1:2", 14)
    assert c.last("sender:1:2") == 11
    assert not c.caught_up()
    for seq in (12, 13, 14):
        c.accept("sender:1:2", seq)
    assert c.caught_up()
    assert kinds(c) == []


def test_a_resync_is_reported_and_restarts_the_channel() -> None:
    c = SeqChecker()
    c.subscribed("campaign:1", 3)
    c.resync("campaign:1", 90)
    assert c.accept("campaign:1", 91) is True
    assert kinds(c) == ["resync"]


def test_each_channel_is_checked_on_its_own() -> None:
    c = SeqChecker()
    c.subscribed("a", 0)
    c.subscribed("b", 100)
    c.accept("a", 1)
    c.accept("b", 101)
    c.accept("a", 2)
    assert kinds(c) == []
    assert str(SeqChecker().finish()) == "[]"
