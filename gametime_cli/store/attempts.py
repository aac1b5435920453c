"""A booking's attempts: each try's row, the submit recorded before the form is sent,
its outcome, and whether the site must be asked before trying again."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta

from gametime_cli.clock import from_iso, to_iso
from gametime_cli.models import Attempt, Booking, is_row_id
from gametime_cli.store.leases import LeaseStore


class AttemptStore(LeaseStore):
    """Attempts, and the outcomes they record on their booking (fenced by the lease)."""

    conn: sqlite3.Connection

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
        self._fenced(self.conn, booking.id, owner,
                     "checked_at = ?, checked_attempt = (SELECT MAX(id) FROM attempts"
                     " WHERE booking_id = ? AND submitted_at IS NOT NULL)",
                     [to_iso(now), booking.id], release=False)

    def mark_submitting(self, booking: Booking, attempt_id: int, owner: str, court: int,
                        now: datetime, lease: timedelta) -> None:
        """Record, fenced by the lease, that this attempt is about to submit; renews the
        lease. LeaseLost means another run has the booking: do not submit."""
        with self.transaction() as conn:
            self.renew_lease(booking, owner, now + lease)
            conn.execute(
                "UPDATE attempts SET submitted_at = ?, court = ? WHERE id = ?",
                [to_iso(now), court, attempt_id],
            )

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
            self._check_lease(conn, booking.id, owner)
            conn.execute(
                "UPDATE attempts SET finished_at = ?, outcome = ?, court = COALESCE(?, court),"
                " confirmation = ?, error = ?, artifacts = ? WHERE id = ?",
                [stamp, outcome, court, confirmation, error,
                 json.dumps(artifacts) if artifacts else None, attempt_id],
            )
            self._fenced(
                conn, booking.id, owner,
                "status = ?, due_at = COALESCE(?, due_at),"
                " court = COALESCE(?, court), confirmation = COALESCE(?, confirmation),"
                " booked_time = COALESCE(?, booked_time),"
                " watching_since = COALESCE(watching_since, ?),"
                " site_id = COALESCE(?, site_id), booked_minutes = COALESCE(?, booked_minutes),"
                " last_error = ?, updated_at = ?",
                [status, to_iso(due_at) if due_at else None, court, confirmation, booked_time,
                 to_iso(watching_since) if watching_since else None, site_id, booked_minutes,
                 error, stamp])

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
