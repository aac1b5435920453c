"""The connection to the data home's database: opening it safely, migrating, and
its write transactions. The idle path (`run-pending` with nothing due) must stay cheap,
so the store talks to `sqlite3` directly and imports sqlite-utils only to migrate."""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Self

from gametime_cli import paths
from gametime_cli.errors import DatabaseBusy, EnvironmentProblem

SCHEMA_VERSION = 15
"""Number of migrations in `store/migrations.py`; a test pins the two together."""
BUSY_TIMEOUT_S = 15.0


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


class StoreBase:
    """One connection to the data home's database."""

    def __init__(self, conn: sqlite3.Connection, path: Path):
        self.conn = conn
        self.path = path

    # -- opening ---------------------------------------------------------------

    @classmethod
    def open(cls, home: Path | None = None) -> Self:
        """Open (creating and migrating if needed) the database in the data home.

        A file that is not SQLite, or is damaged, is left untouched and reported (exit 3),
        and so is a home that isn't safe or a link in place of the database or its -wal,
        -shm or -journal (`paths.ensure_home`, `paths.private_file`).
        """
        home = paths.ensure_home(home)
        path = paths.db_path(home)
        try:
            for name in paths.DB_FILES:  # never a link, always ours and 0600
                paths.private_file(home / name)
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

        from gametime_cli.store.migrations import migrations

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

    def data_version(self) -> int:
        """Changes when another connection commits: a cheap 'did anything change?'."""
        return self.conn.execute("PRAGMA data_version").fetchone()[0]
