"""The texting rules, fed inputs: keywords, segments as carriers count them, and texting hours."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from persistence.rules.errors import InvalidInput
from persistence.rules.keywords import OPT_IN_KEYWORDS, OPT_OUT_KEYWORDS, keyword
from persistence.rules.segments import (
    GSM7_BASIC,
    GSM7_EXTENSION,
    SegmentCount,
    count_segments,
    plain_punctuation,
    segments,
    template_segments,
)
from persistence.rules.texting_hours import (
    OUTSIDE_TEXTING_HOURS,
    TextingHours,
    contact_zone,
    may_reach_now,
    outside_hours,
    within,
)

NEW_YORK = ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    "body", ["STOP", "stopall", " Unsubscribe ", "cancel", "End", "quit\n", "REVOKE", "OptOut"]
)
def test_every_carrier_opt_out_keyword_opts_out(body: str) -> None:
    assert keyword(body) == "opt_out"


@pytest.mark.parametrize("body", ["start", " UNSTOP "])
def test_start_and_unstop_opt_in(body: str) -> None:
    assert keyword(body) == "opt_in"


@pytest.mark.parametrize("body", ["stop all", "opt out", "REVOKED", "please stop", "starts", ""])
def test_near_misses_are_replies(body: str) -> None:
    assert keyword(body) is None


def test_the_keyword_lists_are_the_carriers_lists() -> None:
    assert len(OPT_OUT_KEYWORDS) == 8 and {"START", "UNSTOP"} == OPT_IN_KEYWORDS


def test_the_gsm_alphabet_has_its_127_characters_and_nine_extensions() -> None:
    # 128 code points less the escape that introduces the extension table.
    assert len(GSM7_BASIC) == 127 and len(GSM7_EXTENSION) == 10
    assert not GSM7_BASIC & GSM7_EXTENSION


@pytest.mark.parametrize(
    ("text", "encoding", "count", "units"),
    [
        ("", "GSM-7", 0, 0),
        ("a" * 160, "GSM-7", 1, 160),
        ("a" * 161, "GSM-7", 2, 161),
        ("a" * 306, "GSM-7", 2, 306),
        ("a" * 307, "GSM-7", 3, 307),
        ("€" * 80, "GSM-7", 1, 160),  # extension characters count two
        ("€" * 81, "GSM-7", 2, 162),
        ("é" * 160, "GSM-7", 1, 160),  # é is in the basic table
        ("a" * 70 + "\u2019", "UCS-2", 2, 71),  # one smart quote turns it all to UCS-2
        ("ü" * 5 + "ç" * 65, "UCS-2", 1, 70),  # ç is not GSM-7 (only Ç is)
        ("😀" * 35, "UCS-2", 1, 70),  # an emoji is two UTF-16 units
        ("😀" * 36, "UCS-2", 2, 72),
    ],
)
def test_segments_are_counted_as_carriers_count_them(
    text: str, encoding: str, count: int, units: int
) -> None:
    found = count_segments(text)
    assert (found.encoding, found.segments, found.units) == (encoding, count, units)
    assert segments(text) == count


def test_a_two_septet_character_is_never_cut_between_segments() -> None:
    # 152 plain characters then a euro: the euro does not fit in the first segment's last septet.
    # 306 septets would fit two segments of 153 if the euro could be cut.
    text = "a" * 152 + "€" + "a" * 152
    assert count_segments(text).units == 306
    assert segments(text) == 3
    assert segments("a" * 151 + "€" + "a" * 151) == 2


def test_an_emoji_is_never_cut_between_segments() -> None:
    assert segments("a" * 66 + "😀" + "a" * 66) == 3
    assert segments("a" * 65 + "😀" + "a" * 67) == 2


def test_plain_punctuation_keeps_a_text_in_one_gsm_segment() -> None:
    smart = "We\u2019re \u201cready\u201d \u2014 see you at 9\u00a0am\u2026"
    assert count_segments(smart).encoding == "UCS-2"
    plain = plain_punctuation(smart)
    assert plain == 'We\'re "ready" - see you at 9 am...'
    assert count_segments(plain) == SegmentCount("GSM-7", 1, len(plain))
    assert plain_punctuation("Danke schön 😀") == "Danke schön 😀"


def test_a_campaign_template_is_counted_with_sample_names() -> None:
    template = "Hi %ContactFirstName%, it's %SenderFirstName%." + "x" * 140
    # "Hi Taylor, it's Jordan." is 23 characters: 163 in all, two segments.
    assert template_segments(template) == 2
    assert template_segments("Hi %ContactFirstName% \u2014 vote!") == 1
    assert count_segments("Hi Taylor \u2014 vote!").encoding == "UCS-2"
    assert template_segments("\u2019" + "a" * 100) == 2
    assert template_segments("\u2019" + "a" * 100, plain=True) == 1


def test_hours_parse_from_the_api_form_and_back() -> None:
    hours = TextingHours.parse("09:00", "21:30", "America/New_York")
    assert (hours.start, hours.end, hours.zone) == (time(9), time(21, 30), NEW_YORK)
    assert TextingHours.from_json(hours.to_json()) == hours
    assert TextingHours.from_json(None) is None


@pytest.mark.parametrize(
    ("start", "end", "zone"),
    [
        ("9:00", "21:00", "America/New_York"),
        ("09:00", "24:00", "America/New_York"),
        ("21:00", "09:00", "America/New_York"),
        ("09:00", "09:00", "America/New_York"),
        ("09:00", "21:00", "Mars/Olympus_Mons"),
        ("09:00", "21:00", "../../etc/passwd"),
        ("09:00", "21:00", ""),
    ],
)
def test_malformed_hours_are_refused(start: str, end: str, zone: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        TextingHours.parse(start, end, zone)
    assert refused.value.code == "invalid_texting_hours"


def test_a_numbers_own_zone_wins_when_the_plan_names_one() -> None:
    tokyo = ZoneInfo("Asia/Tokyo")
    assert contact_zone("+14155552671", tokyo) == ZoneInfo("America/Los_Angeles")
    assert contact_zone("+13125551234", tokyo) == ZoneInfo("America/Chicago")
    # Toll-free and Australian mobile numbers span many zones: the campaign's zone.
    assert contact_zone("+18005551234", tokyo) == tokyo
    assert contact_zone("+61412345678", tokyo) == tokyo
    assert contact_zone("not a phone", tokyo) == tokyo


def test_hours_hold_on_the_contacts_wall_clock() -> None:
    hours = TextingHours.parse("09:00", "21:00", "America/New_York")
    chicago = ZoneInfo("America/Chicago")
    # 01:30 UTC on a July day: 21:30 in New York, 20:30 in Chicago.
    at = datetime(2026, 7, 1, 1, 30, tzinfo=UTC)
    assert not within(hours, NEW_YORK, at)
    assert within(hours, chicago, at)
    # The start is included and the end is not.
    assert within(hours, NEW_YORK, datetime(2026, 7, 1, 13, 0, tzinfo=UTC))
    assert not within(hours, NEW_YORK, datetime(2026, 7, 1, 12, 59, tzinfo=UTC))
    assert not within(hours, NEW_YORK, datetime(2026, 7, 2, 1, 0, tzinfo=UTC))
    # Daylight saving time: 13:30 UTC is 09:30 in summer, 08:30 in winter.
    assert within(hours, NEW_YORK, datetime(2026, 7, 1, 13, 30, tzinfo=UTC))
    assert not within(hours, NEW_YORK, datetime(2026, 1, 15, 13, 30, tzinfo=UTC))
    assert within(None, NEW_YORK, at)


def test_a_queued_text_may_not_reach_a_contact_after_their_hours() -> None:
    hours = TextingHours.parse("09:00", "21:00", "America/New_York")
    queued_at = datetime(2026, 7, 1, 0, 58, tzinfo=UTC)  # 20:58 in New York
    assert may_reach_now(hours, NEW_YORK, queued_at)
    assert not may_reach_now(hours, NEW_YORK, datetime(2026, 7, 1, 1, 1, tzinfo=UTC))
    assert may_reach_now(None, NEW_YORK, datetime(2026, 7, 1, 4, 0, tzinfo=UTC))


def test_the_refusal_says_the_contacts_time_and_the_hours() -> None:
    hours = TextingHours.parse("09:00", "21:00", "America/New_York")
    refusal = outside_hours(hours, ZoneInfo("America/Los_Angeles"), datetime(2026, 7, 1, 5, 0, tzinfo=UTC))
    assert refusal.code == OUTSIDE_TEXTING_HOURS
    assert "22:00" in refusal.message and "America/Los_Angeles" in refusal.message
    assert "09:00" in refusal.message and "21:00" in refusal.message
