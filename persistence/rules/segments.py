"""How many SMS segments a text costs, counted the way carriers count them (pure).

A text that only uses the GSM 03.38 alphabet travels as 7-bit septets: 160 in
one segment, 153 per segment once it is split (the rest carries the
concatenation header). The characters of the extension table (``€ [ ] { } ^ ~
| \\`` and form feed) take two septets each, and an escape pair is never cut
between segments. Any other character switches the whole text to UCS-2: 70
UTF-16 code units in one segment, 67 per segment when split, and a surrogate
pair (an emoji) is never cut either.

:func:`plain_punctuation` replaces the typographic punctuation word
processors insert (smart quotes, dashes, the ellipsis, non-breaking spaces)
with plain GSM-7 characters, so one curly apostrophe does not make a text
cost two or three times as much.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final, Literal

__all__ = [
    "GSM7_BASIC",
    "GSM7_EXTENSION",
    "SAMPLE_VALUES",
    "Encoding",
    "SegmentCount",
    "count_segments",
    "plain_punctuation",
    "segments",
    "template_segments",
]

Encoding = Literal["GSM-7", "UCS-2"]

GSM7_BASIC: Final = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION: Final = frozenset("\f^{}\\[~]|€")

_GSM7_SINGLE, _GSM7_MULTI = 160, 153
_UCS2_SINGLE, _UCS2_MULTI = 70, 67

# The values the campaign's segment count fills its placeholders with:
# names of a common length, so the count is the one most contacts get.
SAMPLE_VALUES: Final[Mapping[str, str]] = {
    "%SenderFirstName%": "Jordan",
    "%SenderLastName%": "Smith",
    "%ContactFirstName%": "Taylor",
    "%ContactLastName%": "Johnson",
}

_PLAIN: Final = str.maketrans(
    {
        "\u2018": "'",  # left single quote
        "\u2019": "'",  # right single quote, the apostrophe of word processors
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",  # prime
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',  # double prime
        "\u2010": "-",  # hyphen
        "\u2011": "-",  # non-breaking hyphen
        "\u2012": "-",  # figure dash
        "\u2013": "-",  # en dash
        "\u2014": "-",  # em dash
        "\u2015": "-",  # horizontal bar
        "\u2212": "-",  # minus sign
        "\u2026": "...",
        "\u00a0": " ",  # no-break space
        "\u2002": " ",
        "\u2003": " ",
        "\u2007": " ",  # figure space
        "\u2009": " ",  # thin space
        "\u202f": " ",  # narrow no-break space
    }
)


@dataclass(frozen=True, slots=True)
class SegmentCount:
    """``segments`` of ``encoding``; ``units`` are septets (GSM-7) or UTF-16 code units (UCS-2)."""

    encoding: Encoding
    segments: int
    units: int


def _split(sizes: Iterable[int], single: int, multi: int) -> tuple[int, int]:
    """(segments, units) for characters of the given unit sizes; a character is never cut."""
    sizes = list(sizes)
    total = sum(sizes)
    if total == 0:
        return 0, 0
    if total <= single:
        return 1, total
    count, room = 1, multi
    for size in sizes:
        if size > room:
            count, room = count + 1, multi
        room -= size
    return count, total


def count_segments(text: str) -> SegmentCount:
    """The encoding, segments and units of ``text``; an empty text costs no segment."""
    if all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text):
        sizes = (2 if ch in GSM7_EXTENSION else 1 for ch in text)
        count, units = _split(sizes, _GSM7_SINGLE, _GSM7_MULTI)
        return SegmentCount("GSM-7", count, units)
    # Characters beyond the Basic Multilingual Plane are two UTF-16 code units.
    count, units = _split((2 if ord(ch) > 0xFFFF else 1 for ch in text), _UCS2_SINGLE, _UCS2_MULTI)
    return SegmentCount("UCS-2", count, units)


def segments(text: str) -> int:
    """How many SMS segments ``text`` is sent as."""
    return count_segments(text).segments


def plain_punctuation(text: str) -> str:
    """``text`` with smart quotes, dashes, the ellipsis and special spaces made plain GSM-7."""
    return text.translate(_PLAIN)


def template_segments(template: str, *, plain: bool = False) -> int:
    """The segments of a campaign template with its placeholders filled by :data:`SAMPLE_VALUES`.

    ``plain``: the organization turns typographic punctuation plain before sending.
    """
    for placeholder, value in SAMPLE_VALUES.items():
        template = template.replace(placeholder, value)
    return segments(plain_punctuation(template) if plain else template)
