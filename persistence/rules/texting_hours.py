"""Daily texting hours: when a contact may get a campaign's initial or follow-up text (pure).

A campaign's hours (``start`` to ``end``, local wall-clock times) hold in each
contact's own time zone. The zone comes from the phone number where the
numbering plan pins it to exactly one zone (``+1 415`` is Los Angeles);
numbers it cannot pin (toll-free numbers, countries with several zones such
as Australian mobiles) fall back to the campaign's ``time_zone``.

Sending checks the hours when a sender asks (:func:`within`); the provider
hand-off checks them again just before the provider call
(:func:`may_reach_now`), so a text that waited in a queue past the end of its
contact's hours is failed rather than delivered at night.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time
from functools import lru_cache
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import timezone as number_zones

from persistence.rules.errors import InvalidInput, Locked

__all__ = [
    "OUTSIDE_TEXTING_HOURS",
    "TextingHours",
    "check_hours",
    "contact_zone",
    "may_reach_now",
    "outside_hours",
    "within",
]

OUTSIDE_TEXTING_HOURS: Final = "outside_texting_hours"

_CLOCK = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")
_INVALID = "invalid_texting_hours"


def _clock(name: str, value: str) -> time:
    match = _CLOCK.fullmatch(value)
    if match is None:
        raise InvalidInput(
            f"'texting_hours.{name}' must be a time of day as HH:MM, e.g. 09:00.", code=_INVALID
        )
    return time(int(match[1]), int(match[2]))


@lru_cache(maxsize=512)
def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


@dataclass(frozen=True, slots=True)
class TextingHours:
    """From ``start`` (included) to ``end`` (excluded), every day, in local time."""

    start: time
    end: time
    time_zone: str

    @classmethod
    def parse(cls, start: str, end: str, time_zone: str) -> TextingHours:
        """Hours from their API form (``"09:00"``, ``"21:00"``, an IANA zone name).

        Raises:
            InvalidInput: a malformed time, an unknown zone, or an end not after the start
                (hours that run past midnight are not texting hours).
        """
        hours = cls(_clock("start", start), _clock("end", end), time_zone)
        if hours.end <= hours.start:
            raise InvalidInput("'texting_hours' must end after they start, on the same day.", code=_INVALID)
        if _zone(time_zone) is None:
            raise InvalidInput(
                f"'texting_hours.time_zone' is not a known time zone: {time_zone[:60]!r} "
                "(use an IANA name such as America/New_York).",
                code=_INVALID,
            )
        return hours

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> TextingHours | None:
        """Stored (or API) form back to hours; None stays None."""
        if data is None:
            return None
        return cls.parse(str(data["start"]), str(data["end"]), str(data["time_zone"]))

    def to_json(self) -> dict[str, str]:
        return {
            "start": self.start.strftime("%H:%M"),
            "end": self.end.strftime("%H:%M"),
            "time_zone": self.time_zone,
        }

    @property
    def zone(self) -> ZoneInfo:
        zone = _zone(self.time_zone)
        if zone is None:  # parse() refused it; only a hand-built value gets here
            raise InvalidInput(f"Unknown time zone {self.time_zone!r}.", code=_INVALID)
        return zone


def contact_zone(phone: str, fallback: ZoneInfo) -> ZoneInfo:
    """The zone of ``phone`` (E.164) when its numbering plan names exactly one, else ``fallback``."""
    try:
        number = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return fallback
    zones = number_zones.time_zones_for_number(number)
    if len(zones) != 1:
        return fallback
    return _zone(zones[0]) or fallback


def within(hours: TextingHours | None, zone: ZoneInfo, at: datetime) -> bool:
    """Whether ``at`` (aware) falls inside ``hours`` on the wall clock of ``zone``; no hours: always."""
    if hours is None:
        return True
    local = at.astimezone(zone).time().replace(tzinfo=None)
    return hours.start <= local < hours.end


def may_reach_now(hours: TextingHours | None, contact_zone: ZoneInfo, at: datetime) -> bool:
    """Whether a queued text may be handed to the provider at ``at``.

    Called just before the provider call: a text that waited past the end of
    its contact's hours (or until before the next day's start) must not go
    out, and is failed with :data:`OUTSIDE_TEXTING_HOURS` instead.
    """
    return within(hours, contact_zone, at)


def outside_hours(hours: TextingHours, zone: ZoneInfo, at: datetime) -> Locked:
    """The 423 refusal of a text asked for outside the contact's hours, saying when they are."""
    local = at.astimezone(zone)
    return Locked(
        f"It is {local:%H:%M} for this contact ({zone.key}); this campaign texts between "
        f"{hours.start:%H:%M} and {hours.end:%H:%M} in the contact's time zone. Nothing was sent.",
        code=OUTSIDE_TEXTING_HOURS,
    )


def check_hours(hours: TextingHours | None, phone: str, at: datetime) -> None:
    """Refuse (423 ``outside_texting_hours``) a campaign text to ``phone`` outside its hours at ``at``."""
    if hours is None:
        return
    zone = contact_zone(phone, hours.zone)
    if not within(hours, zone, at):
        raise outside_hours(hours, zone, at)
