"""Text the database cannot store is recognised before it fails a transaction."""

from __future__ import annotations

import pytest

from persistence.rules.errors import InvalidInput
from persistence.rules.text import json_storable, require_storable, storable


def test_ordinary_text_in_any_script_is_storable() -> None:
    assert storable("Hi Ada! ¿Vas a votar? 投票 🗳️", "")


@pytest.mark.parametrize("bad", ["nul\x00here", "lone \ud800 surrogate"])
def test_nul_and_lone_surrogates_are_not(bad: str) -> None:
    assert not storable("fine", bad)
    with pytest.raises(InvalidInput, match="'title' contains characters that cannot be stored"):
        require_storable("title", bad)


def test_jsonb_refuses_the_nul_escape() -> None:
    assert json_storable('{"note":"ok"}')
    assert not json_storable('{"note":"\\u0000"}')
