"""Pictures and video sent by MMS: what is accepted, and what a file really is (pure).

The limits are Twilio's: at most 5 MB of media in one message, and about
1.5 MB is what carriers reliably deliver (larger files may be filtered or
shrunk), so an upload over that is taken with a warning. A file's type is
read from its first bytes (its magic number), never only from the name or
the declared ``Content-Type``, and only the types Twilio sends as MMS to
every carrier are kept: JPEG, PNG, GIF, WebP, MP4, 3GPP and QuickTime.
"""

from __future__ import annotations

from typing import Any, Final

__all__ = [
    "MAX_MEDIA_BYTES",
    "MAX_MEDIA_PER_MESSAGE",
    "MEDIA_TYPES",
    "WARN_MEDIA_BYTES",
    "media_warning",
    "sniff",
    "stored_media",
]

# 5 MB and 1.5 MB in the binary sense (MiB), the reading that refuses nothing Twilio takes.
MAX_MEDIA_BYTES: Final = 5 * 1024 * 1024
WARN_MEDIA_BYTES: Final = 1536 * 1024
# Twilio takes at most ten MediaUrl on one message.
MAX_MEDIA_PER_MESSAGE: Final = 10

MEDIA_TYPES: Final = (
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/webp",
    "video/mp4",
    "video/3gpp",
    "video/quicktime",
)

# ISO base media files (MP4, 3GP, QuickTime) say their brand after "ftyp" at offset 4.
_FTYP_BRANDS: Final = {
    b"3gp": "video/3gpp",
    b"3g2": "video/3gpp",
    b"qt ": "video/quicktime",
}


def sniff(head: bytes) -> str | None:
    """The media type of a file that starts with ``head`` (its first 16 bytes suffice), or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand.startswith((b"M4A", b"M4B")):  # audio only
            return None
        return _FTYP_BRANDS.get(brand[:3], _FTYP_BRANDS.get(brand, "video/mp4"))
    if head[4:8] in (b"moov", b"mdat", b"wide", b"free"):  # older QuickTime files have no ftyp box
        return "video/quicktime"
    return None


def media_warning(size: int) -> str | None:
    """What the upload's answer says about a large (but accepted) file, or None."""
    if size <= WARN_MEDIA_BYTES:
        return None
    return (
        f"This file is {size / (1024 * 1024):.1f} MB. Carriers may filter or shrink media over 1.5 MB; "
        "a smaller file is more likely to arrive."
    )


def stored_media(items: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """A message's stored media list, copied (an old row has None)."""
    return [dict(item) for item in items or []]
