"""The lease protocol: how a run claims a booking, holds it while it works, fences its
writes, and hands it back. A booking a run holds is `running` with `lease_owner` (the
run's token) and `lease_expires`; a lease that ran out may be claimed by any run. Every
write a run makes to a booking it holds goes through `_fenced`, so no run ever records
over another's claim."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from gametime_cli.clock import to_iso
from gametime_cli.errors import LeaseLost

if TYPE_CHECKING:
    from gametime_cli.models import Booking

RELEASED = "lease_owner = NULL, lease_expires = NULL"
"""The assignments that end a booking's lease."""


def lease_ran_out(table: str = "") -> str:
    """The condition of a claimed booking whose lease ran out (one parameter: now)."""
    return f"({table}status = 'running' AND {table}lease_expires < ?)"


NEXT_LEASE_END = "SELECT MIN(lease_expires) FROM bookings WHERE status = 'running'"
"""When the first lease held now runs out."""


class LeaseStore:
    """Claims and leases on bookings."""

    conn: sqlite3.Connection

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
                 f"((status = 'pending' AND due_at <= ?) OR {lease_ran_out()})")
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
        return self.get_booking(row["id"])  # type: ignore[attr-defined]

    def check_lease(self, booking: Booking, owner: str) -> None:
        """LeaseLost unless this run still holds the booking (not cancelled, not taken
        over): the fence before the site's hold is taken."""
        self._check_lease(self.conn, booking.id, owner)

    @staticmethod
    def _check_lease(conn: sqlite3.Connection, booking_id: int, owner: str) -> None:
        row = conn.execute(
            "SELECT 1 FROM bookings WHERE id = ? AND lease_owner = ? AND status = 'running'",
            [booking_id, owner],
        ).fetchone()
        if row is None:
            raise LeaseLost(booking_id)

    def renew_lease(self, booking: Booking, owner: str, until: datetime) -> None:
        """Extend this run's lease; LeaseLost (and no write) if another run has it."""
        cur = self.conn.execute(
            "UPDATE bookings SET lease_expires = ? WHERE id = ? AND lease_owner = ?"
            " AND status = 'running'",
            [to_iso(until), booking.id, owner],
        )
        if cur.rowcount == 0:
            raise LeaseLost(booking.id)

    @staticmethod
    def _fenced(conn: sqlite3.Connection, booking_id: int, owner: str, assignments: str,
                args: list[object], release: bool = True) -> None:
        """`UPDATE bookings SET assignments` only while `owner` holds the booking
        (LeaseLost, and no write, if not); with `release`, the lease ends in the same
        statement."""
        ending = f", {RELEASED}" if release else ""
        cur = conn.execute(
            f"UPDATE bookings SET {assignments}{ending} WHERE id = ? AND lease_owner = ?",
            [*args, booking_id, owner],
        )
        if cur.rowcount == 0:
            raise LeaseLost(booking_id)

    def release(self, booking: Booking, owner: str, now: datetime, reason: str) -> None:
        """Hand a claimed booking back untouched (interrupted before an attempt)."""
        self._fenced(self.conn, booking.id, owner,
                     "status = 'pending', last_error = ?, updated_at = ?", [reason, to_iso(now)])

    def release_all(self, owner: str, now: datetime, reason: str) -> int:
        """Hand back every booking this run still holds (it is stopping)."""
        cur = self.conn.execute(
            f"UPDATE bookings SET status = 'pending', {RELEASED},"
            " last_error = ?, updated_at = ? WHERE lease_owner = ? AND status = 'running'",
            [reason, to_iso(now), owner],
        )
        return cur.rowcount
