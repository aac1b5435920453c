"""Settings and notifiers."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path

from gametime_cli.clock import to_iso
from gametime_cli.models import is_row_id


class SettingsStore:
    """Settings and where results are announced."""

    conn: sqlite3.Connection
    path: Path

    # -- notifications -----------------------------------------------------------

    def notifiers(self) -> list[tuple[int, str]]:
        return [(r["id"], r["url"]) for r in
                self.conn.execute("SELECT id, url FROM notifiers ORDER BY id")]

    def add_notifier(self, url: str, now: datetime) -> int:
        cur = self.conn.execute("INSERT INTO notifiers (url, created_at) VALUES (?, ?)",
                                [url, to_iso(now)])
        return cur.lastrowid

    def remove_notifier(self, notifier_id: int) -> bool:
        if not is_row_id(notifier_id):
            return False
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

    def setting(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM settings WHERE key = ?", [key]).fetchone()
        return row[0] if row else None
