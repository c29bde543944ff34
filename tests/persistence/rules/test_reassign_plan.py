"""The pure rules of a reassignment: parsing, resolving, dividing."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from persistence.rules.channels import slot_key
from persistence.rules.errors import InvalidInput
from persistence.rules.reassignment import (
    MAX_COUNT,
    Plan,
    Sources,
    divide,
    plan_move,
    target_index,
)
from server.api.reassign import parse_reassign

SENDERS = [11, 12, 13]


def plan(body: dict[str, Any]) -> Plan:
    return plan_move(parse_reassign(body), SENDERS)


def test_six_to_two_senders_is_three_each() -> None:
    assert divide(6, 2) == [3, 3]
    assert divide(7, 3) == [3, 2, 2]
    assert [target_index(rank, 3) for rank in range(7)] == [0, 1, 2, 0, 1, 2, 0]


@given(st.integers(0, 10_000), st.integers(1, 100))
def test_division_differs_by_at_most_one_with_extras_first(total: int, targets: int) -> None:
    shares = divide(total, targets)
    assert sum(shares) == total
    assert max(shares) - min(shares) <= 1
    assert shares == sorted(shares, reverse=True)
    counted = [0] * targets
    for rank in range(total):
        counted[target_index(rank, targets)] += 1
    assert counted == shares


def test_from_null_is_the_pool_and_a_list_may_mix_it_with_senders() -> None:
    assert plan({"action": "reassign_all", "from": None, "to": [11]}).sources == Sources(frozenset(), True)
    mixed = plan({"action": "reassign_all", "from": [None, 12], "to": [11]})
    assert mixed.sources == Sources(frozenset({12}), True)
    assert plan({"action": "reassign_all", "to": [11]}).sources is None


def test_all_senders_excludes_the_named_sources() -> None:
    assert plan({"action": "reassign_all", "from": [12], "to": "all_senders"}).targets == (11, 13)
    assert plan({"action": "reassign_all", "to": "all_senders"}).targets == (11, 12, 13)


def test_unassign_all_moves_any_status_to_the_pool() -> None:
    p = plan({"action": "unassign_all", "from": [11], "status": "needs_reply"})
    assert (p.targets, p.status, p.limit) == ((None,), "any", None)


def test_count_is_read_by_reassign_some_only_and_huge_is_all() -> None:
    assert plan({"action": "reassign_some", "count": 2**63 - 1, "to": [11]}).limit == MAX_COUNT
    assert plan({"action": "reassign_all", "count": 3, "to": [11]}).limit is None


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, "invalid_action"),
        ({"action": "reassign_all", "status": "opted_out", "to": [11]}, "invalid_status"),
        ({"action": "reassign_some", "count": 0, "to": [11]}, "invalid_count"),
        # Beyond 64 bits is not "huge", it is no count the API takes.
        ({"action": "reassign_some", "count": 2**63, "to": [11]}, "invalid_count"),
        ({"action": "reassign_some", "to": [11]}, "invalid_count"),
        ({"action": "reassign_all", "to": [2**63]}, "invalid_input"),
        ({"action": "reassign_all", "from": None, "to": [11], "stauts": "needs_reply"}, "unknown_field"),
        ({"action": "reassign_some", "form": [12], "count": 1, "to": [11]}, "unknown_field"),
        ({"action": "unassign_all", "to": [11]}, "invalid_input"),
        ({"action": "reassign_all", "to": [11, 11]}, "invalid_input"),
        ({"action": "reassign_all", "to": ["11"]}, "invalid_input"),
        ({"action": "reassign_all", "from": "unassigned", "to": [11]}, "invalid_input"),
        ({"action": "reassign_all", "from": [True], "to": [11]}, "invalid_input"),
        ({"action": "reassign_all", "from": [11], "to": [11, 12]}, "source_is_target"),
        ({"action": "reassign_all", "from": [11, 12, 13], "to": "all_senders"}, "no_targets"),
        ({"action": "reassign_all", "to": [14]}, "not_a_sender"),
    ],
)
def test_bad_bodies_name_the_problem(body: dict[str, Any], code: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        plan(body)
    assert caught.value.code == code


def test_per_target_keys() -> None:
    assert (slot_key(None), slot_key(12)) == ("unassigned", "12")
