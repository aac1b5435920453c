"""The data home and its database: permissions, damage, migrations."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import pytest

from gametime_cli import store
from gametime_cli.store import migrations
from tests.support import db_rows
from tests.support import run_in_process as gt


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_schema_version_counts_the_migrations():
    assert store.SCHEMA_VERSION == migrations.SCHEMA_VERSION


UMASK_0_RUN = """
import os, sqlite3, stat, sys
os.umask(0)
from gametime_cli.cli import main
try:
    main(sys.argv[1:])
except SystemExit as exc:
    assert exc.code == 0, exc.code
home = os.environ["GAMETIME_HOME"]
conn = sqlite3.connect(os.path.join(home, "gametime.db"))
conn.execute("BEGIN IMMEDIATE")
conn.execute("INSERT INTO settings VALUES ('probe', '1')")
for name in sorted(os.listdir(home)):
    print(name, oct(stat.S_IMODE(os.stat(os.path.join(home, name)).st_mode)))
conn.rollback()
"""


@pytest.mark.slow  # fresh processes
def test_files_are_private_even_under_umask_000(home):
    args = ["club", "add", "sim", "--url", "simulate:", "--timezone", "UTC",
            "--window-days", "1", "--opens-at", "00:00"]
    env = {**os.environ, "GAMETIME_HOME": str(home)}
    result = subprocess.run([sys.executable, "-c", UMASK_0_RUN, *args], env=env,
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    modes = dict(line.split() for line in result.stdout.splitlines() if line.startswith("game"))
    assert mode(home) == 0o700
    assert modes["gametime.db"] == "0o600"
    assert modes["gametime.db-wal"] == "0o600"
    assert modes["gametime.db-shm"] == "0o600"


def test_an_existing_open_home_is_tightened(home):
    home.mkdir(mode=0o755)
    home.chmod(0o755)
    assert gt("list").returncode == 0
    assert mode(home) == 0o700


def test_a_file_that_is_not_sqlite_is_reported_and_left_untouched(home):
    home.mkdir(mode=0o700)
    junk = b"these are my notes, not a database\n" * 10
    (home / "gametime.db").write_bytes(junk)
    for args in (["list"], ["run-pending"], ["club", "list", "--json"]):
        result = gt(*args)
        assert result.returncode == 3, args
        assert "is not an SQLite database" in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    assert (home / "gametime.db").read_bytes() == junk
    assert sorted(p.name for p in home.iterdir()) == ["gametime.db"]


@pytest.mark.slow  # fresh processes
def test_a_damaged_database_is_reported_and_left_untouched(home, gametime):
    assert gametime("list").returncode == 0
    path = home / "gametime.db"
    data = bytearray(path.read_bytes())
    data[100:4096] = b"\xff" * (4096 - 100)  # keep the header, wreck the schema page
    path.write_bytes(bytes(data))
    result = gametime("list")
    assert result.returncode == 3
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert path.read_bytes() == bytes(data)


def test_migrations_apply_once(home):
    assert gt("list").returncode == 0
    assert gt("list").returncode == 0
    rows = db_rows(home, "SELECT name FROM _sqlite_migrations")
    assert [r["name"] for r in rows] == [m.name for m in migrations.migrations._migrations]
    assert db_rows(home, "PRAGMA journal_mode")[0][0] == "wal"
    assert db_rows(home, "PRAGMA user_version")[0][0] == store.SCHEMA_VERSION


def test_an_unwritable_home_is_a_clear_error(tmp_path, monkeypatch):
    if os.geteuid() == 0:
        blocked = tmp_path / "file-not-dir"
        blocked.write_text("x")
        target = blocked / "home"
    else:
        parent = tmp_path / "ro"
        parent.mkdir(mode=0o500)
        target = parent / "home"
    result = gt("list", env={"GAMETIME_HOME": str(target)})
    assert result.returncode == 3
    assert "cannot create the data home" in result.stderr
