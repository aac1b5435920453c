"""`gametime run-pending` against simulated clubs: outcomes, retries, output, exit codes."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from itertools import pairwise

import pytest

from tests.support import add_club, book, db_rows, db_snapshot
from tests.support import run_in_process as gt


def test_nothing_due_prints_nothing(gametime, cli):
    add_club(cli, "far", "simulate:?success=1", accept_waiver=False)
    cli("club", "add", "later", "--url", "simulate:", "--timezone", "UTC",
        "--window-days", "1", "--opens-at", "00:00")
    book(cli, "+5d", "19:00", club="later")
    result = gametime("run-pending")
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    as_json = gametime("run-pending", "--json")
    assert as_json.returncode == 0
    assert json.loads(as_json.stdout) == {
        "version": 1, "dry_run": False, "exit_code": 0, "bookings": []
    }


def test_due_bookings_are_confirmed_with_a_table(gametime, cli):
    add_club(cli, "sure", "simulate:?success=1&seed=5", accept_waiver=False)
    first = book(cli, "tomorrow", "19:00", "--court", "4", club="sure")
    second = book(cli, "tomorrow", "20:00", club="sure")
    result = gt("run-pending")
    assert result.returncode == 0, result.stderr
    rows = {line.split()[0]: line for line in result.stdout.splitlines()
            if line.strip()[:1].isdigit()}
    assert "confirmed" in rows[str(first)] and " 4 " in rows[str(first)]
    assert "confirmed" in rows[str(second)]
    listed = {b["id"]: b for b in json.loads(gt("list", "--json").stdout)}
    assert listed[first]["status"] == "confirmed" and listed[first]["court"] == 4
    assert listed[first]["confirmation"].isdigit()
    assert listed[first]["attempts"] == 1
    again = gametime("run-pending")  # the installed command's idle path: silence
    assert (again.returncode, again.stdout) == (0, "")


def test_json_document(cli):
    add_club(cli, "sure", "simulate:?success=1&seed=5", accept_waiver=False)
    booking = book(cli, "tomorrow", "19:00", club="sure")
    result = gt("run-pending", "--json")
    assert result.returncode == 0
    doc = json.loads(result.stdout)
    assert doc["version"] == 1 and doc["exit_code"] == 0 and doc["dry_run"] is False
    [entry] = doc["bookings"]
    assert entry["id"] == booking
    assert entry["status"] == "confirmed" and entry["outcome"] == "confirmed"
    assert set(entry) == {"id", "club", "date", "time", "booked_time", "court", "status",
                          "outcome", "confirmation", "site_id", "booked_minutes",
                          "length_note", "error", "attempts", "next_try_at"}
    assert entry["booked_time"] == entry["time"] == "19:00"


def test_transient_failure_goes_back_to_pending_with_backoff(cli):
    add_club(cli, "flaky", "simulate:?success=0", accept_waiver=False)
    booking = book(cli, "tomorrow", "19:00", club="flaky")
    before = datetime.now(UTC)
    result = cli("run-pending", "--max-wait", "0", "--json")
    assert result.exit_code == 0
    [entry] = json.loads(result.stdout)["bookings"]
    assert entry["status"] == "pending"
    assert "HTTP 503" in entry["error"]
    wait = (datetime.fromisoformat(entry["next_try_at"]) - before).total_seconds()
    assert 1.0 <= wait <= 2.5  # retry_base 2 s, half of it kept, half jittered
    shown = json.loads(cli("show", str(booking), "--json").stdout)
    assert [a["outcome"] for a in shown["attempt_history"]] == ["transient"]


def test_retries_within_the_run_then_fails_with_exit_1(cli, home):
    add_club(cli, "down", "simulate:?success=0", accept_waiver=False)
    cli("config", "set", "retry_base", "0.2")
    booking = book(cli, "tomorrow", "19:00", club="down")
    result = gt("run-pending", "--json")
    assert result.returncode == 1
    [entry] = json.loads(result.stdout)["bookings"]
    assert entry["status"] == "failed"
    assert entry["error"].startswith("gave up after 3 attempts")
    starts = [datetime.fromisoformat(r["started_at"])
              for r in db_rows(home, "SELECT started_at FROM attempts WHERE booking_id = ? "
                               "ORDER BY number", booking)]
    assert len(starts) == 3
    gaps = [(b - a).total_seconds() for a, b in pairwise(starts)]
    assert gaps[0] >= 0.1 and gaps[1] >= 0.2  # doubling backoff, at least half kept


def test_failed_run_table_and_exit_code(cli):
    add_club(cli, "down", "simulate:?success=0", accept_waiver=False)
    cli("config", "set", "max_attempts", "1")
    book(cli, "tomorrow", "19:00", club="down")
    result = gt("run-pending")
    assert result.returncode == 1
    assert "failed" in result.stdout and "gave up after 1 attempts" in result.stdout


def test_taken_court_falls_back_to_the_next_preference(cli):
    add_club(cli, "busy", "simulate:?success=1&taken=1,3", accept_waiver=False)
    booking = book(cli, "tomorrow", "19:00", "--court", "1", "--court", "3", "--court", "2",
                   club="busy")
    assert cli("run-pending").exit_code == 0
    shown = json.loads(cli("show", str(booking), "--json").stdout)
    assert shown["status"] == "confirmed" and shown["court"] == 2


def test_all_preferred_courts_taken_fails_not_available(cli):
    add_club(cli, "busy", "simulate:?success=1&taken=1,2", accept_waiver=False)
    booking = book(cli, "tomorrow", "19:00", "--court", "1", "--court", "2", club="busy")
    result = cli("run-pending")
    assert result.exit_code == 1
    shown = json.loads(cli("show", str(booking), "--json").stdout)
    assert shown["status"] == "failed"
    assert shown["last_error"] == "not available: courts tried 1, 2"
    assert shown["attempts"] == 1  # a permanent outcome is not retried


def test_any_court_skips_the_taken_ones(cli):
    add_club(cli, "busy", "simulate:?success=1&courts=3&taken=1,2", accept_waiver=False)
    booking = book(cli, "tomorrow", "19:00", club="busy")
    cli("run-pending")
    assert json.loads(cli("show", str(booking), "--json").stdout)["court"] == 3


def test_dry_run_changes_nothing(cli, home):
    add_club(cli, "sure", "simulate:?success=1", accept_waiver=False)
    booking = book(cli, "tomorrow", "19:00", club="sure")
    before = db_snapshot(home)
    result = gt("run-pending", "--dry-run", "--json")
    assert result.returncode == 0
    doc = json.loads(result.stdout)
    assert doc["dry_run"] is True
    assert [b["id"] for b in doc["bookings"]] == [booking]
    assert doc["bookings"][0]["status"] == "pending"
    assert db_snapshot(home) == before
    table = gt("run-pending", "--dry-run")
    assert "Would run" in table.stdout


def test_seeded_simulation_is_deterministic(tmp_path, monkeypatch, cli):
    outcomes = []
    for run in range(2):
        monkeypatch.setenv("GAMETIME_HOME", str(tmp_path / f"home{run}"))
        add_club(cli, "seeded", "simulate:?seed=7&success=0.5", accept_waiver=False)
        for hour in range(8, 20):
            book(cli, "tomorrow", f"{hour}:00", club="seeded")
        cli("run-pending", "--max-wait", "0")
        outcomes.append([(b["status"], b["confirmation"])
                         for b in json.loads(cli("list", "--json").stdout)])
    assert outcomes[0] == outcomes[1]
    assert {s for s, _ in outcomes[0]} == {"confirmed", "pending"}


@pytest.mark.slow  # 112 simulated bookings
def test_success_rate_defaults_to_four_in_five(cli):
    add_club(cli, "default", "simulate:?seed=11", accept_waiver=False)
    for day in range(1, 8):
        for hour in range(6, 22):
            book(cli, f"+{day}d", f"{hour}:00", club="default")
    cli("run-pending", "--max-wait", "0")
    statuses = [b["status"] for b in json.loads(cli("list", "--all", "--json").stdout)]
    rate = statuses.count("confirmed") / len(statuses)
    assert len(statuses) == 112
    assert 0.68 <= rate <= 0.92, rate


def test_a_booking_left_running_by_a_dead_run_is_taken_back(cli, home):
    add_club(cli, "sure", "simulate:?success=1", accept_waiver=False)
    booking = book(cli, "tomorrow", "19:00", club="sure")
    conn = sqlite3.connect(home / "gametime.db")
    with conn:
        conn.execute("UPDATE bookings SET status='running', lease_owner='dead:1:x', "
                     "lease_expires='2000-01-01T00:00:00.000Z' WHERE id=?", (booking,))
        conn.execute("INSERT INTO attempts (booking_id, number, owner, started_at) "
                     "VALUES (?, 1, 'dead:1:x', '2000-01-01T00:00:00.000Z')", (booking,))
    conn.close()
    assert cli("run-pending").exit_code == 0
    shown = json.loads(cli("show", str(booking), "--json").stdout)
    assert shown["status"] == "confirmed"
    assert [a["outcome"] for a in shown["attempt_history"]] == ["interrupted", "confirmed"]


def test_a_gametime_club_without_an_account_waits_with_exit_3(cli):
    # No account: nothing is sent anywhere, the booking waits for a login.
    add_club(cli, "real", "https://club.gametime.net", accept_waiver=False)
    booking = book(cli, "tomorrow", "19:00", club="real")
    result = gt("run-pending", "--json")
    assert result.returncode == 3
    assert result.stderr.strip() == (
        "gametime: error: no account at real to book with; run 'gametime login --club real'")
    shown = json.loads(gt("show", str(booking), "--json").stdout)
    assert shown["status"] == "pending" and shown["attempts"] == 0


def test_old_artifacts_are_pruned(tmp_path):
    import os

    from gametime_cli.run.runner import prune_artifacts

    folder = tmp_path / "artifacts"
    folder.mkdir()
    old, new = folder / "old.png", folder / "new.png"
    old.write_bytes(b"x")
    new.write_bytes(b"y")
    month_ago = old.stat().st_mtime - 31 * 86400
    os.utime(old, (month_ago, month_ago))
    assert prune_artifacts(folder, 30) == 1
    assert [p.name for p in folder.iterdir()] == ["new.png"]


IDLE_IMPORTS = """
import sys
from gametime_cli.cli import main
try:
    main(["run-pending"])
except SystemExit as exc:
    assert exc.code == 0, exc.code
heavy = {"typer", "rich", "sqlite_utils", "playwright", "keyring", "cryptography", "dateutil"}
print(sorted(heavy & {name.split(".")[0] for name in sys.modules}))
"""


def test_the_idle_tick_loads_nothing_heavy(cli, home):
    add_club(cli, "later", "simulate:", accept_waiver=False)
    book(cli, "+20d", "19:00", club="later")
    env = {**os.environ, "GAMETIME_HOME": str(home)}
    result = subprocess.run([sys.executable, "-c", IDLE_IMPORTS], env=env,
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_an_alternative_time_after_every_court_at_the_first(cli):
    # Courts 1 and 2 are taken all day in this simulation, so 19:00 on them fails;
    # with --any-court the free court 3 is taken at 19:00 before any other time.
    add_club(cli, "busy", "simulate:?success=1&courts=3&taken=1,2", accept_waiver=False)
    plain = book(cli, "tomorrow", "19:00", "--court", "1", "--court", "2", "--or-time", "20:00",
                 club="busy")
    wide = book(cli, "tomorrow", "18:00", "--court", "1", "--any-court", club="busy")
    assert cli("run-pending").exit_code == 1
    failed = json.loads(cli("show", str(plain), "--json").stdout)
    assert failed["status"] == "failed"
    assert failed["last_error"] == ("not available: 19:00 courts tried 1, 2; "
                                    "20:00 courts tried 1, 2")
    booked = json.loads(cli("show", str(wide), "--json").stdout)
    assert (booked["status"], booked["court"], booked["booked_time"]) == ("confirmed", 3,
                                                                          "18:00")
    assert booked["any_court"] is True


def test_bad_alternative_times(cli):
    add_club(cli, "sim", "simulate:", accept_waiver=False)
    result = cli("book", "tomorrow", "19:00", "--club", "sim", "--or-time", "25:00")
    assert result.exit_code == 2 and "is not a time" in result.stderr
