"""Keeping a booking whose courts were all taken: read the day's courts every so often,
until the cut-off, and book the moment a wanted court frees.

A booking keeps trying when it was made with `--keep-trying` (or the `keep_trying`
setting). Its cut-off is a spec kept with it: `2h` (that long before the slot) or
`17:00` (that time, local to the club, on the slot's day)."""

from __future__ import annotations

import random
import re
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from gametime_cli.errors import BadInput
from gametime_cli.models import Booking
from gametime_cli.sites.base import CourtDay

JITTER = 0.2
"""Each wait between reads is the interval ± this fraction, so clients don't align."""
WATCHING = "watching for a free court"
"""How a booking that keeps trying is shown while every court it wants is taken."""
_BEFORE = re.compile(r"^([0-9]{1,3})\s*(h|m|min)$")
_AT = re.compile(r"^([01]?[0-9]|2[0-3]):([0-5][0-9])$")


def checked(reads: int) -> str:
    """'checked 1 time', 'checked 34 times'."""
    return f"checked {reads} time{'s' if reads != 1 else ''}"


def check_until(spec: str) -> str:
    """The cut-off spec, normalised; BadInput saying how to write one."""
    text = spec.strip().lower()
    before = _BEFORE.match(text)
    if before:
        unit = "h" if before.group(2) == "h" else "m"
        return f"{int(before.group(1))}{unit}"
    at = _AT.match(text)
    if at:
        return f"{int(at.group(1)):02d}:{at.group(2)}"
    raise BadInput(f"--keep-trying-until {spec!r} is not a cut-off; write a time of day "
                   "(17:00) or how long before the slot (3h, 90m)")


def spec_for(settings: Any, keep_trying: bool | None = None,
             until: str | None = None) -> str | None:
    """A new booking's cut-off spec, or None when it is not to keep trying: as asked
    (`--keep-trying[-until]`), else as the `keep_trying` settings say."""
    if keep_trying is False and until is not None:
        raise BadInput("--keep-trying-until goes with --keep-trying, not --no-keep-trying")
    if until is None and not (settings.keep_trying if keep_trying is None else keep_trying):
        return None
    return check_until(until if until is not None else settings.keep_trying_until)


def cutoff(spec: str, slot_start: datetime, zone: ZoneInfo) -> datetime:
    """When a booking stops trying (UTC): `spec` before the slot, or at its time of day
    on the slot's day, never after the slot begins."""
    before = _BEFORE.match(spec)
    if before:
        amount = int(before.group(1))
        gap = timedelta(hours=amount) if before.group(2) == "h" else timedelta(minutes=amount)
        return slot_start - gap
    at = _AT.match(spec)
    if at is None:  # a spec stored by an older version: the default
        return slot_start - timedelta(hours=2)
    local_day = slot_start.astimezone(zone).date()
    moment = datetime.combine(local_day, time(int(at.group(1)), int(at.group(2))), zone)
    return min(moment.astimezone(slot_start.tzinfo), slot_start)


def next_read(now: datetime, every: float, rng: random.Random | None = None) -> datetime:
    """When to read the day's courts again: `every` seconds ± 20 %."""
    spread = (rng or random).uniform(1 - JITTER, 1 + JITTER)
    return now + timedelta(seconds=every * spread)


def free_wanted(courts: list[CourtDay], booking: Booking) -> list[tuple[time, int]]:
    """The (time, court) pairs the booking would take that the day's courts show free:
    its courts in order (any court when it names none, or with any_court), at its time
    and then each alternative."""
    found = []
    numbers = sorted(c.number for c in courts)
    by_number = {c.number: c for c in courts}
    wanted = list(booking.courts) or numbers
    if booking.courts and booking.any_court:
        wanted += [n for n in numbers if n not in booking.courts]
    for at in [booking.time, *booking.or_times]:
        minutes = at.hour * 60 + at.minute
        found += [(at, n) for n in wanted
                  if n in by_number and by_number[n].free(minutes, booking.duration)]
    return found
