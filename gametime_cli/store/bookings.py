"""Bookings: their rows, the views `list` shows, cancels. Attempts are in `attempts`,
claims and leases in `leases`."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from gametime_cli.clock import from_iso, to_iso
from gametime_cli.errors import BadInput
from gametime_cli.models import Booking, CancelAnswer, Club, Status, is_row_id
from gametime_cli.output.booking_json import BOOKING_JSON
from gametime_cli.store.leases import LET_GO, lapsed

BOOKING_SELECT = """
SELECT b.*, c.name AS club,
       (SELECT COUNT(*) FROM attempts a WHERE a.booking_id = b.id) AS attempts
FROM bookings b JOIN clubs c ON c.id = b.club_id
"""
RECENT = timedelta(days=7)
"""`list` shows the results of slots this recent, besides what is still to come."""
_LIVE = (Status.PENDING, Status.RUNNING)
"""A booking still to run, or running."""
_UPCOMING = "(b.status IN ('pending', 'running') OR b.slot_start >= :now)"
_RECENT = ("(b.status NOT IN ('pending', 'running') AND b.slot_start >= :since"
           " AND b.slot_start < :now)")


@dataclass(frozen=True)
class BookingView:
    """Which bookings `list` shows. By default those still to run or to play, then the
    results of the last week's slots (RECENT); `everything` for every booking. `status`
    narrows either; `limit` caps the rows, keeping what is still to come first."""

    now: datetime
    status: str | None = None
    everything: bool = False
    limit: int | None = None

    def args(self) -> dict[str, object]:
        return {"now": to_iso(self.now), "since": to_iso(self.now - RECENT),
                "status": self.status, "limit": -1 if self.limit is None else self.limit}

    @property
    def only(self) -> str:
        return " AND b.status = :status" if self.status else ""


@dataclass(frozen=True)
class ViewCounts:
    """How many bookings a view holds, and how many there are with its status."""

    in_view: int
    total: int


class BookingStore:
    """Bookings: rows, queries and cancels."""

    conn: sqlite3.Connection
    path: Path

    # -- bookings --------------------------------------------------------------

    def add_booking(
        self,
        *,
        club: Club,
        account: str | None,
        day: str,
        time: str,
        duration: int,
        courts: list[int],
        partners: list[str],
        type: str | None,
        execute_at: datetime,
        slot_start: datetime,
        now: datetime,
        series_id: int | None = None,
        or_times: list[str] | None = None,
        any_court: bool = False,
        keep_trying: str | None = None,
        guests: list[str] | None = None,
    ) -> Booking:
        with self.transaction() as conn:
            clash = conn.execute(
                "SELECT id FROM bookings WHERE club_id = ? AND day = ? AND time = ? "
                "AND account IS ? AND status IN ('pending', 'running', 'confirmed')",
                [club.id, day, time, account],
            ).fetchone()
            if clash:
                raise BadInput(
                    f"booking {clash['id']} already covers {day} {time} at {club.name}; "
                    f"cancel it first with 'gametime cancel {clash['id']}'"
                )
            stamp = to_iso(now)
            cur = conn.execute(
                "INSERT INTO bookings (club_id, account, day, time, duration, courts, partners,"
                " type, status, execute_at, due_at, slot_start, created_at, updated_at,"
                " series_id, or_times, any_court, keep_trying, guests)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [club.id, account, day, time, duration, json.dumps(courts),
                 json.dumps(partners), type, to_iso(execute_at), to_iso(execute_at),
                 to_iso(slot_start), stamp, stamp, series_id, json.dumps(or_times or []),
                 int(any_court), keep_trying, json.dumps(guests or [])],
            )
            booking_id = cur.lastrowid
        return self.get_booking(booking_id)

    def get_booking(self, booking_id: int) -> Booking:
        row = None
        if is_row_id(booking_id):
            row = self.conn.execute(BOOKING_SELECT + " WHERE b.id = ?", [booking_id]).fetchone()
        if row is None:
            raise BadInput(f"no booking with id {booking_id}; 'gametime list' shows them")
        return Booking.from_row(row)

    def list_bookings(self, status: str | None = None) -> list[Booking]:
        where, args = ("WHERE b.status = ?", [status]) if status else ("", [])
        rows = self.conn.execute(
            BOOKING_SELECT + f" {where} ORDER BY b.slot_start, b.id", args
        )
        return [Booking.from_row(r) for r in rows]

    def count_view(self, view: BookingView) -> ViewCounts:
        """How many bookings are in `view` (uncapped), and how many of its status."""
        only = view.only
        row = self.conn.execute(
            "SELECT (SELECT COUNT(*) FROM bookings b WHERE b.status IN ('pending', 'running')"
            f"{only}), (SELECT COUNT(*) FROM bookings b WHERE b.slot_start >= :since"
            f" AND b.status NOT IN ('pending', 'running'){only}),"
            f" (SELECT COUNT(*) FROM bookings b WHERE 1{only})", view.args()).fetchone()
        return ViewCounts(row[2] if view.everything else row[0] + row[1], row[2])

    def iter_view(self, view: BookingView) -> Iterator[Booking]:
        """The bookings in `view`, soonest slot first, read from a cursor row by row: the
        list is never held whole. Capped, what is still to come is kept first, then the
        latest results."""
        for row in self.conn.execute(self._view_sql(view, BOOKING_SELECT), view.args()):
            yield Booking.from_row(row)

    def iter_view_json(self, view: BookingView) -> Iterator[str]:
        """`iter_view`, each booking as the JSON text of `output.booking_json`."""
        select = f"SELECT {BOOKING_JSON} FROM bookings b JOIN clubs c ON c.id = b.club_id"
        for row in self.conn.execute(self._view_sql(view, select), view.args()):
            yield row[0]

    @staticmethod
    def _view_sql(view: BookingView, select: str) -> str:
        if view.everything:
            return select + f" WHERE 1{view.only} ORDER BY b.slot_start, b.id LIMIT :limit"
        return (
            f"WITH up AS (SELECT b.id FROM bookings b WHERE {_UPCOMING}{view.only}"
            " ORDER BY b.slot_start, b.id LIMIT :limit),"
            f" recent AS (SELECT b.id FROM bookings b WHERE {_RECENT}{view.only}"
            " ORDER BY b.slot_start DESC, b.id DESC LIMIT CASE WHEN :limit < 0 THEN -1"
            " ELSE :limit - (SELECT COUNT(*) FROM up) END) "
            + select + " WHERE b.id IN (SELECT id FROM up UNION ALL"
            " SELECT id FROM recent) ORDER BY b.slot_start, b.id"
        )

    def next_pending(self, limit: int) -> list[Booking]:
        """The `limit` pending bookings that fall due first (watch's view), by index."""
        rows = self.conn.execute(
            BOOKING_SELECT + " WHERE b.status = 'pending' ORDER BY b.due_at, b.id LIMIT ?",
            [limit])
        return [Booking.from_row(r) for r in rows]

    def cancel_booking(self, booking_id: int, now: datetime) -> CancelAnswer:
        """Cancel a booking here, whichever run holds it. Returns what happened (see
        `CancelAnswer`)."""
        stamp = to_iso(now)
        with self.transaction() as conn:
            booking = self.get_booking(booking_id)
            if booking.status == Status.CANCELLED:
                return CancelAnswer.ALREADY
            if booking.status == Status.CONFIRMED:
                return CancelAnswer.ON_SITE
            if booking.status in _LIVE and self._submitting_now(conn, booking_id):
                # The site may hold it already: the run submitting it (or, for a run that
                # died there, the next one, at once) checks the site and cancels it there.
                conn.execute(
                    "UPDATE bookings SET cancel_requested_at = ?, updated_at = ?,"
                    " due_at = CASE WHEN status = 'pending' THEN MIN(due_at, ?) ELSE due_at END"
                    " WHERE id = ?", [stamp, stamp, stamp, booking_id])
                return CancelAnswer.REQUESTED
            if booking.status not in _LIVE:
                # Failed or missed (perhaps as the cancel came): nothing was booked.
                return CancelAnswer.ENDED
            conn.execute(
                "UPDATE attempts SET finished_at = ?, outcome = 'cancelled',"
                " error = 'cancelled by the player' WHERE booking_id = ? AND finished_at IS NULL",
                [stamp, booking_id],
            )
            conn.execute(
                "UPDATE bookings SET status = 'cancelled', cancel_requested_at = ?,"
                f" {LET_GO}, updated_at = ? WHERE id = ?",
                [stamp, stamp, booking_id],
            )
        return CancelAnswer.CANCELLED

    @staticmethod
    def _submitting_now(conn: sqlite3.Connection, booking_id: int) -> bool:
        """Has the booking's unfinished attempt, or one never checked, sent the form?"""
        row = conn.execute(
            "SELECT EXISTS (SELECT 1 FROM attempts a JOIN bookings b ON b.id = a.booking_id"
            " WHERE a.booking_id = ? AND a.submitted_at IS NOT NULL AND (a.finished_at IS NULL"
            " OR (COALESCE(a.outcome, '') NOT IN ('confirmed', 'reconciled')"
            " AND a.id > COALESCE(b.checked_attempt, 0))))",
            [booking_id],
        ).fetchone()
        return bool(row[0])

    def mark_cancelled(self, booking_id: int, now: datetime, note: str | None = None) -> None:
        """The booking is cancelled (on the site too, where it had been made)."""
        stamp = to_iso(now)
        self.conn.execute(
            f"UPDATE bookings SET status = 'cancelled', last_error = ?, {LET_GO},"
            " cancel_requested_at = COALESCE(cancel_requested_at, ?),"
            " updated_at = ? WHERE id = ?",
            [note, stamp, stamp, booking_id],
        )

    def note_error(self, booking_id: int, error: str, now: datetime) -> None:
        self.conn.execute("UPDATE bookings SET last_error = ?, updated_at = ? WHERE id = ?",
                          [error, to_iso(now), booking_id])

    def next_read(self) -> datetime | None:
        """When the next booking that keeps trying reads the day's courts again."""
        row = self.conn.execute(
            "SELECT MIN(due_at) FROM bookings WHERE status = 'pending'"
            " AND watching_since IS NOT NULL").fetchone()
        return from_iso(row[0]) if row and row[0] else None

    def due_bookings(self, now: datetime, horizon: datetime | None = None) -> list[Booking]:
        stamp = to_iso(now)
        rows = self.conn.execute(
            BOOKING_SELECT + " WHERE (b.status = 'pending' AND b.due_at <= ?)"
            f" OR {lapsed('b.')} ORDER BY b.due_at, b.id",
            [to_iso(horizon or now), stamp],
        )
        return [Booking.from_row(r) for r in rows]
