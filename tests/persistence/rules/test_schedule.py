"""When automatic texts may be set to go: the scheduled time and a drip's step times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from persistence.rules.errors import InvalidInput
from persistence.rules.schedule import MAX_AHEAD, MAX_STEPS, check_send_at, check_step_times, step_times

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
DAY = 86400


def test_a_scheduled_time_is_in_the_future_and_within_a_year_and_a_day() -> None:
    soon = NOW + timedelta(seconds=1)
    assert check_send_at(soon, NOW) == soon
    assert check_send_at(NOW + MAX_AHEAD, NOW) == NOW + MAX_AHEAD
    for when, code in ((NOW, "send_at_past"), (NOW - timedelta(minutes=1), "send_at_past")):
        with pytest.raises(InvalidInput) as refused:
            check_send_at(when, NOW)
        assert refused.value.code == code
    with pytest.raises(InvalidInput) as refused:
        check_send_at(NOW + MAX_AHEAD + timedelta(seconds=1), NOW)
    assert refused.value.code == "send_at_too_far"


def test_steps_count_from_when_the_drip_is_applied() -> None:
    # The seed's example: intervals of 1, 3 and 5 days go one, three and five days from now.
    assert step_times([DAY, 3 * DAY, 5 * DAY], NOW) == [NOW + timedelta(days=d) for d in (1, 3, 5)]
    check_step_times([0, 0, 60, 60, DAY])  # equal times keep their order


@pytest.mark.parametrize(
    ("times", "code"),
    [
        ([], "invalid_steps"),
        ([60] * (MAX_STEPS + 1), "invalid_steps"),
        ([-1], "invalid_steps"),
        ([3 * DAY, DAY], "steps_out_of_order"),
        ([0, int(MAX_AHEAD.total_seconds()) + 1], "send_at_too_far"),
    ],
)
def test_step_times_out_of_bounds_or_order_are_refused(times: list[int], code: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_step_times(times)
    assert refused.value.code == code
