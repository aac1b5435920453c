"""A booking's JSON, defined once: each key with the SQL that reads it from the row and
the Python that reads it from a `Booking`. `booking_json` builds the object in Python;
`BOOKING_JSON_SQL` has SQLite build the same object from the stored row (the store's
text is already in its shape), which `list --json` uses over a long history."""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from typing import Any

from gametime_cli.booking.offer import LENGTH_NOTE
from gametime_cli.clock import to_iso
from gametime_cli.models import Booking, Status


def _hhmm(value: Any) -> str | None:
    return value.strftime("%H:%M") if value is not None else None


def _iso(value: Any) -> str | None:
    return to_iso(value) if value is not None else None


def _length_note_sql() -> str:
    """LENGTH_NOTE's words, with SQLite filling in the two lengths."""
    words = LENGTH_NOTE.replace("'", "''").format(booked="' || b.booked_minutes || '",
                                                  asked="' || b.duration || '")
    return ("CASE WHEN b.booked_minutes IS NOT NULL AND b.booked_minutes != b.duration"
            f" THEN '{words}' END")


FIELDS: tuple[tuple[str, str, Callable[[Booking], Any]], ...] = (
    ("id", "b.id", attrgetter("id")),
    ("club", "c.name", attrgetter("club")),
    ("account", "b.account", attrgetter("account")),
    ("date", "b.day", lambda b: b.day.isoformat()),
    ("time", "b.time", lambda b: _hhmm(b.time)),
    ("duration", "b.duration", attrgetter("duration")),
    ("courts", "json(b.courts)", attrgetter("courts")),
    ("partners", "json(b.partners)", attrgetter("partners")),
    ("guests", "json(b.guests)", attrgetter("guests")),
    ("type", "b.type", attrgetter("type")),
    ("status", "b.status", attrgetter("status")),
    ("execute_at", "b.execute_at", lambda b: to_iso(b.execute_at)),
    ("next_try_at", f"CASE WHEN b.status = '{Status.PENDING}' THEN b.due_at END",
     lambda b: to_iso(b.due_at) if b.status == Status.PENDING else None),
    ("attempts", "(SELECT COUNT(*) FROM attempts a WHERE a.booking_id = b.id)",
     attrgetter("attempts")),
    ("court", "b.court", attrgetter("court")),
    ("confirmation", "b.confirmation", attrgetter("confirmation")),
    ("last_error", "b.last_error", attrgetter("last_error")),
    ("series", "b.series_id", attrgetter("series_id")),
    ("or_times", "json(b.or_times)", lambda b: [_hhmm(t) for t in b.or_times]),
    ("any_court", "json(CASE WHEN b.any_court THEN 'true' ELSE 'false' END)",
     attrgetter("any_court")),
    ("booked_time", "b.booked_time", lambda b: _hhmm(b.booked_time)),
    ("keep_trying_until", "b.keep_trying", attrgetter("keep_trying")),
    ("watching_since", "b.watching_since", lambda b: _iso(b.watching_since)),
    ("checks", "b.checks", attrgetter("checks")),
    ("site_id", "b.site_id", attrgetter("site_id")),
    ("booked_minutes", "b.booked_minutes", attrgetter("booked_minutes")),
    ("length_note", _length_note_sql(), attrgetter("length_note")),
)
"""(key, SQL over `bookings b JOIN clubs c`, Python over a Booking), in the JSON's order."""

BOOKING_JSON_SQL = "json_object(" + ", ".join(f"'{key}', {sql}" for key, sql, _ in FIELDS) + ")"


def booking_json(booking: Booking) -> dict[str, Any]:
    return {key: read(booking) for key, _, read in FIELDS}
