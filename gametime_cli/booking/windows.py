"""Booking windows and the dates and times players type.

All instants leave this module in UTC; local wall-clock reasoning stays inside.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from gametime_cli.errors import BadInput

if TYPE_CHECKING:
    from gametime_cli.models import Club

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_TIME_24 = re.compile(r"^([01]?[0-9]|2[0-3]):([0-5][0-9])$")
_TIME_12 = re.compile(r"^(1[0-2]|0?[1-9])(?::([0-5][0-9]))?\s*(am|pm)$")
_OPENS_AT = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])(?::([0-5][0-9]))?$")
_NOT_ZONES = frozenset({"localtime", "posixrules", "Factory"})
"""Files of the zone database that are not zones a club could be in."""
_PLUS_DAYS = re.compile(r"^\+([0-9]{1,3})d$")


@functools.cache
def _known_zones() -> frozenset[str]:
    """The zone database's names, read once: reading them walks every file in it."""
    return frozenset(available_timezones())


def parse_zone(name: str) -> ZoneInfo:
    """An IANA zone by name; folder names, `localtime` and the like are refused."""
    known = _known_zones()
    try:
        if (known and name not in known) or name in _NOT_ZONES:
            raise ZoneInfoNotFoundError(name)
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise BadInput(
            f"unknown time zone {name!r}; use an IANA name such as Europe/Paris "
            "or America/Toronto"
        ) from None


def parse_opens_at(text: str) -> time:
    m = _OPENS_AT.match(text.strip())
    if not m:
        raise BadInput(f"--opens-at {text!r} is not a time; write HH:MM or HH:MM:SS, e.g. 09:00")
    return time(int(m[1]), int(m[2]), int(m[3] or 0))


def parse_slot_time(text: str) -> time:
    """`19:00`, `7pm`, `7:30pm`."""
    cleaned = text.strip().lower()
    if m := _TIME_24.match(cleaned):
        return time(int(m[1]), int(m[2]))
    if m := _TIME_12.match(cleaned):
        hour = int(m[1]) % 12 + (12 if m[3] == "pm" else 0)
        return time(hour, int(m[2] or 0))
    raise BadInput(f"{text!r} is not a time; write 19:00 or 7pm")


def parse_day(text: str, slot: time, now_local: datetime) -> date:
    """A day as players write it, relative to the club's local `now`.

    `YYYY-MM-DD`, `today`, `tomorrow`, `+Nd`, or a weekday name (or its first three
    letters): its next occurrence, today included while `slot` is still ahead.
    """
    cleaned = text.strip().lower()
    today = now_local.date()

    def after(days: int) -> date:
        try:
            return today + timedelta(days=days)
        except OverflowError:
            raise BadInput(f"{text!r} is past the end of the calendar") from None

    if cleaned == "today":
        return today
    if cleaned == "tomorrow":
        return after(1)
    if m := _PLUS_DAYS.match(cleaned):
        return after(int(m[1]))
    for index, name in enumerate(WEEKDAYS):
        if cleaned in (name, name[:3]):
            ahead = (index - today.weekday()) % 7
            if ahead == 0 and now_local.time() >= slot:
                ahead = 7
            return after(ahead)
    if re.fullmatch(r"[0-9]{4}-[0-9][0-9]-[0-9][0-9]", cleaned):
        try:
            return date.fromisoformat(cleaned)
        except ValueError:
            raise BadInput(f"{text!r} is not a real date; check the month and day") from None
    raise BadInput(
        f"{text!r} is not a date; write YYYY-MM-DD, today, tomorrow, a weekday (friday) or +3d"
    )


def _past_the_calendar(day: date) -> BadInput:
    return BadInput(f"{day.isoformat()} is too near the end of the calendar for its times "
                    "to be computed; pick another date")


def local_instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of a wall-clock time, or BadInput if the zone skips it that day."""
    naive = datetime.combine(day, at)
    aware = naive.replace(tzinfo=zone)
    try:
        instant = aware.astimezone(UTC)
        back = instant.astimezone(zone)
    except OverflowError:  # 0001-01-01 east of UTC, 9999-12-31 west of it
        raise _past_the_calendar(day) from None
    if back.replace(tzinfo=None) != naive:
        raise BadInput(
            f"{day.isoformat()} {at.strftime('%H:%M')} does not exist in {zone.key} "
            "(the clocks skip it); pick another time"
        )
    return instant


def window_opens_at(day: date, window_days: int, opens_at: time, zone: ZoneInfo) -> datetime:
    """When bookings for `day` open: `opens_at` local time, `window_days` days before.

    If the zone skips `opens_at` that day (a spring-forward gap), the window opens at
    the instant the clocks jump; if it repeats it, at its first occurrence.
    """
    try:
        naive = datetime.combine(day - timedelta(days=window_days), opens_at)
        first = naive.replace(tzinfo=zone, fold=0).astimezone(UTC)
        if first.astimezone(zone).replace(tzinfo=None) == naive:
            return first
    except OverflowError:
        raise _past_the_calendar(day) from None
    # Skipped: the window opens at the jump, the first second whose wall clock reads
    # `naive` or later (transitions fall on whole seconds).
    low = int(naive.replace(tzinfo=zone, fold=1).timestamp())
    high = int(first.timestamp())
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, zone).replace(tzinfo=None) >= naive:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, UTC)


def minutes_since_midnight(at: time) -> int:
    return at.hour * 60 + at.minute


OPENING_TOLERANCE = 1.0
"""Seconds the site's opening may differ from the club's rule before the player is told."""


@dataclass(frozen=True)
class OpeningNote:
    problem: str
    fix: str

    def __str__(self) -> str:
        return f"{self.problem}; fix: {self.fix}"


def opening_note(club: Club) -> OpeningNote | None:
    """What a run last saw of the site's opening, when it disagrees with the club's
    rule by more than a second, with the `club set` command that fixes it."""
    seen = club.settings.get("opening_seen") if isinstance(club.settings, dict) else None
    try:
        difference = float(seen["difference"])
        rule = datetime.fromisoformat(seen["rule"]).astimezone(club.zone)
        how = str(seen["how"])
    except (TypeError, KeyError, ValueError):
        return None
    if abs(difference) <= OPENING_TOLERANCE:
        return None
    said = f"{club.name}'s rule opens {rule.date().isoformat()} at {rule.strftime('%H:%M:%S')}"
    if how == "already open":
        return OpeningNote(
            f"the site was already open {-difference:.0f} s before {said}",
            f"find when the site opens and run 'gametime club set {club.name} "
            f"--opens-at HH:MM:SS' (and --window-days N if the day is wrong)")
    actual = (rule + timedelta(seconds=round(difference))).strftime("%H:%M:%S")
    return OpeningNote(
        f"the site opened about {abs(difference):.0f} s "
        f"{'after' if difference > 0 else 'before'} "
        f"{said}",
        f"gametime club set {club.name} --opens-at {actual}")
