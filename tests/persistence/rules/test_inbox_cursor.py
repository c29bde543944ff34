"""The inbox cursor reads back what it wrote, and nothing else."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from persistence.rules.inbox_cursor import InboxCursor, decode_inbox_cursor, encode_inbox_cursor


@pytest.mark.parametrize(
    "cursor",
    [InboxCursor(None, 7), InboxCursor(datetime(2026, 11, 30, 21, 5, 3, 123456, tzinfo=UTC), 2**63 - 1)],
)
def test_a_cursor_reads_back_as_written(cursor: InboxCursor) -> None:
    assert decode_inbox_cursor(encode_inbox_cursor(cursor)) == cursor


@pytest.mark.parametrize(
    "text",
    ["", "!!!", "bnVsbA", "W10", "eyJ0IjpudWxsfQ", "eyJ0IjpudWxsLCJpZCI6dHJ1ZX0", "eyJ0IjoxLCJpZCI6MX0"],
)
def test_anything_else_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        decode_inbox_cursor(text)
