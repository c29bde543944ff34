"""What a file is, read from its first bytes; and when an upload gets the carrier advice."""

from __future__ import annotations

import pytest

from persistence.rules.media import MEDIA_TYPES, WARN_MEDIA_BYTES, media_warning, sniff

HEADS = {
    "image/jpeg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00",
    "image/png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    "image/gif": b"GIF89a\x01\x00\x01\x00",
    "image/webp": b"RIFF\x24\x00\x00\x00WEBPVP8 ",
    "video/mp4": b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00",
    "video/3gpp": b"\x00\x00\x00\x14ftyp3gp5\x00\x00\x00\x00",
    "video/quicktime": b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00",
}


@pytest.mark.parametrize("kind", MEDIA_TYPES)
def test_every_accepted_type_is_recognised_by_its_bytes(kind: str) -> None:
    assert sniff(HEADS[kind]) == kind


@pytest.mark.parametrize(
    "head",
    [
        b"Meet at the library at 6pm",
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3",
        b"<svg xmlns='http://www.w3.org/2000/svg'>",
        b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00",  # audio only
        b"ID3\x04\x00\x00\x00\x00\x00\x00",  # MP3
        b"",
    ],
)
def test_anything_else_is_not_media(head: bytes) -> None:
    assert sniff(head) is None


def test_the_carrier_advice_starts_past_one_and_a_half_megabytes() -> None:
    assert media_warning(WARN_MEDIA_BYTES) is None
    warning = media_warning(WARN_MEDIA_BYTES + 1)
    assert warning is not None and "1.5 MB" in warning
    assert media_warning(2 * 1024 * 1024) is not None and "2.0 MB" in str(media_warning(2 * 1024 * 1024))
