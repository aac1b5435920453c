"""The SQLite store: opening it safely, clubs, bookings, claims with leases, attempts.

The idle path (`run-pending` with nothing due) must stay cheap, so this module talks
to `sqlite3` directly for reads and claims and imports sqlite-utils only to migrate.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from gametime_cli import paths
from gametime_cli.clock import from_iso, to_iso, utcnow
from gametime_cli.errors import BadInput, DatabaseBusy, EnvironmentProblem, LeaseLost
from gametime_cli.models import Account, Attempt, Booking, Club, Series

SCHEMA_VERSION = 8
"""Number of migrations in `migrations.py`; a test pins the two together."""
BUSY_TIMEOUT_S = 15.0

_BOOKING_SELECT = """
SELECT b.*, c.name AS club,
       (SELECT COUNT(*) FROM attempts a WHERE a.booking_id = b.id) AS attempts
FROM bookings b JOIN clubs c ON c.id = b.club_id
"""


def database_error(path: Path, exc: sqlite3.Error) -> Exception:
    """The user's words for a database failure, with the fix that fits the cause.

    SQLite never writes to a file it does not recognise, so a foreign file is left as it
    was. (The file is never opened except through SQLite: closing any other descriptor
    on it would drop the locks this process's connections hold on it.)
    """
    text = str(exc)
    if "locked" in text or "busy" in text:
        return DatabaseBusy(
            f"the database {path} is held by another process ({text}); "
            "nothing was changed, try again in a moment"
        )
    if "not a database" in text:
        return EnvironmentProblem(
            f"{path} is not an SQLite database; it was left untouched: move it away "
            "or point GAMETIME_HOME at another folder"
        )
    home = path.parent
    try:
        readonly = bool(os.statvfs(home).f_flag & os.ST_RDONLY) or not os.access(home, os.W_OK)
        full = "full" in text or shutil.disk_usage(home).free < 256 * 1024
    except OSError:
        readonly = full = False
    if readonly:
        return EnvironmentProblem(
            f"the data home {home} is not writable ({text}); nothing was changed: fix its "
            "permissions or mount, or set GAMETIME_HOME to a folder you can write"
        )
    if full:
        return EnvironmentProblem(
            f"the disk holding {home} is full ({text}); nothing was changed: free some "
            "space and try again"
        )
    if "malformed" in text:
        return EnvironmentProblem(
            f"the database {path} is damaged ({text}); it was left as it is: move it away "
            "to start afresh, or restore a backup"
        )
    return EnvironmentProblem(f"cannot use the database {path}: {text}")


class Store:
    """One connection to the data home's database."""

    def __init__(self, conn: sqlite3.Connection, path: Path):
        self.conn = conn
        self.path = path

    # -- opening ---------------------------------------------------------------

    @classmethod
    def open(cls, home: Path | None = None) -> Store:
        """Open (creating and migrating if needed) the database in the data home.

        A file that is not SQLite, or is damaged, is left untouched and reported (exit 3).
        """
        home = paths.ensure_home(home)
        path = paths.db_path(home)
        try:
            paths.create_private_file(path)
        except OSError as exc:
            raise EnvironmentProblem(f"cannot create {path}: {exc.strerror}") from exc
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        conn.row_factory = sqlite3.Row
        store = cls(conn, path)
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            conn.execute("PRAGMA foreign_keys=ON")
            # In WAL mode NORMAL survives a killed process; only a power cut can lose
            # the last commits. It keeps the writes around firing quick.
            conn.execute("PRAGMA synchronous=NORMAL")
            if version != SCHEMA_VERSION:
                store._migrate()
        except sqlite3.Error as exc:
            conn.close()
            raise database_error(path, exc) from exc
        return store

    def _migrate(self) -> None:
        from sqlite_utils import Database

        from gametime_cli.migrations import migrations

        self.conn.execute("PRAGMA journal_mode=WAL")
        with self.transaction():
            version = self.conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise EnvironmentProblem(
                    f"{self.path} was written by a newer gametime-cli; upgrade gametime-cli"
                )
            migrations.apply(Database(self.conn))
            self.conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction that takes the lock up front (no upgrade deadlocks).
        Nested, it is a savepoint: the outer one commits or undoes everything."""
        if self.conn.in_transaction:
            self.conn.execute("SAVEPOINT nested")
            try:
                yield self.conn
            except BaseException:
                self.conn.execute("ROLLBACK TO nested")
                self.conn.execute("RELEASE nested")
                raise
            self.conn.execute("RELEASE nested")
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    # -- clubs -----------------------------------------------------------------

    def add_club(
        self,
        *,
        name: str,
        url: str,
        timezone: str,
        window_days: int,
        opens_at: str,
        sport: int,
        settings: dict[str, Any] | None = None,
    ) -> Club:
        with self.transaction() as conn:
            if conn.execute("SELECT 1 FROM clubs WHERE name = ? COLLATE NOCASE", [name]).fetchone():
                raise BadInput(
                    f"a club named {name!r} already exists; "
                    f"run 'gametime club remove {name}' first or pick another name"
                )
            conn.execute(
                "INSERT INTO clubs (name, url, timezone, window_days, opens_at, sport, settings,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [name, url, timezone, window_days, opens_at, sport,
                 json.dumps(settings or {}), to_iso(utcnow())],
            )
        return self.get_club(name)

    def set_club_window(self, club: Club, *, window_days: int, opens_at: str,
                        now: datetime) -> int:
        """Change a club's window rule and move its bookings still waiting for their
        first attempt to the new opening; returns how many moved. The site's opening
        last seen is forgotten (the next run looks again)."""
        from gametime_cli.windows import window_opens_at

        changed = Club(club.id, club.name, club.url, club.timezone, window_days,
                       time.fromisoformat(opens_at), club.sport,
                       {k: v for k, v in club.settings.items() if k != "opening_seen"})
        moved = 0
        with self.transaction() as conn:
            conn.execute("UPDATE clubs SET window_days = ?, opens_at = ?, settings = ?"
                         " WHERE id = ?", [window_days, opens_at,
                                           json.dumps(changed.settings), club.id])
            rows = conn.execute(
                "SELECT b.id, b.day, b.created_at FROM bookings b WHERE b.club_id = ? AND"
                " b.status = 'pending' AND NOT EXISTS (SELECT 1 FROM attempts a"
                " WHERE a.booking_id = b.id)", [club.id]).fetchall()
            for row in rows:
                opens = window_opens_at(date.fromisoformat(row["day"]), window_days,
                                        changed.opens_at, changed.zone)
                execute_at = to_iso(max(opens, from_iso(row["created_at"])))
                conn.execute("UPDATE bookings SET execute_at = ?, due_at = ?, updated_at = ?"
                             " WHERE id = ?", [execute_at, execute_at, to_iso(now), row["id"]])
                moved += 1
        return moved

    def note_site_opening(self, club_id: int, seen: dict[str, Any]) -> None:
        """Keep, in the club's settings, what a run last saw of the site's opening."""
        with self.transaction() as conn:
            row = conn.execute("SELECT settings FROM clubs WHERE id = ?", [club_id]).fetchone()
            settings = json.loads(row[0] or "{}") if row else {}
            settings["opening_seen"] = seen
            conn.execute("UPDATE clubs SET settings = ? WHERE id = ?",
                         [json.dumps(settings), club_id])

    def get_club(self, name: str) -> Club:
        row = self.conn.execute(
            "SELECT * FROM clubs WHERE name = ? COLLATE NOCASE", [name]
        ).fetchone()
        if row is None:
            known = ", ".join(c.name for c in self.list_clubs()) or "none yet"
            raise BadInput(
                f"no club named {name!r} (known: {known}); add it with 'gametime club add'"
            )
        return Club.from_row(row)

    def club_by_id(self, club_id: int) -> Club:
        return Club.from_row(
            self.conn.execute("SELECT * FROM clubs WHERE id = ?", [club_id]).fetchone()
        )

    def list_clubs(self) -> list[Club]:
        rows = self.conn.execute("SELECT * FROM clubs ORDER BY name COLLATE NOCASE")
        return [Club.from_row(r) for r in rows]

    def remove_club(self, name: str, *, force: bool = False) -> int:
        """Remove a club; with `force` its bookings and their history go too.

        Returns how many bookings were removed with it.
        """
        club = self.get_club(name)
        with self.transaction() as conn:
            active = conn.execute(
                "SELECT COUNT(*) FROM bookings WHERE club_id = ? AND status IN "
                "('pending', 'running')",
                [club.id],
            ).fetchone()[0]
            total = conn.execute(
                "SELECT COUNT(*) FROM bookings WHERE club_id = ?", [club.id]
            ).fetchone()[0]
            if total and not force:
                raise BadInput(
                    f"club {club.name!r} has {total} booking(s), {active} still to run; "
                    "cancel them or use --force to remove the club with its bookings"
                )
            if active and force:
                running = conn.execute(
                    "SELECT COUNT(*) FROM bookings WHERE club_id = ? AND status = 'running'",
                    [club.id],
                ).fetchone()[0]
                if running:
                    raise BadInput(
                        f"club {club.name!r} has a booking running right now; try again "
                        "when it has finished"
                    )
            conn.execute(
                "DELETE FROM attempts WHERE booking_id IN "
                "(SELECT id FROM bookings WHERE club_id = ?)",
                [club.id],
            )
            conn.execute("DELETE FROM bookings WHERE club_id = ?", [club.id])
            conn.execute("DELETE FROM accounts WHERE club_id = ?", [club.id])
            conn.execute("DELETE FROM clubs WHERE id = ?", [club.id])
        return total

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
                " series_id, or_times, any_court)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?)",
                [club.id, account, day, time, duration, json.dumps(courts),
                 json.dumps(partners), type, to_iso(execute_at), to_iso(execute_at),
                 to_iso(slot_start), stamp, stamp, series_id, json.dumps(or_times or []),
                 int(any_court)],
            )
            booking_id = cur.lastrowid
        return self.get_booking(booking_id)

    def get_booking(self, booking_id: int) -> Booking:
        row = self.conn.execute(_BOOKING_SELECT + " WHERE b.id = ?", [booking_id]).fetchone()
        if row is None:
            raise BadInput(f"no booking with id {booking_id}; 'gametime list' shows them")
        return Booking.from_row(row)

    def list_bookings(self, status: str | None = None) -> list[Booking]:
        where, args = ("WHERE b.status = ?", [status]) if status else ("", [])
        rows = self.conn.execute(
            _BOOKING_SELECT + f" {where} ORDER BY b.slot_start, b.id", args
        )
        return [Booking.from_row(r) for r in rows]

    def cancel_booking(self, booking_id: int, now: datetime) -> str:
        """Cancel a booking here, whichever run holds it. Returns what happened:

        - 'cancelled': it was waiting, or a run held it but had not submitted it (that
          run stops at its next fenced step: before loading the form, before submitting);
        - 'already': it was cancelled before;
        - 'requested': a run is submitting it right now; the cancel is recorded and the
          run cancels it on the site as soon as the club confirms it;
        - 'on_site': it is confirmed: it must be cancelled on the club's site.
        """
        stamp = to_iso(now)
        with self.transaction() as conn:
            booking = self.get_booking(booking_id)
            if booking.status == "cancelled":
                return "already"
            if booking.status == "confirmed":
                return "on_site"
            if booking.status in ("pending", "running") and self._submitting_now(conn,
                                                                               booking_id):
                # The site may hold it already: the run submitting it (or, for a run that
                # died there, the next one, at once) checks the site and cancels it there.
                conn.execute(
                    "UPDATE bookings SET cancel_requested_at = ?, updated_at = ?,"
                    " due_at = CASE WHEN status = 'pending' THEN MIN(due_at, ?) ELSE due_at END"
                    " WHERE id = ?", [stamp, stamp, stamp, booking_id])
                return "requested"
            if booking.status not in ("pending", "running"):
                raise BadInput(
                    f"booking {booking_id} has already ended as {booking.status}; "
                    "nothing to cancel"
                )
            conn.execute(
                "UPDATE attempts SET finished_at = ?, outcome = 'cancelled',"
                " error = 'cancelled by the player' WHERE booking_id = ? AND finished_at IS NULL",
                [stamp, booking_id],
            )
            conn.execute(
                "UPDATE bookings SET status = 'cancelled', cancel_requested_at = ?,"
                " lease_owner = NULL, lease_expires = NULL, updated_at = ? WHERE id = ?",
                [stamp, stamp, booking_id],
            )
        return "cancelled"

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
            "UPDATE bookings SET status = 'cancelled', last_error = ?, lease_owner = NULL,"
            " lease_expires = NULL, cancel_requested_at = COALESCE(cancel_requested_at, ?),"
            " updated_at = ? WHERE id = ?",
            [note, stamp, stamp, booking_id],
        )

    def check_lease(self, booking: Booking, owner: str) -> None:
        """LeaseLost unless this run still holds the booking (not cancelled, not taken
        over): the fence before the site's hold is taken."""
        self._check_lease(self.conn, booking.id, owner)

    def note_error(self, booking_id: int, error: str, now: datetime) -> None:
        self.conn.execute("UPDATE bookings SET last_error = ?, updated_at = ? WHERE id = ?",
                          [error, to_iso(now), booking_id])

    # -- claims, attempts, outcomes ---------------------------------------------

    def has_due(self, now: datetime, horizon: datetime | None = None) -> bool:
        """The idle check cron pays every minute: one indexed lookup for bookings due by
        `horizon` (default now), or held by a run whose lease ran out."""
        stamp = to_iso(now)
        row = self.conn.execute(
            "SELECT EXISTS (SELECT 1 FROM bookings WHERE status = 'pending' AND due_at <= ?)"
            " OR EXISTS (SELECT 1 FROM bookings WHERE status = 'running'"
            " AND lease_expires < ?)"
            " OR EXISTS (SELECT 1 FROM series WHERE status = 'active' AND next_at <= ?)",
            [to_iso(horizon or now), stamp, stamp],
        ).fetchone()
        return bool(row[0])

    def setting(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM settings WHERE key = ?", [key]).fetchone()
        return row[0] if row else None

    def next_due(self) -> datetime | None:
        """When the earliest pending booking falls due, or another run's lease runs out."""
        row = self.conn.execute(
            "SELECT MIN(t) FROM (SELECT MIN(due_at) AS t FROM bookings WHERE status = 'pending'"
            " UNION ALL SELECT MIN(lease_expires) FROM bookings WHERE status = 'running')"
        ).fetchone()
        return from_iso(row[0]) if row and row[0] else None

    def data_version(self) -> int:
        """Changes when another connection commits: a cheap 'did anything change?'."""
        return self.conn.execute("PRAGMA data_version").fetchone()[0]

    def renew_lease(self, booking: Booking, owner: str, until: datetime) -> None:
        """Extend this run's lease; LeaseLost (and no write) if another run has it."""
        cur = self.conn.execute(
            "UPDATE bookings SET lease_expires = ? WHERE id = ? AND lease_owner = ?"
            " AND status = 'running'",
            [to_iso(until), booking.id, owner],
        )
        if cur.rowcount == 0:
            raise LeaseLost(booking.id)

    def release_all(self, owner: str, now: datetime, reason: str) -> int:
        """Hand back every booking this run still holds (it is stopping)."""
        cur = self.conn.execute(
            "UPDATE bookings SET status = 'pending', lease_owner = NULL, lease_expires = NULL,"
            " last_error = ?, updated_at = ? WHERE lease_owner = ? AND status = 'running'",
            [reason, to_iso(now), owner],
        )
        return cur.rowcount

    def due_bookings(self, now: datetime, horizon: datetime | None = None) -> list[Booking]:
        stamp = to_iso(now)
        rows = self.conn.execute(
            _BOOKING_SELECT + " WHERE (b.status = 'pending' AND b.due_at <= ?)"
            " OR (b.status = 'running' AND b.lease_expires < ?) ORDER BY b.due_at, b.id",
            [to_iso(horizon or now), stamp],
        )
        return [Booking.from_row(r) for r in rows]

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
        which = ("(status = 'pending' AND due_at <= ? AND due_at > ?)" if later_only else
                 "((status = 'pending' AND due_at <= ?) OR"
                 " (status = 'running' AND lease_expires < ?))")
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
        cur = self.conn.execute(
            "UPDATE bookings SET checked_at = ?, checked_attempt = (SELECT MAX(id) FROM"
            " attempts WHERE booking_id = ? AND submitted_at IS NOT NULL)"
            " WHERE id = ? AND lease_owner = ?",
            [to_iso(now), booking.id, booking.id, owner],
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
    ) -> None:
        """Record an attempt's outcome and the booking's next state, fenced by the lease."""
        stamp = to_iso(now)
        with self.transaction() as conn:
            self._check_lease(conn, booking.id, owner)
            conn.execute(
                "UPDATE attempts SET finished_at = ?, outcome = ?, court = COALESCE(?, court),"
                " confirmation = ?, error = ?, artifacts = ? WHERE id = ?",
                [stamp, outcome, court, confirmation, error,
                 json.dumps(artifacts) if artifacts else None, attempt_id],
            )
            conn.execute(
                "UPDATE bookings SET status = ?, due_at = COALESCE(?, due_at),"
                " court = COALESCE(?, court), confirmation = COALESCE(?, confirmation),"
                " booked_time = COALESCE(?, booked_time),"
                " last_error = ?, lease_owner = NULL, lease_expires = NULL, updated_at = ?"
                " WHERE id = ? AND lease_owner = ?",
                [status, to_iso(due_at) if due_at else None, court, confirmation, booked_time,
                 error, stamp, booking.id, owner],
            )

    def settle_without_attempt(self, booking: Booking, owner: str, status: str,
                               error: str, now: datetime) -> None:
        """End a claimed booking with no attempt made (e.g. missed: its slot began)."""
        cur = self.conn.execute(
            "UPDATE bookings SET status = ?, last_error = ?, lease_owner = NULL,"
            " lease_expires = NULL, updated_at = ? WHERE id = ? AND lease_owner = ?",
            [status, error, to_iso(now), booking.id, owner],
        )
        if cur.rowcount == 0:
            raise LeaseLost(booking.id)

    def release(self, booking: Booking, owner: str, now: datetime, reason: str) -> None:
        """Hand a claimed booking back untouched (interrupted before an attempt)."""
        cur = self.conn.execute(
            "UPDATE bookings SET status = 'pending', lease_owner = NULL, lease_expires = NULL,"
            " last_error = ?, updated_at = ? WHERE id = ? AND lease_owner = ?",
            [reason, to_iso(now), booking.id, owner],
        )
        if cur.rowcount == 0:
            raise LeaseLost(booking.id)

    @staticmethod
    def _check_lease(conn: sqlite3.Connection, booking_id: int, owner: str) -> None:
        row = conn.execute(
            "SELECT 1 FROM bookings WHERE id = ? AND lease_owner = ? AND status = 'running'",
            [booking_id, owner],
        ).fetchone()
        if row is None:
            raise LeaseLost(booking_id)

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
        rows = self.conn.execute(
            "SELECT * FROM attempts WHERE booking_id = ? ORDER BY number", [booking_id]
        )
        return [Attempt.from_row(r) for r in rows]

    # -- accounts --------------------------------------------------------------

    def accounts(self, club: Club | None = None) -> list[Account]:
        where, args = ("WHERE a.club_id = ?", [club.id]) if club else ("", [])
        rows = self.conn.execute(
            "SELECT a.*, c.name AS club FROM accounts a JOIN clubs c ON c.id = a.club_id "
            f"{where} ORDER BY c.name COLLATE NOCASE, a.username",
            args,
        )
        return [Account.from_row(r) for r in rows]

    def save_account(self, club: Club, username: str, where: str, now: datetime) -> Account:
        self.conn.execute(
            "INSERT INTO accounts (club_id, username, store, created_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT(club_id, username) DO UPDATE SET store = excluded.store",
            [club.id, username, where, to_iso(now)],
        )
        return next(a for a in self.accounts(club) if a.username == username)

    def set_user_id(self, account: Account, user_id: int) -> None:
        self.conn.execute("UPDATE accounts SET user_id = ? WHERE id = ?", [user_id, account.id])

    def confirmations(self, club: Club) -> set[str]:
        rows = self.conn.execute(
            "SELECT confirmation FROM bookings WHERE club_id = ? AND confirmation IS NOT NULL",
            [club.id],
        )
        return {r[0] for r in rows}

    def remove_account(self, account: Account) -> None:
        self.conn.execute("DELETE FROM accounts WHERE id = ?", [account.id])

    def account_for(self, club: Club, username: str | None) -> Account | None:
        """The account a booking at `club` uses: the one named, or the club's only one.

        None when the club has no account yet; BadInput when the choice is ambiguous or
        the named one doesn't exist.
        """
        accounts = self.accounts(club)
        if username is not None:
            for account in accounts:
                if account.username == username:
                    return account
            known = ", ".join(a.username for a in accounts) or "none yet"
            raise BadInput(
                f"no account {username!r} at {club.name} (known: {known}); "
                f"add it with 'gametime login --club {club.name} --username {username}'"
            )
        if len(accounts) > 1:
            names = ", ".join(a.username for a in accounts)
            raise BadInput(f"{club.name} has several accounts ({names}); pick one with --account")
        return accounts[0] if accounts else None

    # -- series ----------------------------------------------------------------

    _SERIES_SELECT = "SELECT s.*, c.name AS club FROM series s JOIN clubs c ON c.id = s.club_id"

    def add_series(self, *, club: Club, account: str | None, freq: str, first_day: str,
                   until_day: str | None, count: int | None, time: str, duration: int,
                   courts: list[int], partners: list[str], type: str | None,
                   or_times: list[str], any_court: bool, now: datetime) -> Series:
        cur = self.conn.execute(
            "INSERT INTO series (club_id, account, freq, first_day, until_day, count, time,"
            " duration, courts, partners, type, status, next_at, created_at, or_times,"
            " any_court) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'active', ?, ?, ?, ?)",
            [club.id, account, freq, first_day, until_day, count, time, duration,
             json.dumps(courts), json.dumps(partners), type, to_iso(now), to_iso(now),
             json.dumps(or_times), int(any_court)],
        )
        return self.get_series(cur.lastrowid)

    def get_series(self, series_id: int) -> Series:
        row = self.conn.execute(self._SERIES_SELECT + " WHERE s.id = ?", [series_id]).fetchone()
        if row is None:
            raise BadInput(f"no series with id {series_id}; 'gametime series list' shows them")
        return Series.from_row(row)

    def list_series(self) -> list[Series]:
        return [Series.from_row(r) for r in self.conn.execute(
            self._SERIES_SELECT + " ORDER BY s.id")]

    def series_due(self, now: datetime) -> list[Series]:
        rows = self.conn.execute(
            self._SERIES_SELECT + " WHERE s.status = 'active' AND s.next_at <= ?",
            [to_iso(now)])
        return [Series.from_row(r) for r in rows]

    def series_progress(self, series: Series, *, last_day: str | None,
                        next_at: datetime | None, notes: list[str]) -> None:
        """Record how far a series has been turned into bookings; no next: finished."""
        self.conn.execute(
            "UPDATE series SET last_day = COALESCE(?, last_day), next_at = ?, notes = ?,"
            " status = CASE WHEN status = 'active' AND ? IS NULL THEN 'finished'"
            " ELSE status END WHERE id = ?",
            [last_day, to_iso(next_at) if next_at else None, json.dumps(notes),
             to_iso(next_at) if next_at else None, series.id],
        )

    def cancel_series(self, series: Series, now: datetime) -> int:
        """Stop the series and cancel its bookings still to run; returns how many."""
        with self.transaction() as conn:
            conn.execute("UPDATE series SET status = 'cancelled', next_at = NULL WHERE id = ?",
                         [series.id])
            cur = conn.execute(
                "UPDATE bookings SET status = 'cancelled', updated_at = ? WHERE series_id = ?"
                " AND status = 'pending'", [to_iso(now), series.id])
        return cur.rowcount

    def series_bookings(self, series: Series) -> list[Booking]:
        rows = self.conn.execute(_BOOKING_SELECT + " WHERE b.series_id = ? ORDER BY b.day",
                                 [series.id])
        return [Booking.from_row(r) for r in rows]

    # -- notifications -----------------------------------------------------------

    def notifiers(self) -> list[tuple[int, str]]:
        return [(r["id"], r["url"]) for r in
                self.conn.execute("SELECT id, url FROM notifiers ORDER BY id")]

    def add_notifier(self, url: str, now: datetime) -> int:
        cur = self.conn.execute("INSERT INTO notifiers (url, created_at) VALUES (?, ?)",
                                [url, to_iso(now)])
        return cur.lastrowid

    def remove_notifier(self, notifier_id: int) -> bool:
        cur = self.conn.execute("DELETE FROM notifiers WHERE id = ?", [notifier_id])
        return cur.rowcount > 0

    # -- settings --------------------------------------------------------------

    def settings(self) -> dict[str, str]:
        return {r["key"]: r["value"] for r in self.conn.execute("SELECT * FROM settings")}

    def set_setting(self, key: str, value: str | None) -> None:
        if value is None:
            self.conn.execute("DELETE FROM settings WHERE key = ?", [key])
        else:
            self.conn.execute(
                "INSERT INTO settings (key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                [key, value],
            )
