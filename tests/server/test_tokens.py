"""Login tokens expire, cannot be forged, and name their user."""

from __future__ import annotations

import pytest

from server.tokens import InvalidToken, issue_token, read_token


def test_a_token_names_its_user_until_it_expires() -> None:
    token = issue_token("k", 7, 3, ttl_seconds=60, now=1000)
    assert read_token("k", token, now=1059) == (7, 3)
    with pytest.raises(InvalidToken, match="expired"):
        read_token("k", token, now=1060)


@pytest.mark.parametrize(
    "mangle", [lambda t: t + "x", lambda t: "x" + t, lambda t: t.split(".")[0], lambda t: ""]
)
def test_a_tampered_token_is_refused(mangle: object) -> None:
    token = issue_token("k", 7, 3, ttl_seconds=60, now=1000)
    assert callable(mangle)
    with pytest.raises(InvalidToken):
        read_token("k", mangle(token), now=1001)


def test_a_token_signed_with_another_key_is_refused() -> None:
    token = issue_token("other", 7, 3, ttl_seconds=60, now=1000)
    with pytest.raises(InvalidToken):
        read_token("k", token, now=1001)
