"""Phone numbers are stored in E.164; anything else is refused."""

from __future__ import annotations

import pytest

from persistence.rules.phones import mask_phone, normalize_phone


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("(415) 555-2671", "+14155552671"),
        ("+1 415 555 2671", "+14155552671"),
        ("415.555.2671", "+14155552671"),
        ("+44 20 7946 0958", "+442079460958"),
    ],
)
def test_common_spellings_normalize_to_e164(raw: str, expected: str) -> None:
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize("raw", ["", "12", "not a phone", "+1 555 0100", "9" * 50])
def test_invalid_numbers_are_refused(raw: str) -> None:
    assert normalize_phone(raw) is None


def test_masking_keeps_only_the_last_two_digits() -> None:
    assert mask_phone("+14155552671") == "+*********71"
    assert mask_phone("7") == "7"
