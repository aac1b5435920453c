"""A booking's JSON, defined once: each key with the SQL that builds it from a row of
`bookings b JOIN clubs c` and the Python that reads it from a `Booking`. `list --json`
has SQLite build the object (ten times quicker over a long history than making a
Booking of each row); `show`, `book` and the run's JSON build it in Python. Both come
from `FIELDS`, so they can't drift apart."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gametime_cli.booking.offer import LENGTH_NOTE
from gametime_cli.clock import to_iso
from gametime_cli.models import Booking, Status


@dataclass(frozen=True)
class Field:
    """One key of the object: its SQL expression and its Python getter."""

    key: str
    sql: str
    value: Callable[[Booking], Any]


def _hhmm(t: Any) -> str | None:
    return t.strftime("%H:%M") if t else None


def _iso(moment: Any) -> str | None:
    return to_iso(moment) if moment else None


def _sql_words(template: str, **columns: str) -> str:
    """`template`'s words as an SQL concatenation, each `{name}` replaced by its column."""
    parts = template.replace("{", "}").split("}")
    return " || ".join(columns[p] if i % 2 else "'" + p.replace("'", "''") + "'"
                       for i, p in enumerate(parts) if p)


FIELDS: tuple[Field, ...] = (
    Field("id", "b.id", lambda b: b.id),
    Field("club", "c.name", lambda b: b.club),
    Field("account", "b.account", lambda b: b.account),
    Field("date", "b.day", lambda b: b.day.isoformat()),
    Field("time", "b.time", lambda b: _hhmm(b.time)),
    Field("duration", "b.duration", lambda b: b.duration),
    Field("courts", "json(b.courts)", lambda b: b.courts),
    Field("partners", "json(b.partners)", lambda b: b.partners),
    Field("guests", "json(b.guests)", lambda b: b.guests),
    Field("type", "b.type", lambda b: b.type),
    Field("status", "b.status", lambda b: b.status),
    Field("execute_at", "b.execute_at", lambda b: to_iso(b.execute_at)),
    Field("next_try_at", f"CASE WHEN b.status = '{Status.PENDING}' THEN b.due_at END",
          lambda b: to_iso(b.due_at) if b.status == Status.PENDING else None),
    Field("attempts", "(SELECT COUNT(*) FROM attempts a WHERE a.booking_id = b.id)",
          lambda b: b.attempts),
    Field("court", "b.court", lambda b: b.court),
    Field("confirmation", "b.confirmation", lambda b: b.confirmation),
    Field("last_error", "b.last_error", lambda b: b.last_error),
    Field("series", "b.series_id", lambda b: b.series_id),
    Field("or_times", "json(b.or_times)", lambda b: [_hhmm(t) for t in b.or_times]),
    Field("any_court", "json(CASE WHEN b.any_court THEN 'true' ELSE 'false' END)",
          lambda b: b.any_court),
    Field("booked_time", "b.booked_time", lambda b: _hhmm(b.booked_time)),
    Field("keep_trying_until", "b.keep_trying", lambda b: b.keep_trying),
    Field("watching_since", "b.watching_since", lambda b: _iso(b.watching_since)),
    Field("checks", "b.checks", lambda b: b.checks),
    Field("site_id", "b.site_id", lambda b: b.site_id),
    Field("booked_minutes", "b.booked_minutes", lambda b: b.booked_minutes),
    Field("length_note",
          "CASE WHEN b.booked_minutes IS NOT NULL AND b.booked_minutes != b.duration THEN "
          + _sql_words(LENGTH_NOTE, booked="b.booked_minutes", asked="b.duration") + " END",
          lambda b: b.length_note),
)

BOOKING_JSON = "json_object(" + ", ".join(f"'{f.key}', {f.sql}" for f in FIELDS) + ")"
"""SQL: the object `booking_json` makes, built by SQLite from a row of
`bookings b JOIN clubs c ON c.id = b.club_id`."""


def booking_json(booking: Booking) -> dict[str, Any]:
    """The booking as the JSON object scripts read."""
    return {f.key: f.value(booking) for f in FIELDS}
