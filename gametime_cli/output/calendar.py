"""The player's games as iCalendar (RFC 5545), written by the `icalendar` library.

One VEVENT a booking, starting at the slot in the club's own zone (TZID, with its
VTIMEZONE) and lasting the booking's duration. Its UID is the booking's own, so that
importing the file again updates each event instead of adding a copy; SEQUENCE grows
as a booking goes from pending to confirmed to cancelled, so calendars take the newer.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from gametime_cli.models import Booking, Club, Status

PRODID = "-//gametime-cli//Court bookings//EN"
SEQUENCE = {Status.PENDING: 0, Status.RUNNING: 0, Status.CONFIRMED: 1, Status.CANCELLED: 2}
STATUS = {Status.PENDING: "TENTATIVE", Status.RUNNING: "TENTATIVE",
          Status.CONFIRMED: "CONFIRMED", Status.CANCELLED: "CANCELLED"}


def uid(booking: Booking) -> str:
    """Stable for the booking's life: its id and the instant it was registered."""
    return f"booking-{booking.id}-{int(booking.created_at.timestamp())}@gametime-cli"


def wanted(booking: Booking, pending: bool) -> bool:
    """The games a calendar shows: confirmed ones; a cancelled one that had been booked
    (as CANCELLED, so an earlier import drops it); with `pending`, those still to book."""
    if booking.status == Status.CONFIRMED:
        return True
    if booking.status == Status.CANCELLED:
        return booking.confirmation is not None
    return pending and booking.status in (Status.PENDING, Status.RUNNING)


def event_text(booking: Booking, club: Club) -> tuple[str, str]:
    """The event's summary and description."""
    if booking.status == Status.PENDING or booking.status == Status.RUNNING:
        summary = f"Court at {club.name} (to be booked)"
    else:
        summary = f"Court {booking.court} at {club.name}"
    lines = [f"Court {booking.court}" if booking.court else
             f"Courts wanted: {', '.join(map(str, booking.courts)) or 'any'}"]
    if booking.partners or booking.guests:
        from gametime_cli.output.words import players_label

        lines.append(f"With {players_label(booking.partners, booking.guests)}")
    if booking.confirmation:
        lines.append(f"Confirmation {booking.confirmation}")
    if booking.status == Status.CANCELLED:
        lines.append("Cancelled")
    lines.append(f"gametime booking {booking.id}")
    return summary, "\n".join(lines)


def build(bookings: Iterable[Booking], clubs: dict[str, Club], now: datetime,
          pending: bool = False) -> bytes:
    """The calendar of the wanted bookings (see `wanted`), as the .ics file's bytes."""
    from icalendar import Calendar, Event

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "Court bookings")
    for booking in bookings:
        club = clubs.get(booking.club)
        if club is None or not wanted(booking, pending):
            continue
        start = datetime.combine(booking.day, booking.played_time, club.zone)
        summary, description = event_text(booking, club)
        event = Event()
        event.add("uid", uid(booking))
        event.add("dtstamp", now)
        event.add("dtstart", start)
        event.add("duration", timedelta(minutes=booking.duration))
        event.add("summary", summary)
        event.add("location", f"{club.name}, court {booking.court}" if booking.court
                  else club.name)
        event.add("description", description)
        event.add("status", STATUS[booking.status])
        event.add("sequence", SEQUENCE[booking.status])
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()
