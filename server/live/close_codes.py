"""Every WebSocket close code the server sends, with its meaning: one table.

The server closes a live connection for one of two reasons, and a client must
tell them apart:

- ``reconnect``: nothing is wrong with the client's credentials. It reconnects
  (with backoff) and subscribes again with ``since`` set to the last ``seq`` it
  saw, so no event is lost.
- ``login``: the token is missing, bad, expired or its user was deactivated.
  Retrying with the same token cannot help: the user logs in again, then
  resumes with ``since``.

Codes not in the table (1006 when the network drops, anything newer) mean
``reconnect``. The pages read this table from the HTML shell (see
``server/pages.py``), so the numbers are written here only.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

__all__ = ["CLOSE_CODES", "Action", "CloseCode", "client_table", "close_code"]


class Action(StrEnum):
    """What a client does after the close."""

    RECONNECT = "reconnect"
    LOGIN = "login"


@dataclass(frozen=True, slots=True)
class CloseCode:
    code: int
    name: str
    meaning: str
    action: Action


CLOSE_CODES: tuple[CloseCode, ...] = (
    CloseCode(1001, "going_away", "The server is shutting down.", Action.RECONNECT),
    CloseCode(1009, "too_big", "A client frame was over the size limit.", Action.RECONNECT),
    CloseCode(1011, "internal_error", "The server failed, or live is not running.", Action.RECONNECT),
    CloseCode(1012, "restart", "The server restarts: reconnect, to another instance.", Action.RECONNECT),
    CloseCode(1013, "try_again", "The database is out of reach: reconnect a little later.", Action.RECONNECT),
    CloseCode(
        4001,
        "token_expired",
        "No token, a bad or expired one, or no auth frame in time: log in again.",
        Action.LOGIN,
    ),
    CloseCode(4003, "forbidden", "The user was deactivated while connected.", Action.LOGIN),
    CloseCode(
        4008,
        "slow_consumer",
        "The client read too slowly and its send queue overflowed; nothing is lost.",
        Action.RECONNECT,
    ),
    CloseCode(4029, "rate_limited", "Far too many frames from the client.", Action.RECONNECT),
)

_BY_NAME = {c.name: c for c in CLOSE_CODES}
if len(_BY_NAME) != len(CLOSE_CODES) or len({c.code for c in CLOSE_CODES}) != len(CLOSE_CODES):
    raise RuntimeError("close codes and their names must each be unique")


def close_code(name: str) -> int:
    """The number of the close code called ``name``.

    Raises:
        KeyError: no close code has that name.
    """
    return _BY_NAME[name].code


def client_table() -> dict[str, Any]:
    """The table as the pages read it: ``{"4001": {"name", "meaning", "action"}, ...}``."""
    return {
        str(c.code): {"name": c.name, "meaning": c.meaning, "action": c.action.value} for c in CLOSE_CODES
    }
