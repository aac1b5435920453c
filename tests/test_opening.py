"""Booking at the window's opening by the site's clock: run-pending's lookahead, several
accounts at once, and `gametime watch`. Real Chromium against the sandbox site."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from datetime import UTC, datetime, timedelta

import pytest

from gametime_cli.sandbox import SandboxConfig, SandboxSite, SandboxUser
from tests.support import db_rows, gametime_executable

pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.usefixtures("needs_browser")]

USERS = [SandboxUser("jo", "pw-jo", 4411, "Jo, Player"),
         SandboxUser("sam", "pw-sam", 4412, "Sam, Player")]


def opening_site(offset: float, in_seconds: float, *, late: float = 0.0,
                 **network: float) -> tuple[SandboxSite, datetime]:
    """A site whose window for tomorrow opens `in_seconds` from now by true time (and
    `late` seconds after that by its own rule), with its clock `offset` seconds ahead of
    ours; `network` is its latency and jitter."""
    opening = (datetime.now(UTC) + timedelta(seconds=in_seconds)).replace(microsecond=0)
    config = SandboxConfig(users=[SandboxUser(u.username, u.password, u.user_id, u.name)
                                  for u in USERS],
                           timezone="UTC", window_days=1,
                           opens_at=(opening + timedelta(seconds=late)).time(),
                           clock_offset=offset, seed=3, **network)
    return SandboxSite(config), opening


def add_club(gametime, site: SandboxSite, opening: datetime) -> str:
    assert gametime("club", "add", "sb", "--url", site.base_url,
                    "--accept-waiver", "--yes", "--timezone", "UTC",
                    "--window-days", "1", "--opens-at",
                    opening.time().isoformat()).returncode == 0
    for user in USERS:
        result = gametime("login", "--club", "sb", "--username", user.username,
                          "--password-stdin", "--store", "file", input=user.password + "\n",
                          timeout=120)
        assert result.returncode == 0, result.stderr
    return (opening + timedelta(days=1)).date().isoformat()


@pytest.mark.parametrize("offset", [2.5, -1.5])
def test_run_pending_waits_and_fires_at_the_sites_opening(gametime, offset):
    site, opening = opening_site(offset, in_seconds=25)
    with site:
        day = add_club(gametime, site, opening)
        first = gametime("book", day, "19:00", "--club", "sb", "--account", "jo", "--court", "1")
        second = gametime("book", day, "20:00", "--club", "sb", "--account", "jo",
                          "--court", "2")
        other = gametime("book", day, "19:00", "--club", "sb", "--account", "sam",
                         "--court", "3")
        assert all(r.returncode == 0 for r in (first, second, other))
        result = gametime("run-pending", "--json", timeout=120)
        assert result.returncode == 0, result.stderr
        assert {b["status"] for b in json.loads(result.stdout)["bookings"]} == {"confirmed"}
        opens = site.opens_at(opening.date() + timedelta(days=1))
        loads = {(f["court"], f["time"]): f["at"] - opens for f in site.form_loads()}
    assert len(loads) == 3
    assert all(0 <= delay < 2.0 for delay in loads.values()), loads  # never before T0
    # One account's bookings go in order; the other account's goes alongside.
    assert loads[(1, 1140)] < loads[(2, 1200)]
    assert abs(loads[(3, 1140)] - loads[(1, 1140)]) < 1.0


BOOK = "/scheduling/index/book/"


def book_one_at_the_opening(gametime, site: SandboxSite, opening: datetime
                            ) -> tuple[str, list[tuple[float, int, str]], list[float]]:
    """jo books court 1 at the opening with one run-pending: its booking's status, the
    site's requests in the last second before its opening and after (seconds from it,
    status, path), and its form loads (seconds from it)."""
    with site:
        day = add_club(gametime, site, opening)
        assert gametime("book", day, "19:00", "--club", "sb", "--account", "jo",
                        "--court", "1").returncode == 0
        result = gametime("run-pending", "--json", timeout=120)
        assert result.returncode == 0, result.stderr
        opens = site.opens_at(opening.date() + timedelta(days=1))
        requests = [(r["at"] - opens, r["status"], r["path"]) for r in site.requests()
                    if r["at"] > opens - 1]  # (not the preparation's, seconds before)
        holds = [f["at"] - opens for f in site.form_loads()]
    return json.loads(result.stdout)["bookings"][0]["status"], requests, holds


def test_the_form_request_is_aimed_to_arrive_just_after_the_opening(gametime):
    # 100 ms each way: a request sent at the opening would arrive 100 ms after it.
    site, opening = opening_site(2.5, in_seconds=25, latency=0.1, jitter=0.003)
    status, requests, holds = book_one_at_the_opening(gametime, site, opening)
    asked = [at for at, _, path in requests if path.startswith(BOOK)]
    assert status == "confirmed"
    assert len(holds) == 1 and 0 <= holds[0] < 0.06, (holds, asked)
    assert len(asked) <= 2  # at most one 'too early', asked again at once


def test_a_site_keeping_the_rule_gets_no_opening_note(gametime):
    # Preparing looks once whether the site is open already, well before the opening:
    # too early. At the opening the form comes at once: the site kept the club's rule,
    # and nothing tells the player to change it.
    site, opening = opening_site(0.0, in_seconds=25)
    with site:
        day = add_club(gametime, site, opening)
        booked = json.loads(gametime("book", day, "19:00", "--club", "sb", "--account", "jo",
                                     "--court", "1", "--json").stdout)["id"]
        result = gametime("run-pending", "--json", timeout=120)
        assert result.returncode == 0, result.stderr
        opens = site.opens_at(opening.date() + timedelta(days=1))
        looked = [r["at"] - opens for r in site.requests()
                  if r["path"].startswith(BOOK) and r["at"] < opens - 2]
        shown = " ".join(gametime("show", str(booked)).stdout.split())
    assert looked, "preparing never looked whether the site was open"
    assert "confirmed" in shown and "Opening" not in shown, shown


def test_too_early_is_asked_again_at_once_while_its_page_is_read_aside(gametime):
    # The site opens 60 ms after the club's rule says: the first request is too early.
    site, opening = opening_site(1.0, in_seconds=25, late=0.06)
    status, requests, holds = book_one_at_the_opening(gametime, site, opening)
    asked = [(at, code) for at, code, path in requests if path.startswith(BOOK)]
    assert status == "confirmed"
    assert asked[0][1] == 302 and asked[-1][1] == 200, asked
    # The first retry follows the first answer at once (it used to wait 100 ms); the
    # error page's words are read aside, not before asking again, and not each time.
    assert asked[1][0] - asked[0][0] < 0.06, asked
    misses = [at for at, code in asked if code == 302]
    reads = [at for at, _, path in requests if "/bookerror" in path]
    assert 1 <= len(reads) <= 4 and len(reads) <= len(misses), (reads, asked)
    assert len(holds) == 1 and 0 <= holds[0] < 0.15, (holds, asked)
    assert len(asked) <= 8, asked


def test_watch_books_at_the_opening_and_lets_go_when_stopped(gametime, home):
    site, opening = opening_site(1.0, in_seconds=20)
    with site:
        day = add_club(gametime, site, opening)
        watch = subprocess.Popen([gametime_executable(), "watch"], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True,
                                 env={**os.environ, "GAMETIME_HOME": str(home)})
        try:
            time.sleep(1.0)
            again = gametime("watch")
            assert again.returncode == 3 and "another gametime watch" in again.stderr
            booked = json.loads(gametime("book", day, "19:00", "--club", "sb", "--account",
                                         "jo", "--json").stdout)["id"]
            dropped = json.loads(gametime("book", day, "21:00", "--club", "sb", "--account",
                                          "jo", "--json").stdout)["id"]
            assert gametime("cancel", str(dropped)).returncode == 0
            later = (opening + timedelta(days=3)).date().isoformat()
            far = json.loads(gametime("book", later, "19:00", "--club", "sb", "--account",
                                      "sam", "--json").stdout)["id"]
            deadline = time.monotonic() + 60
            while not site.saves() and time.monotonic() < deadline:
                time.sleep(0.1)
            deadline = time.monotonic() + 20
            while (json.loads(gametime("show", str(booked), "--json").stdout)["status"]
                   != "confirmed" and time.monotonic() < deadline):
                time.sleep(0.2)
        finally:
            watch.send_signal(signal.SIGTERM)
            out, err = watch.communicate(timeout=60)
        assert watch.returncode == 130, err  # a signal ends watch with 130
        assert f"booking {booked} (sb" in out and "confirmed" in out
        opens = site.opens_at(opening.date() + timedelta(days=1))
        [load] = site.form_loads()
        assert 0 <= load["at"] - opens < 2.0
        assert json.loads(gametime("show", str(dropped), "--json").stdout)["attempts"] == 0
        assert json.loads(gametime("show", str(far), "--json").stdout)["status"] == "pending"
        assert db_rows(home, "SELECT COUNT(*) FROM bookings WHERE lease_owner IS NOT NULL"
                       )[0][0] == 0


def test_stopping_a_run_that_waits_for_an_opening_releases_its_booking(gametime, home):
    site, opening = opening_site(0.0, in_seconds=40)
    with site:
        day = add_club(gametime, site, opening)
        booking = json.loads(gametime("book", day, "19:00", "--club", "sb", "--account",
                                      "jo", "--json").stdout)["id"]
        run = subprocess.Popen([gametime_executable(), "run-pending"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "GAMETIME_HOME": str(home)})
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not db_rows(
                home, "SELECT 1 FROM bookings WHERE status = 'running'"):
            time.sleep(0.1)
        run.send_signal(signal.SIGTERM)
        run.communicate(timeout=60)
        assert run.returncode == 130
        [row] = db_rows(home, "SELECT status, lease_owner FROM bookings WHERE id = ?", booking)
        assert tuple(row) == ("pending", None)
        assert site.form_loads() == []
