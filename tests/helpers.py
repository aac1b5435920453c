"""Small builders the tests share."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest


def db_rows(home: Path, sql: str, *args: object) -> list[sqlite3.Row]:
    conn = sqlite3.connect(home / "gametime.db")
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def db_snapshot(home: Path) -> dict[str, list[tuple]]:
    """Every user table's rows, to show that a failed command wrote nothing."""
    path = home / "gametime.db"
    if not path.exists():
        return {}
    conn = sqlite3.connect(path)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {t: conn.execute(f'SELECT * FROM "{t}" ORDER BY 1').fetchall() for t in tables}
    finally:
        conn.close()


def loads(stdout: str) -> object:
    return json.loads(stdout)


def iso_z(instant: datetime) -> str:
    """An instant as GAMETIME_NOW takes it: `2026-12-31T23:59:30.000000Z`."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def pin_clock(monkeypatch: pytest.MonkeyPatch, instant: datetime) -> None:
    """Start the clock of the commands this test runs at `instant` (GAMETIME_NOW), both
    the installed command (it inherits the environment) and the in-process app."""
    from gametime_cli.clock import restart_pinned

    monkeypatch.setenv("GAMETIME_NOW", iso_z(instant))
    restart_pinned()


def force_setting(home: Path, key: str, value: str) -> None:
    """Store a setting as is, past `config set`'s checks: for tests that want, say, a
    killed run's lease to lapse within seconds, which `config set` refuses (an attempt
    can take longer than such a lease)."""
    conn = sqlite3.connect(home / "gametime.db")
    try:
        with conn:
            conn.execute("INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)",
                         [key, value])
    finally:
        conn.close()
