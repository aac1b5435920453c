"""Small builders the tests share."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path


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
