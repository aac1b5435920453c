"""Leases: which run holds a booking, and until when. Claiming what is due (or held by a
run whose lease ran out), checking, renewing and releasing a lease, fencing the submit.

Every statement that reads or writes `lease_owner`/`lease_expires` is here, or is built
from the fragments below (`LET_GO`, `lapsed`, `held_update`), so a change to the lease
protocol touches this file and nothing else in `store/`.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

from gametime_cli.clock import from_iso, to_iso
from gametime_cli.errors import LeaseLost
from gametime_cli.models import Booking

LET_GO = "lease_owner = NULL, lease_expires = NULL"
"""SET fragment: the run holding the booking lets go of it."""


def lapsed(table: str = "") -> str:
    """WHERE fragment (one argument, now): held by a run whose lease ran out; `table` is
    the alias with its dot (`b.`) where the query joins."""
    return f"({table}status = 'running' AND {table}lease_expires < ?)"


def held_update(conn: sqlite3.Connection, booking_id: int, owner: str, sets: str,
                args: list[object]) -> None:
    """`UPDATE bookings SET <sets>` on the booking while `owner` holds it; LeaseLost (and
    no write) if it doesn't."""
    cur = conn.execute(f"UPDATE bookings SET {sets} WHERE id = ? AND lease_owner = ?",
                       [*args, booking_id, owner])
    if cur.rowcount == 0:
        raise LeaseLost(booking_id)


def check_held(conn: sqlite3.Connection, booking_id: int, owner: str) -> None:
    """LeaseLost unless `owner` holds the running booking."""
    row = conn.execute(
        "SELECT 1 FROM bookings WHERE id = ? AND lease_owner = ? AND status = 'running'",
        [booking_id, owner],
    ).fetchone()
    if row is None:
        raise LeaseLost(booking_id)


class LeaseStore:
    """Claims and leases."""

    conn: sqlite3.Connection
    path: Path

    def has_due(self, now: datetime, horizon: datetime | None = None) -> bool:
        """The idle check cron pays every minute: one indexed lookup for bookings due by
        `horizon` (default now; a booking that keeps trying only once due), or held by a
        run whose lease ran out."""
        stamp = to_iso(now)
        row = self.conn.execute(
            "SELECT EXISTS (SELECT 1 FROM bookings WHERE status = 'pending' AND due_at <= ?"
            " AND (watching_since IS NULL OR due_at <= ?))"
            f" OR EXISTS (SELECT 1 FROM bookings WHERE {lapsed()})"
            " OR EXISTS (SELECT 1 FROM series WHERE status = 'active' AND next_at <= ?)",
            [to_iso(horizon or now), stamp, stamp, stamp],
        ).fetchone()
        return bool(row[0])

    def next_due(self, exclude: set[int] | None = None) -> datetime | None:
        """When the earliest pending booking (not in `exclude`, nor keeping trying: see
        `next_read`) falls due, or another run's lease runs out."""
        skip = (" AND id NOT IN (SELECT value FROM json_each(?))" if exclude else "")
        row = self.conn.execute(
            "SELECT MIN(t) FROM (SELECT MIN(due_at) AS t FROM bookings WHERE status = 'pending'"
            " AND watching_since IS NULL"
            f"{skip} UNION ALL SELECT MIN(lease_expires) FROM bookings WHERE status = 'running')",
            [json.dumps(sorted(exclude))] if exclude else [],
        ).fetchone()
        return from_iso(row[0]) if row and row[0] else None

    def claim_next_due(
        self, owner: str, now: datetime, lease: timedelta, exclude: set[int] | None = None,
        horizon: datetime | None = None, later_only: bool = False,
    ) -> Booking | None:
        """Claim one booking due by `horizon` (default now), or one whose holder's lease
        ran out, in one statement. The lease covers the wait until it is due. With
        `later_only`, only a pending booking not yet due (one opening soon).

        Overlapping runs each get different bookings or none: the UPDATE both picks
        and marks the row, so no two runs can hold the same booking.
        """
        stamp = to_iso(now)
        until = to_iso(max(now, horizon or now) + lease)
        which = ("(status = 'pending' AND due_at <= ? AND due_at > ?"
                 " AND watching_since IS NULL)" if later_only else
                 f"((status = 'pending' AND due_at <= ?) OR {lapsed()})")
        row = self.conn.execute(
            "UPDATE bookings SET status = 'running', lease_owner = ?, lease_expires = ?,"
            f" updated_at = ? WHERE id = (SELECT id FROM bookings WHERE {which}"
            " AND id NOT IN (SELECT value FROM json_each(?))"
            " ORDER BY due_at, id LIMIT 1) RETURNING id",
            [owner, until, stamp, to_iso(horizon or now), stamp,
             json.dumps(sorted(exclude or ()))],
        ).fetchone()
        if row is None:
            return None
        self.conn.execute(
            "UPDATE attempts SET finished_at = ?, outcome = 'interrupted',"
            " error = 'the run making this attempt stopped before it finished'"
            " WHERE booking_id = ? AND finished_at IS NULL",
            [stamp, row["id"]],
        )
        return self.get_booking(row["id"])

    def check_lease(self, booking: Booking, owner: str) -> None:
        """LeaseLost unless this run still holds the booking (not cancelled, not taken
        over): the fence before the site's hold is taken."""
        check_held(self.conn, booking.id, owner)

    def renew_lease(self, booking: Booking, owner: str, until: datetime) -> None:
        """Extend this run's lease; LeaseLost (and no write) if another run has it."""
        cur = self.conn.execute(
            "UPDATE bookings SET lease_expires = ? WHERE id = ? AND lease_owner = ?"
            " AND status = 'running'",
            [to_iso(until), booking.id, owner],
        )
        if cur.rowcount == 0:
            raise LeaseLost(booking.id)

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

    def release(self, booking: Booking, owner: str, now: datetime, reason: str) -> None:
        """Hand a claimed booking back untouched (interrupted before an attempt)."""
        held_update(self.conn, booking.id, owner,
                    f"status = 'pending', {LET_GO}, last_error = ?, updated_at = ?",
                    [reason, to_iso(now)])

    def release_all(self, owner: str, now: datetime, reason: str) -> int:
        """Hand back every booking this run still holds (it is stopping)."""
        cur = self.conn.execute(
            f"UPDATE bookings SET status = 'pending', {LET_GO},"
            " last_error = ?, updated_at = ? WHERE lease_owner = ? AND status = 'running'",
            [reason, to_iso(now), owner],
        )
        return cur.rowcount
