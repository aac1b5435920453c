"""Never book twice, never lose a booking: overlapping runs, kill -9, a failing site,
a busy database, a full disk — each through the installed command."""

from __future__ import annotations

import json
import os
import resource
import signal
import sqlite3
import subprocess
import time
from datetime import UTC, date, datetime
from datetime import time as clock_time
from pathlib import Path

import pytest

from gametime_cli.sandbox import SandboxSite, SandboxUser
from tests.support import db_rows, db_snapshot, force_setting, gametime_executable

PASSWORD = "Faults-Ibex-2290"
USER = SandboxUser("jo.player", PASSWORD, 4411, "Player, Jo")


@pytest.fixture
def site(club_site, needs_browser) -> SandboxSite:
    """The sandbox site (seed 9, UTC, 6 days ahead, opening at 09:00) as club sb, Jo
    logged in; needs_browser first, so without Chromium the test skips before the login."""
    return club_site(USER, login_timeout=120, timezone="UTC", window_days=6,
                     opens_at=clock_time(9, 0), seed=9).site


def setup_club(gametime, site, day: date, *, lease: str = "3",
               bookings: int = 1) -> list[int]:
    """Club sb's settings for the test (the `site` fixture added it and logged Jo in),
    and its bookings."""
    force_setting(Path(os.environ["GAMETIME_HOME"]), "lease_seconds", lease)
    assert gametime("config", "set", "retry_base", "0.5").returncode == 0
    ids = []
    for index in range(bookings):
        at = f"{17 + index // 2}:{'30' if index % 2 else '00'}"
        result = gametime("book", day.isoformat(), at, "--club", "sb",
                          "--court", str(1 + index % 6), "--json")
        assert result.returncode == 0, result.stderr
        ids.append(json.loads(result.stdout)["id"])
    return ids


def start_run(home, *args: str) -> subprocess.Popen:
    """A run-pending in its own process group, so kill -9 takes its browser too."""
    return subprocess.Popen(
        [gametime_executable(), "run-pending", "--json", *args],
        env={**os.environ, "GAMETIME_HOME": str(home)},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )


def kill_group(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGKILL)
    process.communicate(timeout=30)


def wait_for(condition, timeout: float = 60.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}")


def statuses(gametime) -> dict[int, dict]:
    return {b["id"]: b for b in json.loads(gametime("list", "--json").stdout)}


def site_count(site, booking: dict) -> int:
    minutes = int(booking["time"][:2]) * 60 + int(booking["time"][3:])
    return sum(1 for b in site.bookings()
               if b["date"] == booking["date"] and b["time"] == minutes and
               any(p["u"] == USER.user_id for p in b["players"]))


def run_until_settled(gametime, rounds: int = 10) -> None:
    """Run as cron would until nothing is pending any more (bounded)."""
    for _ in range(rounds):
        pending = [b for b in statuses(gametime).values() if b["status"] in ("pending",
                                                                              "running")]
        if not pending:
            return
        wait = min(datetime.fromisoformat(b["next_try_at"]) if b["next_try_at"]
                   else datetime.now(UTC) for b in pending)
        time.sleep(max(0.0, (wait - datetime.now(UTC)).total_seconds()) + 0.1)
        gametime("run-pending", timeout=180)


@pytest.mark.slow
@pytest.mark.browser
def test_eight_runs_and_a_watch_save_each_booking_once(gametime, site, home, needs_browser, day):
    ids = setup_club(gametime, site, day, lease="60", bookings=6)
    watch = subprocess.Popen([gametime_executable(), "watch"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, start_new_session=True,
                             env={**os.environ, "GAMETIME_HOME": str(home)})
    runs = [start_run(home) for _ in range(8)]
    try:
        for run in runs:
            _, err = run.communicate(timeout=300)
            assert run.returncode == 0, err
        wait_for(lambda: all(b["status"] == "confirmed" for b in statuses(gametime).values()),
                 timeout=120, what="every booking confirmed")
    finally:
        watch.send_signal(signal.SIGTERM)
        _, watch_err = watch.communicate(timeout=60)
    assert watch.returncode == 130, watch_err  # a signal ends watch with 130
    booked = statuses(gametime)
    assert all(booked[i]["status"] == "confirmed" for i in ids)
    ok_saves = [s for s in site.saves() if s["status"] == 302]
    assert len(ok_saves) == len(site.saves()) == 6
    for i in ids:
        assert site_count(site, booked[i]) == 1
    owners = db_rows(home, "SELECT COUNT(DISTINCT owner) FROM attempts")[0][0]
    assert owners >= 2, "the runs should have shared the work"


@pytest.mark.slow
@pytest.mark.browser
def test_kill_9_after_the_claim_before_submitting(gametime, site, home, needs_browser, day):
    [booking] = setup_club(gametime, site, day)
    site.set_delay(2.0)  # the run is claimed and working, far from submitting
    run = start_run(home)
    wait_for(lambda: db_rows(home, "SELECT COUNT(*) FROM attempts WHERE finished_at IS NULL"
                                   " AND submitted_at IS NULL")[0][0] == 1,
             what="an attempt in progress")
    kill_group(run)
    assert statuses(gametime)[booking]["status"] == "running"
    site.set_delay(0)
    time.sleep(3.2)  # the dead run's lease runs out
    assert gametime("run-pending", timeout=180).returncode == 0
    shown = json.loads(gametime("show", str(booking), "--json").stdout)
    assert shown["status"] == "confirmed"
    assert [a["outcome"] for a in shown["attempt_history"]] == ["interrupted", "confirmed"]
    assert site_count(site, shown) == 1 and len(site.saves()) == 1


@pytest.mark.slow
@pytest.mark.browser
def test_kill_9_after_submitting_before_recording(gametime, site, home, needs_browser, day):
    [booking] = setup_club(gametime, site, day)
    site.set_save_answer_delay(30)  # the site books, then keeps the run waiting
    run = start_run(home)
    wait_for(lambda: len(site.bookings()) == 1, what="the site to record the booking")
    assert db_rows(home, "SELECT COUNT(*) FROM attempts WHERE submitted_at IS NOT NULL"
                         " AND finished_at IS NULL")[0][0] == 1
    kill_group(run)
    site.set_save_answer_delay(0)
    time.sleep(3.2)
    assert gametime("run-pending", timeout=180).returncode == 0
    shown = json.loads(gametime("show", str(booking), "--json").stdout)
    assert shown["status"] == "confirmed"
    assert shown["confirmation"] == str(site.bookings()[0]["confirmation"])
    assert shown["site_id"] == str(site.bookings()[0]["id"])  # the two numbers, apart
    assert [a["outcome"] for a in shown["attempt_history"]] == ["interrupted", "reconciled"]
    assert len(site.saves()) == 1 and site_count(site, shown) == 1
    # Cancelled after the crash: found on the site by its court, date, start and member
    # (the home page knows it by the site's id only), in the cancel page's two steps.
    cancelled = gametime("cancel", str(booking), "--json", timeout=180)
    assert cancelled.returncode == 0, cancelled.stderr
    assert json.loads(cancelled.stdout)["cancelled"] is True and site.bookings() == []


@pytest.mark.slow
@pytest.mark.browser
def test_a_save_slower_than_the_timeout_is_not_booked_twice(gametime, site, home, day,
                                                            needs_browser):
    [booking] = setup_club(gametime, site, day)
    force_setting(home, "navigation_timeout", "2")  # beside the forced short lease
    # A submit waits up to three navigation timeouts for its page (the token, the save
    # and its redirect come first): a save answering after 7 s is past that.
    site.set_save_answer_delay(7)
    first = gametime("run-pending", "--json", "--max-wait", "0", timeout=180)
    entry = json.loads(first.stdout)["bookings"][0]
    assert entry["status"] == "pending", entry
    site.set_save_answer_delay(0)
    run_until_settled(gametime)
    shown = json.loads(gametime("show", str(booking), "--json").stdout)
    assert shown["status"] == "confirmed"
    assert shown["attempt_history"][-1]["outcome"] == "reconciled"
    assert len(site.saves()) == 1 and site_count(site, shown) == 1


@pytest.mark.slow
@pytest.mark.browser
def test_refused_connections_then_500s_then_recovery(gametime, site, home, needs_browser, day):
    [booking] = setup_club(gametime, site, day)
    port = int(site.base_url.rsplit(":", 1)[1])
    site.stop()
    down = gametime("run-pending", "--json", "--max-wait", "0", timeout=180)
    entry = json.loads(down.stdout)["bookings"][0]
    assert entry["status"] == "pending" and "could not reach the site" in entry["error"]
    site.start(port=port)
    site.set_save_500(1.0)
    gametime("config", "set", "max_attempts", "5")
    time.sleep(max(0.0, (datetime.fromisoformat(entry["next_try_at"])
                         - datetime.now(UTC)).total_seconds()) + 0.1)
    failing = gametime("run-pending", "--json", "--max-wait", "0", timeout=180)
    assert "HTTP 500" in json.loads(failing.stdout)["bookings"][0]["error"]
    site.set_save_500(0.0)
    run_until_settled(gametime)
    shown = json.loads(gametime("show", str(booking), "--json").stdout)
    assert shown["status"] == "confirmed"
    outcomes = [a["outcome"] for a in shown["attempt_history"]]
    assert outcomes[0] == "transient" and outcomes[-1] in ("confirmed", "reconciled")
    assert site_count(site, shown) == 1


@pytest.mark.slow
def test_a_database_held_past_the_busy_timeout(gametime, home):
    gametime("club", "add", "sim", "--url", "simulate:?success=1", "--timezone", "UTC",
             "--window-days", "7", "--opens-at", "00:00")
    gametime("book", "tomorrow", "19:00", "--club", "sim")
    holder = sqlite3.connect(home / "gametime.db", isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        started = time.monotonic()
        result = gametime("run-pending", timeout=120)
        took = time.monotonic() - started
        holder.execute("ROLLBACK")
    finally:
        holder.close()
    assert result.returncode == 4
    [line] = result.stderr.strip().splitlines()
    assert "held by another process" in line and "try again" in line
    assert took >= 10  # it waited out the busy timeout first
    [row] = db_rows(home, "SELECT status, lease_owner FROM bookings")
    assert tuple(row) == ("pending", None)  # not lost, not left claimed
    assert gametime("run-pending").returncode == 0
    assert db_rows(home, "SELECT status FROM bookings")[0][0] == "confirmed"


def _limit_file_size() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))


@pytest.mark.slow  # a process of its own with a file-size limit
def test_a_full_disk_is_a_clear_error_and_writes_nothing(gametime, home):
    assert gametime("club", "add", "sim", "--url", "simulate:", "--timezone", "UTC",
                    "--window-days", "7", "--opens-at", "00:00").returncode == 0
    before = db_snapshot(home)
    result = subprocess.run(
        [gametime_executable(), "book", "tomorrow", "19:00", "--club", "sim", "--partner",
         "x" * 50],
        env={**os.environ, "GAMETIME_HOME": str(home)}, capture_output=True, text=True,
        timeout=60, preexec_fn=_limit_file_size,
    )
    assert result.returncode == 3, result.stderr
    [line] = result.stderr.strip().splitlines()
    assert "cannot use the database" in line
    assert db_snapshot(home) == before


@pytest.fixture
def small_disk(tmp_path):
    """A 1 MiB tmpfs of the test's own, in a private mount namespace (as root, else in an
    unprivileged user namespace): it goes with the namespace at the end."""
    from tests.namespaces import SmallDisk

    disk = SmallDisk(tmp_path / "disk", size="1m")
    try:
        yield disk
    finally:
        disk.close()


@pytest.mark.slow  # a file system of its own, in a namespace
def test_a_really_full_disk(small_disk, tmp_path):
    home = small_disk.path / "home"
    assert small_disk.gametime(home, "club", "add", "sim", "--url", "simulate:", "--timezone",
                               "UTC", "--window-days", "7", "--opens-at", "00:00"
                               ).returncode == 0
    before = db_snapshot(small_disk.copy_out(home, tmp_path / "before"))
    small_disk.fill(small_disk.path / "filler")  # take every free block
    result = small_disk.gametime(home, "book", "tomorrow", "19:00", "--club", "sim")
    assert result.returncode == 3, result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("gametime: error: the disk holding") and "is full" in line
    assert db_snapshot(small_disk.copy_out(home, tmp_path / "after")) == before


@pytest.mark.slow  # a file system of its own, in a namespace
def test_a_read_only_data_home(small_disk, tmp_path):
    home = small_disk.path / "home"
    assert small_disk.gametime(home, "club", "add", "sim", "--url", "simulate:", "--timezone",
                               "UTC", "--window-days", "7", "--opens-at", "00:00"
                               ).returncode == 0
    before = db_snapshot(small_disk.copy_out(home, tmp_path / "before"))
    small_disk.set_read_only(True)
    result = small_disk.gametime(home, "book", "tomorrow", "19:00", "--club", "sim")
    small_disk.set_read_only(False)
    assert result.returncode == 3, result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"gametime: error: the data home {home} is not writable")
    assert db_snapshot(small_disk.copy_out(home, tmp_path / "after")) == before
