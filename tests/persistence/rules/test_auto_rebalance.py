"""Who an automatic rebalance takes waiting replies from."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from persistence.rules.auto_rebalance import SenderState, due_senders

NOW = datetime(2026, 11, 30, 21, 0, tzinfo=UTC)


def ago(minutes: float) -> datetime:
    return NOW - timedelta(minutes=minutes)


def test_only_offline_senders_with_replies_waiting_for_the_campaigns_minutes_are_due() -> None:
    senders = {
        1: SenderState(2, ago(600), (False, ago(6))),  # left six minutes ago: due
        2: SenderState(2, ago(600), (False, ago(4))),  # left four minutes ago: not yet
        3: SenderState(0, ago(600), (False, ago(60))),  # nothing waiting
        4: SenderState(2, ago(600), (False, ago(60))),  # online again (presence says so)
        5: SenderState(2, ago(10), None),  # never seen, added ten minutes ago: due
        6: SenderState(2, ago(2), None),  # never seen, added two minutes ago
        7: SenderState(2, ago(600), (True, ago(60))),  # presence lost them just now
        8: SenderState(1, ago(600), (False, ago(5))),  # exactly five minutes: due
    }
    assert due_senders(senders, {4}, now=NOW, after_minutes=5) == {1, 5, 8}
    assert due_senders(senders, set(), now=NOW, after_minutes=60) == {4}
