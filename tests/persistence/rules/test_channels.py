"""Channel names read back as what they name: campaigns, senders and inboxes."""

from __future__ import annotations

import pytest

from persistence.rules.channels import ChannelName, inbox_channel, parse_channel


def test_an_inbox_channel_names_its_user_and_no_campaign() -> None:
    name = parse_channel(inbox_channel(42))
    assert name == ChannelName(None, 42) and name.is_inbox and str(name) == "inbox:42"


@pytest.mark.parametrize("text", ["campaign:7", "sender:7:42", "inbox:42"])
def test_every_channel_reads_back_as_itself(text: str) -> None:
    name = parse_channel(text)
    assert name is not None and str(name) == text


@pytest.mark.parametrize(
    "text", ["inbox:", "inbox:0", "inbox:x", "inbox:1:2", "inbox:007", "inbox:" + "9" * 19]
)
def test_anything_else_is_no_channel(text: str) -> None:
    assert parse_channel(text) is None


def test_a_name_without_campaign_or_user_cannot_be_written() -> None:
    with pytest.raises(ValueError):
        str(ChannelName(None, None))
