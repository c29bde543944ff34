"""The campaign lifecycle, fed states and checked answers (pure)."""

from __future__ import annotations

import pytest

from persistence.rules.campaign import CAMPAIGN_STATES, TRANSITIONS, check_launch, check_transition
from persistence.rules.errors import Conflict, InvalidInput


@pytest.mark.parametrize(
    ("current", "new"),
    [
        ("draft", "active"),
        ("draft", "closed"),
        ("active", "paused"),
        ("paused", "active"),
        ("active", "closed"),
        ("paused", "closed"),
    ],
)
def test_legal_changes(current: str, new: str) -> None:
    assert check_transition(current, new) is True


@pytest.mark.parametrize("state", CAMPAIGN_STATES)
def test_setting_the_same_state_is_a_no_op(state: str) -> None:
    assert check_transition(state, state) is False


def test_every_other_change_is_refused_with_a_fix() -> None:
    for current in CAMPAIGN_STATES:
        for new in CAMPAIGN_STATES:
            if new == current or new in TRANSITIONS[current]:
                continue
            with pytest.raises(Conflict) as caught:
                check_transition(current, new)
            assert caught.value.code == "illegal_transition"
            assert any(word in caught.value.message for word in ("instead", "first", "until", "cannot"))


def test_closed_is_final() -> None:
    assert TRANSITIONS["closed"] == frozenset()
    with pytest.raises(Conflict, match="create a new campaign"):
        check_transition("closed", "active")


def test_unknown_status() -> None:
    with pytest.raises(InvalidInput):
        check_transition("draft", "archived")


@pytest.mark.parametrize(
    ("contacts", "message", "says"),
    [
        (0, "Hi!", "Upload contacts"),
        (5, "  ", "Write the initial message"),
        (0, "", "Write the initial message"),
    ],
)
def test_a_launch_needs_contacts_and_an_initial_message(contacts: int, message: str, says: str) -> None:
    with pytest.raises(Conflict, match=says) as refused:
        check_launch(contact_count=contacts, initial_message=message)
    assert refused.value.code == "campaign_not_ready"


def test_a_campaign_with_both_may_launch() -> None:
    check_launch(contact_count=1, initial_message="Hi %ContactFirstName%!")
