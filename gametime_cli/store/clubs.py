"""Clubs and their accounts, and what runs learnt of each club's site."""

from __future__ import annotations

import json
import sqlite3
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from gametime_cli.booking.offer import AGREEMENT_ASKED, ClubOffer
from gametime_cli.clock import from_iso, to_iso, utcnow
from gametime_cli.errors import BadInput
from gametime_cli.models import Account, Club


class ClubStore:
    """Clubs, accounts, each club's settings, each club's courts as last read."""

    conn: sqlite3.Connection
    path: Path

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
        login_url: str | None = None,
    ) -> Club:
        with self.transaction() as conn:
            if conn.execute("SELECT 1 FROM clubs WHERE name = ? COLLATE NOCASE", [name]).fetchone():
                raise BadInput(
                    f"a club named {name!r} already exists; "
                    f"run 'gametime club remove {name}' first or pick another name"
                )
            conn.execute(
                "INSERT INTO clubs (name, url, timezone, window_days, opens_at, sport, settings,"
                " login_url, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [name, url, timezone, window_days, opens_at, sport,
                 json.dumps(settings or {}), login_url, to_iso(utcnow())],
            )
        return self.get_club(name)

    def set_club_login_url(self, club: Club, login_url: str | None) -> Club:
        """Name (or, with None, forget) the member site where the club signs in."""
        self.conn.execute("UPDATE clubs SET login_url = ? WHERE id = ?", [login_url, club.id])
        return self.club_by_id(club.id)

    def set_club_agreement(self, club: Club, words: list[str] | None, now: datetime) -> int:
        """The player agrees to the booking form's boxes with these words (None: to a
        box that speaks of a waiver, agreed before any form was seen). The club's
        bookings that wait for it (their last error asked for it) are due now; returns
        how many."""
        with self.transaction() as conn:
            row = conn.execute("SELECT settings FROM clubs WHERE id = ?", [club.id]).fetchone()
            settings = json.loads(row[0] or "{}") if row else {}
            settings["accept_waiver"] = {"words": words}
            conn.execute("UPDATE clubs SET settings = ? WHERE id = ?",
                         [json.dumps(settings), club.id])
            return conn.execute(
                "UPDATE bookings SET due_at = ? WHERE club_id = ? AND status = 'pending'"
                " AND due_at > ? AND last_error LIKE ?",
                [to_iso(now), club.id, to_iso(now), f"%{AGREEMENT_ASKED}%"]).rowcount

    def set_club_window(self, club: Club, *, window_days: int, opens_at: str,
                        now: datetime) -> int:
        """Change a club's window rule and move its bookings still waiting for their
        first attempt to the new opening; returns how many moved. The site's opening
        last seen is forgotten (the next run looks again)."""
        from gametime_cli.booking.windows import window_opens_at

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
            conn.execute("DELETE FROM club_offers WHERE club_id = ?", [club.id])
            conn.execute("DELETE FROM clubs WHERE id = ?", [club.id])
        return total

    # -- what the club's site serves ------------------------------------------------

    def club_offer(self, club_id: int) -> ClubOffer | None:
        """The club's courts, slots and durations as last read; None before any read."""
        row = self.conn.execute("SELECT * FROM club_offers WHERE club_id = ?",
                                [club_id]).fetchone()
        if row is None:
            return None
        slots = json.loads(row["slots"]) if row["slots"] else None
        return ClubOffer(
            courts={int(number): int(court_id) for number, court_id in json.loads(row["courts"])},
            slots=tuple(slots) if slots else None,
            durations={kind: tuple(minutes)
                       for kind, minutes in json.loads(row["durations"]).items()},
            read_at=from_iso(row["read_at"]) if row["read_at"] else None,
            boxes=tuple(json.loads(row["boxes"] or "[]")),
        )

    def remember_offer(self, club_id: int, seen: ClubOffer, now: datetime) -> None:
        """Keep what a driver read of the club's site: courts and slots (when it read
        any) replace those kept, with when they were read (else `now`); durations are
        kept type by type."""
        with self.transaction() as conn:
            row = conn.execute("SELECT * FROM club_offers WHERE club_id = ?",
                               [club_id]).fetchone()
            if row is None and not conn.execute("SELECT 1 FROM clubs WHERE id = ?",
                                                [club_id]).fetchone():
                return  # the club was removed meanwhile
            durations = json.loads(row["durations"]) if row else {}
            durations.update({kind: sorted(minutes) for kind, minutes in seen.durations.items()})
            courts = (json.dumps(sorted(seen.courts.items())) if seen.courts
                      else row["courts"] if row else "[]")
            slots = ((json.dumps(sorted(seen.slots)) if seen.slots else None) if seen.courts
                     else row["slots"] if row else None)
            read_at = (to_iso(seen.read_at or now) if seen.courts
                       else row["read_at"] if row else None)
            durations_at = (to_iso(now) if seen.durations
                            else row["durations_read_at"] if row else None)
            boxes = list(seen.boxes) or (json.loads(row["boxes"] or "[]") if row else [])
            conn.execute(
                "INSERT OR REPLACE INTO club_offers (club_id, courts, slots, durations,"
                " read_at, durations_read_at, boxes) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [club_id, courts, slots, json.dumps(durations), read_at, durations_at,
                 json.dumps(boxes)])

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
