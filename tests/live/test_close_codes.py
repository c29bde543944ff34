"""The close-code table: each code once, with what a client does after it."""

from __future__ import annotations

import pytest

from server.live import protocol
from server.live.close_codes import CLOSE_CODES, Action, client_table, close_code


def test_the_protocol_closes_with_the_numbers_of_the_table() -> None:
    assert {c.code: c.name for c in CLOSE_CODES} == {
        protocol.CLOSE_GOING_AWAY: "going_away",
        protocol.CLOSE_TOO_BIG: "too_big",
        protocol.CLOSE_INTERNAL_ERROR: "internal_error",
        protocol.CLOSE_RESTART: "restart",
        protocol.CLOSE_TRY_AGAIN: "try_again",
        protocol.CLOSE_UNAUTHORIZED: "token_expired",
        protocol.CLOSE_FORBIDDEN: "forbidden",
        protocol.CLOSE_SLOW_CONSUMER: "slow_consumer",
        protocol.CLOSE_RATE_LIMITED: "rate_limited",
    }


def test_only_a_bad_token_or_a_deactivated_user_sends_the_client_to_log_in() -> None:
    login = {c.code for c in CLOSE_CODES if c.action is Action.LOGIN}
    assert login == {4001, 4003}
    assert close_code("token_expired") == 4001
    assert close_code("slow_consumer") == 4008


def test_an_unknown_name_is_refused() -> None:
    with pytest.raises(KeyError):
        close_code("unauthorized")


def test_the_pages_get_every_code_with_its_name_meaning_and_action() -> None:
    table = client_table()
    assert sorted(table) == sorted(str(c.code) for c in CLOSE_CODES)
    assert table["4001"] == {
        "name": "token_expired",
        "meaning": "No token, a bad or expired one, or no auth frame in time: log in again.",
        "action": "login",
    }
    assert {v["action"] for v in table.values()} == {"login", "reconnect"}
