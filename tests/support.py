"""Plain helpers the tests share, in one place (fixtures and hooks live in conftest.py,
and no test imports from conftest: test_suite_shape.py checks). What is here:

- missing parts: the policy for a real part a test needs and does not find (skip, or
  fail under CI=true), with the install hints;
- running the app: the installed command, and the app run in this process as that
  command would run;
- the clock: pinning the commands' clock at an instant (GAMETIME_NOW);
- the database: reading rows, a snapshot of every table, a setting stored as is;
- steps a test takes through the CLI: add a club, log in, book, show a booking; each
  takes either runner, the `gametime` fixture (installed command) or `cli` (in-process);
- the notice catcher (`Hook`) that the `hook` fixture fills."""

from __future__ import annotations

import base64
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import pytest

if TYPE_CHECKING:
    from gametime_cli.sandbox import SandboxSite

BIN_DIR = Path(sys.executable).parent
SETUP_TEST = "bash scripts/setup.sh --test"


# -- missing parts -----------------------------------------------------------------------


def in_ci() -> bool:
    """CI sets CI=true; there every real part the tests use must be present."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def missing_part(what: str, install_hint: str) -> NoReturn:
    """A real part a test needs is missing: under CI=true the test fails (pytest.fail),
    elsewhere it is skipped; either way the message names the part and how to get it.
    Works at module level too (a failure there stops the collection, loudly)."""
    message = f"missing {what}; {install_hint}"
    if in_ci():
        pytest.fail(f"{message} (CI=true: a missing real part fails the run)", pytrace=False)
    pytest.skip(message, allow_module_level=True)


def debian(*packages: str) -> str:
    """The install hint for Debian packages that `scripts/setup.sh --test` installs."""
    them = "them" if len(packages) > 1 else "it"
    return f"install Debian's {' '.join(packages)} ('{SETUP_TEST}' installs {them})"


def import_or_missing(module: str, install_hint: str = f"run '{SETUP_TEST}'") -> object:
    """pytest.importorskip that goes through missing_part: a test dependency that is not
    installed fails the run under CI=true."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        missing_part(f"the Python package {module} ({exc})", install_hint)


# -- running the app ---------------------------------------------------------------------


def gametime_executable() -> str:
    """The installed console script beside this Python, else the one on PATH."""
    candidate = BIN_DIR / "gametime"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("gametime")
    if not found:
        pytest.fail("the gametime command is not installed; run pip install -e '.[test]'")
    return found


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


Gametime = Callable[..., Any]
"""A runner of the app: the `gametime` fixture (the installed command, a CompletedProcess
back) or the `cli` fixture (in-process, a Click Result back)."""


def exit_code(result: Any) -> int:
    """A run's exit code, from either runner: `returncode` of a CompletedProcess,
    `exit_code` of a Click Result."""
    if isinstance(result, subprocess.CompletedProcess):
        return result.returncode
    return result.exit_code


# -- the clock ---------------------------------------------------------------------------


def iso_z(instant: datetime) -> str:
    """An instant as GAMETIME_NOW takes it: `2026-12-31T23:59:30.000000Z`."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def pin_clock(monkeypatch: pytest.MonkeyPatch, instant: datetime) -> None:
    """Start the clock of the commands this test runs at `instant` (GAMETIME_NOW), both
    the installed command (it inherits the environment) and the in-process app."""
    from gametime_cli.clock import restart_pinned

    monkeypatch.setenv("GAMETIME_NOW", iso_z(instant))
    restart_pinned()


# -- the database ------------------------------------------------------------------------


def db_rows(home: Path, sql: str, *args: object) -> list[sqlite3.Row]:
    """The rows `sql` selects from the data home's database."""
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


# -- steps through the CLI (either runner) -----------------------------------------------


def add_club(gametime: Gametime, name: str, url: str, *, window_days: int | str = 7,
             opens_at: str = "00:00", timezone: str = "UTC",
             accept_waiver: bool = True) -> None:
    """`gametime club add NAME --url URL [--accept-waiver --yes] --timezone ...
    --window-days ... --opens-at ...`, which must succeed."""
    waiver = ["--accept-waiver", "--yes"] if accept_waiver else []
    result = gametime("club", "add", name, "--url", url, *waiver, "--timezone", timezone,
                      "--window-days", str(window_days), "--opens-at", opens_at)
    assert exit_code(result) == 0, result.stderr


def login(gametime: Gametime, club: str, username: str, password: str, *,
          verify: bool = True, timeout: float | None = None) -> Any:
    """`gametime login --club CLUB --username U --password-stdin --store file
    [--no-verify]`, the password on stdin, which must succeed; the CompletedProcess."""
    no_verify = [] if verify else ["--no-verify"]
    waits = {} if timeout is None else {"timeout": timeout}
    result = gametime("login", "--club", club, "--username", username, "--password-stdin",
                      "--store", "file", *no_verify, input=password + "\n", **waits)
    assert exit_code(result) == 0, result.stderr
    return result


def book_json(gametime: Gametime, day: date | str, at: str, *extra: str, club: str = "sb",
              account: str | None = None) -> dict[str, Any]:
    """`gametime book DAY AT --club CLUB [--account A] --json EXTRA...`, which must succeed;
    its JSON document (a booking, or a series with its bookings)."""
    chosen = [] if account is None else ["--account", account]
    day_text = day.isoformat() if isinstance(day, date) else day
    result = gametime("book", day_text, at, "--club", club, *chosen, "--json", *extra)
    assert exit_code(result) == 0, result.stderr
    return json.loads(result.stdout)


def book(gametime: Gametime, day: date | str, at: str, *extra: str, club: str = "sb",
         account: str | None = None) -> int:
    """`gametime book DAY AT --club CLUB [--account A] --json EXTRA...`, which must succeed;
    the new booking's id."""
    return book_json(gametime, day, at, *extra, club=club, account=account)["id"]


def show(gametime: Gametime, booking: int) -> dict[str, Any]:
    """`gametime show ID --json`, which must succeed; parsed."""
    result = gametime("show", str(booking), "--json")
    assert exit_code(result) == 0, result.stderr
    return json.loads(result.stdout)


@dataclass(frozen=True)
class ClubSite:
    """What the `club_site` fixture made: the running sandbox site, the club's name on it,
    and the member's `gametime login` (its CompletedProcess)."""

    site: SandboxSite
    club: str
    login: Any


# -- notices -----------------------------------------------------------------------------


class Hook:
    """What apprise's json:// notifier POSTed to the test's own loopback server."""

    def __init__(self, port: int):
        self.port = port
        self.received: list[tuple[str, dict]] = []
        self.lock = threading.Lock()

    def url(self, path: str) -> str:
        return f"json://127.0.0.1:{self.port}/{path}"

    def posts(self) -> list[tuple[str, dict]]:
        with self.lock:
            return list(self.received)

    def attachments(self, body: dict) -> list[tuple[str, str, bytes]]:
        """(filename, mimetype, bytes) of each attachment a notice carried."""
        return [(a["filename"], a["mimetype"], base64.b64decode(a["base64"]))
                for a in body.get("attachments") or []]
