"""Attempts: starting one, recording its outcome, what earlier ones say. Every write
that needs the run's lease goes through `leases`."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

from gametime_cli.clock import from_iso, to_iso
from gametime_cli.models import Attempt, Booking, is_row_id
from gametime_cli.store.leases import LET_GO, check_held, held_update


class AttemptStore:
    """Attempts and their outcomes."""

    conn: sqlite3.Connection
    path: Path

    def needs_check(self, booking_id: int) -> bool:
        """Has an attempt submitted the form without seeing a confirmation since the site
        was last checked? Then the site may hold the booking already, and must be asked
        before booking again. 'Since' is by attempt id, which only grows."""
        row = self.conn.execute(
            "SELECT EXISTS (SELECT 1 FROM attempts a JOIN bookings b ON b.id = a.booking_id"
            " WHERE a.booking_id = ? AND a.submitted_at IS NOT NULL"
            " AND COALESCE(a.outcome, '') NOT IN ('confirmed', 'reconciled')"
            " AND a.id > COALESCE(b.checked_attempt, 0))",
            [booking_id],
        ).fetchone()
        return bool(row[0])

    def mark_checked(self, booking: Booking, owner: str, now: datetime) -> None:
        """The site was asked and doesn't hold the booking: submitting again is safe."""
        held_update(self.conn, booking.id, owner,
                    "checked_at = ?, checked_attempt = (SELECT MAX(id) FROM"
                    " attempts WHERE booking_id = ? AND submitted_at IS NOT NULL)",
                    [to_iso(now), booking.id])

    def start_attempt(self, booking: Booking, owner: str, now: datetime,
                      lease: timedelta) -> tuple[int, int]:
        """Record a new attempt and renew the lease; returns the attempt's row id and its
        number for the booking."""
        with self.transaction() as conn:
            self.renew_lease(booking, owner, now + lease)
            number = conn.execute(
                "SELECT COALESCE(MAX(number), 0) + 1 FROM attempts WHERE booking_id = ?",
                [booking.id],
            ).fetchone()[0]
            cur = conn.execute(
                "INSERT INTO attempts (booking_id, number, owner, started_at) VALUES (?, ?, ?, ?)",
                [booking.id, number, owner, to_iso(now)],
            )
        return cur.lastrowid, number

    def finish(
        self,
        booking: Booking,
        attempt_id: int,
        owner: str,
        *,
        outcome: str,
        status: str,
        now: datetime,
        due_at: datetime | None = None,
        court: int | None = None,
        confirmation: str | None = None,
        error: str | None = None,
        artifacts: list[str] | None = None,
        booked_time: str | None = None,
        watching_since: datetime | None = None,
        site_id: str | None = None,
        booked_minutes: int | None = None,
    ) -> None:
        """Record an attempt's outcome and the booking's next state, fenced by the lease;
        `watching_since` when it now keeps trying, every court being taken."""
        stamp = to_iso(now)
        with self.transaction() as conn:
            check_held(conn, booking.id, owner)
            conn.execute(
                "UPDATE attempts SET finished_at = ?, outcome = ?, court = COALESCE(?, court),"
                " confirmation = ?, error = ?, artifacts = ? WHERE id = ?",
                [stamp, outcome, court, confirmation, error,
                 json.dumps(artifacts) if artifacts else None, attempt_id],
            )
            held_update(
                conn, booking.id, owner,
                "status = ?, due_at = COALESCE(?, due_at),"
                " court = COALESCE(?, court), confirmation = COALESCE(?, confirmation),"
                " booked_time = COALESCE(?, booked_time),"
                " watching_since = COALESCE(watching_since, ?),"
                " site_id = COALESCE(?, site_id), booked_minutes = COALESCE(?, booked_minutes),"
                f" last_error = ?, {LET_GO}, updated_at = ?",
                [status, to_iso(due_at) if due_at else None, court, confirmation, booked_time,
                 to_iso(watching_since) if watching_since else None, site_id, booked_minutes,
                 error, stamp])

    def note_read(self, booking: Booking, owner: str, now: datetime, *, status: str,
                  due_at: datetime | None, error: str, counted: bool = True) -> None:
        """A booking that keeps trying read the day's courts and found none free (or,
        not `counted`, couldn't read them): hand it back, due again at `due_at` (or
        ended, at the cut-off)."""
        held_update(self.conn, booking.id, owner,
                    "status = ?, due_at = COALESCE(?, due_at),"
                    f" checks = checks + ?, last_error = ?, {LET_GO}, updated_at = ?",
                    [status, to_iso(due_at) if due_at else None, int(counted), error,
                     to_iso(now)])

    def count_read(self, booking_id: int) -> None:
        """One more read of the day's courts for a booking that keeps trying."""
        self.conn.execute("UPDATE bookings SET checks = checks + 1 WHERE id = ?", [booking_id])

    def watch_partner_due(self, booking: Booking, now: datetime) -> datetime | None:
        """The next read planned for another booking watching the same club and day:
        one read of the day's courts serves them all."""
        row = self.conn.execute(
            "SELECT MIN(due_at) FROM bookings WHERE club_id = ? AND day = ? AND id != ?"
            " AND status = 'pending' AND watching_since IS NOT NULL AND due_at > ?",
            [booking.club_id, booking.day.isoformat(), booking.id, to_iso(now)],
        ).fetchone()
        return from_iso(row[0]) if row and row[0] else None

    def settle_without_attempt(self, booking: Booking, owner: str, status: str,
                               error: str, now: datetime) -> None:
        """End a claimed booking with no attempt made (e.g. missed: its slot began)."""
        held_update(self.conn, booking.id, owner,
                    f"status = ?, last_error = ?, {LET_GO}, updated_at = ?",
                    [status, error, to_iso(now)])

    def failures(self, booking_id: int) -> int:
        """Earlier attempts that count against max_attempts: transient failures and
        attempts whose run died."""
        return self.conn.execute(
            "SELECT COUNT(*) FROM attempts WHERE booking_id = ? AND outcome IN"
            " ('transient', 'interrupted')",
            [booking_id],
        ).fetchone()[0]

    def held_since(self, booking_id: int) -> datetime | None:
        """When an attempt first found the slot held by another member, if one did."""
        row = self.conn.execute(
            "SELECT MIN(started_at) FROM attempts WHERE booking_id = ? AND outcome = 'held'",
            [booking_id],
        ).fetchone()
        return from_iso(row[0]) if row and row[0] else None

    def attempts_for(self, booking_id: int) -> list[Attempt]:
        if not is_row_id(booking_id):
            return []
        rows = self.conn.execute(
            "SELECT * FROM attempts WHERE booking_id = ? ORDER BY number", [booking_id]
        )
        return [Attempt.from_row(r) for r in rows]
