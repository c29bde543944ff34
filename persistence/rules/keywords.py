"""Opt-out and opt-in keywords: a whole text that is one of them changes the phone's consent (pure).

The carriers' list: besides the classic five, ``STOPALL``, ``REVOKE`` and
``OPTOUT`` are honoured as opt-outs. A keyword counts in any case, with
surrounding spaces ignored, and only when it is the whole text: "stop by the
office" is a reply, not an opt-out.
"""

from __future__ import annotations

from typing import Final, Literal

__all__ = ["OPT_IN_KEYWORDS", "OPT_OUT_KEYWORDS", "Keyword", "keyword"]

OPT_OUT_KEYWORDS: Final = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}
)
OPT_IN_KEYWORDS: Final = frozenset({"START", "UNSTOP"})

Keyword = Literal["opt_out", "opt_in"]


def keyword(body: str) -> Keyword | None:
    """The opt-out/opt-in keyword the whole body is, in any case, or None."""
    word = body.strip().upper()
    if word in OPT_OUT_KEYWORDS:
        return "opt_out"
    if word in OPT_IN_KEYWORDS:
        return "opt_in"
    return None
