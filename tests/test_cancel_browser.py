"""`gametime cancel` wins, at every stage of a booking: waiting for its opening,
prepared, holding the form, submitted, confirmed (cancelled on the club's site).
Real Chromium against the sandbox site; dates come from one instant taken once."""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gametime_cli.sandbox import SandboxSite, SandboxUser
from tests import support as shared
from tests.support import db_rows, gametime_executable

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("needs_browser")]

JO = SandboxUser("jo", "pw-jo-cancel", 4411, "Jo, Player")


def open_club(club_site, opens_at: datetime | None = None) -> SandboxSite:
    """Club "sb" with Jo logged in (no verify): open for the next days at any hour; or,
    given `opens_at`, opening the day after it at that instant."""
    if opens_at is None:
        made = club_site(JO, verify=False, timezone="UTC", window_days=7,
                         opens_at=datetime.min.time(), seed=21)
    else:
        made = club_site(JO, verify=False, timezone="UTC", window_days=1,
                         opens_at=opens_at.time(), seed=22)
    return made.site


def book(gametime, day: str) -> int:
    return shared.book(gametime, day, "19:00")


show = shared.show


def start_run(home: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([gametime_executable(), "run-pending", "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "GAMETIME_HOME": str(home)})


def await_true(check, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.slow
@pytest.mark.parametrize("stage", ["waiting", "prepared"])
def test_cancel_before_the_opening_stops_the_run_that_holds_it(gametime, home, stage,
                                                                 club_site):
    now = datetime.now(UTC)
    t0 = (now + timedelta(seconds=30)).replace(microsecond=0)
    site = open_club(club_site, t0)
    if stage == "waiting":  # the run claims it, and sleeps until it must prepare
        assert gametime("config", "set", "lead_seconds", "10").returncode == 0
    booking = book(gametime, (t0 + timedelta(days=1)).date().isoformat())
    run = start_run(home)
    try:
        assert await_true(lambda: db_rows(
            home, "SELECT 1 FROM bookings WHERE status = 'running'"), 30)
        if stage == "prepared":  # logged in and read the courts, waiting for T0
            assert await_true(lambda: any("jsoncourtdata" in r["path"]
                                          for r in site.requests()), 30)
        started = time.monotonic()
        cancelled = gametime("cancel", str(booking))
        assert cancelled.returncode == 0, cancelled.stderr
        assert time.monotonic() - started < 10  # recorded at once, not after the run
        assert show(gametime, booking)["status"] == "cancelled"
        _, err = run.communicate(timeout=90)
    finally:
        if run.poll() is None:
            run.kill()
            run.communicate()
    assert run.returncode == 0, err
    assert site.form_loads() == [] and site.saves() == []
    assert show(gametime, booking)["status"] == "cancelled"


def _cancel_now(home: Path, booking: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run([gametime_executable(), "cancel", str(booking)], capture_output=True,
                          text=True, timeout=60, env={**os.environ, "GAMETIME_HOME": str(home)})


def test_cancel_while_the_run_holds_the_form_stops_before_the_submit(gametime, home,
                                                                      monkeypatch, club_site):
    day = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()
    site = open_club(club_site)
    booking = book(gametime, day)
    answers: list[subprocess.CompletedProcess[str]] = []
    real_open_form = site.open_form

    def open_form_then_cancel(*args, **kwargs):
        served = real_open_form(*args, **kwargs)
        answers.append(_cancel_now(home, booking))  # the player cancels right then
        return served

    monkeypatch.setattr(site, "open_form", open_form_then_cancel)
    result = gametime("run-pending", "--json", timeout=120)
    assert result.returncode == 0, result.stderr
    [answer] = answers
    assert answer.returncode == 0, answer.stderr
    assert len(site.form_loads()) == 1 and site.saves() == []
    assert site.bookings() == []
    shown = show(gametime, booking)
    assert shown["status"] == "cancelled"
    [entry] = json.loads(result.stdout)["bookings"]
    assert entry["outcome"] == "cancelled"


def test_cancel_after_the_submit_is_undone_on_the_site_once_confirmed(gametime, home,
                                                                       monkeypatch, club_site):
    day = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()
    site = open_club(club_site)
    booking = book(gametime, day)
    answers: list[subprocess.CompletedProcess[str]] = []
    real_save = site.save

    def cancel_during_the_save(*args, **kwargs):
        # The player cancels while the site is taking the save: the cancel command
        # waits for the run, so it runs beside the save, which goes ahead once the
        # cancel is recorded.
        thread = threading.Thread(target=lambda: answers.append(_cancel_now(home, booking)))
        thread.start()
        assert await_true(lambda: db_rows(
            home, "SELECT 1 FROM bookings WHERE cancel_requested_at IS NOT NULL"), 20)
        saved = real_save(*args, **kwargs)
        threads.append(thread)
        return saved

    threads: list[threading.Thread] = []
    monkeypatch.setattr(site, "save", cancel_during_the_save)
    result = gametime("run-pending", "--json", timeout=120)
    for thread in threads:
        thread.join(60)
    assert result.returncode == 0, result.stderr
    [answer] = answers
    assert answer.returncode == 0, answer.stderr
    assert "cancelled on the site" in answer.stdout
    assert [s["status"] for s in site.saves()] == [302]  # the site did book it...
    assert site.bookings() == []  # ...and it was cancelled there
    shown = show(gametime, booking)
    assert shown["status"] == "cancelled" and shown["confirmation"]


@pytest.fixture
def confirmed(gametime, club_site):
    """A booking the club has confirmed, on a site still running: (site, booking id)."""
    day = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()
    site = open_club(club_site)
    booking = book(gametime, day)
    assert gametime("run-pending", timeout=120).returncode == 0
    assert len(site.bookings()) == 1
    yield site, booking


def test_a_confirmed_booking_is_cancelled_on_the_site(gametime, confirmed):
    site, booking = confirmed
    result = gametime("cancel", str(booking), "--json", timeout=120)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["status"] == "cancelled"
    assert site.bookings() == []
    # it went through the member's own page and its confirmation step
    paths = [(r["method"], r["path"]) for r in site.requests()]
    assert ("GET", "/") in paths and any(m == "POST" and "/cancel/" in p for m, p in paths)
    assert show(gametime, booking)["status"] == "cancelled"


def test_a_booking_cancelled_by_hand_is_forgotten_locally(gametime, confirmed):
    site, booking = confirmed
    site_id = int(show(gametime, booking)["site_id"])  # the site's own id, not the number
    assert site.cancel(JO.user_id, site_id)  # the player, on the site
    asked = len(site.requests())
    result = gametime("cancel", str(booking), "--local-only")
    assert result.returncode == 0, result.stderr
    assert len(site.requests()) == asked  # the site was not asked
    assert show(gametime, booking)["status"] == "cancelled"


def test_cancel_when_the_site_cannot_be_reached_leaves_the_booking(gametime, confirmed):
    site, booking = confirmed
    site.stop()  # the site is down now
    result = gametime("cancel", str(booking), timeout=120)
    assert result.returncode == 3
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "could not cancel" in lines[0] and "still booked" in lines[0]
    assert show(gametime, booking)["status"] == "confirmed"
