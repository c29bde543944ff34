"""The contract's status table, as a pure function, and what each status counts for."""

from __future__ import annotations

import pytest

from persistence.rules.status import Counts, contribution, derive_status


@pytest.mark.parametrize(
    ("initial_sent", "has_replied", "needs_reply", "opted_out", "expected"),
    [
        (False, False, False, False, "not_started"),
        (True, False, False, False, "sent"),
        (True, True, True, False, "needs_reply"),
        (True, True, False, False, "replied"),
        (True, True, True, True, "opted_out"),  # a STOP never leaves a green dot
        (False, False, False, True, "opted_out"),
        (False, True, True, False, "needs_reply"),  # a contact may text first
    ],
)
def test_status_follows_the_contract_table(
    initial_sent: bool, has_replied: bool, needs_reply: bool, opted_out: bool, expected: str
) -> None:
    status = derive_status(
        initial_sent=initial_sent, has_replied=has_replied, needs_reply=needs_reply, opted_out=opted_out
    )
    assert status == expected


def test_an_opted_out_contact_counts_neither_as_waiting_nor_as_not_started() -> None:
    counts = contribution(initial_sent=False, needs_reply=True, opted_out=True)
    assert counts == Counts(assigned=1, not_started=0, sent=0, needs_reply=0, opted_out=1)


def test_progress_counts_every_conversation_whose_initial_message_went_out() -> None:
    assert contribution(initial_sent=True, needs_reply=False, opted_out=True).sent == 1
    assert contribution(initial_sent=True, needs_reply=True, opted_out=False).needs_reply == 1


def test_counts_add_and_subtract() -> None:
    a = Counts(1, 1, 0, 0, 0)
    b = Counts(1, 0, 1, 1, 0)
    assert a + b == Counts(2, 1, 1, 1, 0)
    assert (a + b) - b == a
    assert (a - a).is_zero()
