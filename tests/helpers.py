"""Small builders the tests share."""

from __future__ import annotations

import json
import sqlite3
import subprocess
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


_COMMAND: list[object] = []


def _command() -> object:
    """The app's Click command, built once a session: CliRunner.invoke has Typer build it
    anew at each call, 36 ms for ours, most of an in-process command's cost. Each call
    still gets its own Context, so nothing carries over between calls."""
    if not _COMMAND:
        from typer.main import get_command

        from gametime_cli.cli.app import app

        _COMMAND.append(get_command(app))
    return _COMMAND[0]


def invoke_app(args: list[str], input: str | None = None,
               env: dict[str, str] | None = None):
    """Run the app as CliRunner.invoke does, in CliRunner's isolation (stdin from `input`,
    stdout and stderr kept apart, `env` for the call only), on the command built once."""
    import sys

    from typer.testing import CliRunner, Result

    runner = CliRunner()
    code, exception = 0, None
    with runner.isolation(input=input, env=env) as (stdout, stderr, output):
        try:
            _command().main(list(args), prog_name="gametime")  # type: ignore[attr-defined]
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
            exception = exc if code else None
        except Exception as exc:
            code, exception = 1, exc
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            shown = stdout.getvalue(), stderr.getvalue(), output.getvalue()
    return Result(runner, *shown, return_value=None, exit_code=code, exception=exception)


def run_in_process(*args: str, input: str | None = None, env: dict[str, str] | None = None,
                   timeout: float | None = None) -> subprocess.CompletedProcess[str]:
    """Run the app in this process, answering as the installed command's run would
    (returncode, stdout, stderr): the same entry point with its one-line errors and exit
    codes, without the 0.3 s a new Python costs. `env` is set for the call only;
    `timeout` is accepted for the same signature and not needed in-process."""
    del timeout
    result = invoke_app(list(args), input=input, env=env)
    return subprocess.CompletedProcess(list(args), result.exit_code, result.stdout,
                                       result.stderr)
