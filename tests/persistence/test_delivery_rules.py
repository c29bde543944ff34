"""The pure rules of a text's way: forward-only statuses, carrier errors, backoff and pace."""

from __future__ import annotations

import pytest

from persistence.rules.delivery import (
    MAX_TRIES,
    backoff_seconds,
    describe_error,
    is_throttling,
    moves_forward,
    receipt_outcome,
    status_of,
)
from persistence.rules.pace import PACE_MARGIN, eta_seconds, interval, reserve


def test_statuses_only_move_forward() -> None:
    assert moves_forward("queued", "sent") and moves_forward("sent", "delivered")
    assert moves_forward("queued", "failed")
    assert not moves_forward("delivered", "sent")
    assert not moves_forward("delivered", "undelivered")
    assert not moves_forward("sent", "sent")
    assert not moves_forward(None, "sent") and not moves_forward("received", "delivered")


def test_twilios_status_words_map_to_ours() -> None:
    assert [status_of(w) for w in ("accepted", "sending", "Sent", "delivered", "canceled")] == [
        "sent",
        "sent",
        "sent",
        "delivered",
        "failed",
    ]
    assert status_of("receiving") is None


def test_carrier_errors_fail_opt_out_or_count() -> None:
    landline = receipt_outcome("undelivered", "30006")
    assert landline.status == "failed" and landline.error_code == "30006"
    assert landline.error_message is not None and "landline" in landline.error_message
    assert receipt_outcome("failed", "21610").opt_out
    filtered = receipt_outcome("undelivered", "30007")
    assert filtered.filtered and filtered.status == "undelivered"
    delivered = receipt_outcome("delivered", None)
    assert delivered.error_code is None and not delivered.opt_out
    assert describe_error("99999") == "The provider reported error 99999."
    assert describe_error(None) is None


def test_throttling_backs_off_doubling_and_gives_up_after_five_tries() -> None:
    assert all(is_throttling(c) for c in ("429", "20429", "30001")) and not is_throttling("21211")
    assert [backoff_seconds(t) for t in range(1, 5)] == [1.0, 2.0, 4.0, 8.0]
    assert backoff_seconds(20) == 60.0
    assert MAX_TRIES == 5


@pytest.mark.parametrize("rate", [1, 10, 100])
def test_even_spacing_keeps_any_second_within_the_rate_despite_jitter(rate: int) -> None:
    next_at, slots = 0.0, []
    for _ in range(rate * 5):
        slot, next_at = reserve(next_at, 0.0, rate)
        slots.append(slot)
    # Calls may reach the provider up to PACE_MARGIN late or early relative to each other.
    jitter = PACE_MARGIN * 0.99
    arrivals = sorted(s + (jitter if i % 2 else 0.0) for i, s in enumerate(slots))
    for i, start in enumerate(arrivals):
        assert sum(1 for t in arrivals[i:] if t < start + 1.0) <= rate


def test_an_idle_pace_starts_now_and_the_wait_is_told() -> None:
    slot, following = reserve(5.0, 100.0, 10)
    assert slot == 100.0 and following == pytest.approx(100.0 + interval(10))
    assert reserve(100.5, 100.0, 10)[0] == 100.5
    assert eta_seconds(0, 10) == 0.0 and eta_seconds(100, 10) == pytest.approx(12.0)  # 0.12 s apart
    with pytest.raises(ValueError):
        interval(0)
