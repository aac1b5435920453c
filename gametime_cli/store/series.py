"""Recurring bookings: their rules and the bookings made from them."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from pathlib import Path

from gametime_cli.clock import to_iso
from gametime_cli.errors import BadInput
from gametime_cli.models import Booking, Club, Series, is_row_id
from gametime_cli.store.bookings import BOOKING_SELECT


class SeriesStore:
    """Series."""

    conn: sqlite3.Connection
    path: Path

    # -- series ----------------------------------------------------------------

    _SERIES_SELECT = "SELECT s.*, c.name AS club FROM series s JOIN clubs c ON c.id = s.club_id"

    def add_series(self, *, club: Club, account: str | None, freq: str, first_day: str,
                   until_day: str | None, count: int | None, time: str, duration: int,
                   courts: list[int], partners: list[str], type: str | None,
                   or_times: list[str], any_court: bool, now: datetime,
                   keep_trying: str | None = None, guests: list[str] | None = None) -> Series:
        cur = self.conn.execute(
            "INSERT INTO series (club_id, account, freq, first_day, until_day, count, time,"
            " duration, courts, partners, type, status, next_at, created_at, or_times,"
            " any_court, keep_trying, guests)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'active', ?, ?, ?, ?, ?, ?)",
            [club.id, account, freq, first_day, until_day, count, time, duration,
             json.dumps(courts), json.dumps(partners), type, to_iso(now), to_iso(now),
             json.dumps(or_times), int(any_court), keep_trying, json.dumps(guests or [])],
        )
        return self.get_series(cur.lastrowid)

    def get_series(self, series_id: int) -> Series:
        row = None
        if is_row_id(series_id):
            row = self.conn.execute(self._SERIES_SELECT + " WHERE s.id = ?",
                                    [series_id]).fetchone()
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
        rows = self.conn.execute(BOOKING_SELECT + " WHERE b.series_id = ? ORDER BY b.day",
                                 [series.id])
        return [Booking.from_row(r) for r in rows]
