"""Recurring bookings: `book … --every week|2weeks|day [--until DATE | --count N]`.

The rule runs with dateutil's rrule over the club's wall-clock dates; each occurrence
becomes an ordinary booking once its window opens within `AHEAD`, so it shows in `list`
and runs like any other. A date whose slot the clocks skip is passed over, with a note.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import date, datetime, timedelta

from dateutil.rrule import DAILY, WEEKLY, rrule

from gametime_cli.booking.windows import local_instant, window_opens_at
from gametime_cli.errors import BadInput
from gametime_cli.models import Booking, Series
from gametime_cli.store import Store

FREQUENCIES = {"day": (DAILY, 1), "week": (WEEKLY, 1), "2weeks": (WEEKLY, 2)}
AHEAD = timedelta(days=2)
"""An occurrence becomes a booking this long before its window opens."""
MAX_COUNT = 520

log = logging.getLogger("gametime")


def occurrences(series: Series) -> Iterator[date]:
    freq, interval = FREQUENCIES[series.freq]
    start = datetime.combine(series.first_day, series.time)
    until = datetime.combine(series.until_day, series.time) if series.until_day else None
    rule = rrule(freq, interval=interval, dtstart=start, until=until, count=series.count)
    for moment in rule:
        yield moment.date()


def check_rule(every: str, until: date | None, count: int | None, first: date) -> None:
    if every not in FREQUENCIES:
        raise BadInput(f"--every {every!r} is not known; use week, 2weeks or day")
    if until is not None and count is not None:
        raise BadInput("give --until or --count, not both")
    if until is not None and until < first:
        raise BadInput(f"--until {until.isoformat()} is before the first game "
                       f"({first.isoformat()})")
    if count is not None and not 1 <= count <= MAX_COUNT:
        raise BadInput(f"--count {count} is out of range; use 1 to {MAX_COUNT}")


def materialize(store: Store, series: Series, now: datetime) -> list[Booking]:
    """Turn the occurrences whose window opens within AHEAD into bookings, note the
    skipped ones, and record when the next one is due."""
    club = store.club_by_id(series.club_id)
    zone = club.zone
    made: list[Booking] = []
    notes = list(series.notes)
    last_day = None
    next_at = None
    for day in occurrences(series):
        if series.last_day is not None and day <= series.last_day:
            continue
        opens = window_opens_at(day, club.window_days, club.opens_at, zone)
        if opens - AHEAD > now:
            next_at = opens - AHEAD
            break
        last_day = day.isoformat()
        try:
            start = local_instant(day, series.time, zone)
        except BadInput:
            note = (f"{day.isoformat()}: skipped, {series.time.strftime('%H:%M')} does not "
                    f"exist in {club.timezone} that day")
            notes.append(note)
            log.warning("series %s: %s", series.id, note)
            continue
        if start <= now:
            continue
        try:
            made.append(store.add_booking(
                club=club, account=series.account, day=day.isoformat(),
                time=series.time.strftime("%H:%M"), duration=series.duration,
                courts=series.courts, partners=series.partners, type=series.type,
                execute_at=max(opens, now), slot_start=start, now=now, series_id=series.id,
                or_times=series.or_times, any_court=series.any_court,
                keep_trying=series.keep_trying, guests=series.guests,
            ))
        except BadInput as clash:  # the same slot was booked by hand
            notes.append(f"{day.isoformat()}: skipped, {clash}")
    store.series_progress(series, last_day=last_day, next_at=next_at, notes=notes)
    return made


def materialize_due(store: Store, now: datetime) -> list[Booking]:
    made = []
    for series in store.series_due(now):
        made.extend(materialize(store, series, now))
    return made
