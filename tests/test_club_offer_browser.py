"""What the club serves, read from the sandbox site by the real browser: its courts at
login, its durations from the booking form, and requests it can't serve failed at once."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime

import pytest

from gametime_cli.sandbox import SandboxConfig, SandboxSite, SandboxUser
from tests import support as shared
from tests.support import db_rows

PASSWORD = "Sandbox-Heron-5521"
USER = SandboxUser("jo.player", PASSWORD, 4411, "Player, Jo")

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("needs_browser")]


@pytest.fixture
def riverside(club_site, opening: datetime) -> shared.ClubSite:
    """Riverside: 4 courts, slots every 30 minutes from 07:00 to 22:00, 60 or 90 minutes;
    its day's JSON of the older shape, which lists the slot times (the recorded one gives
    each court's open spans only). Added as club riverside, jo logged in."""
    return club_site(USER, name="riverside", login_timeout=120, courts=4,
                     durations=[60, 90], first_slot=7 * 60, last_slot=22 * 60,
                     timezone="UTC", window_days=6, opens_at=opening.time(), seed=21,
                     json_as_recorded=False)


@pytest.fixture
def site(riverside: shared.ClubSite) -> SandboxSite:
    return riverside.site


@pytest.fixture
def logged_in(riverside: shared.ClubSite) -> str:
    return riverside.login.stdout


def book(gametime, day: date, at: str, *extra: str) -> int:
    return shared.book(gametime, day, at, *extra, club="riverside")


def test_the_courts_read_at_login_are_kept_and_book_knows_them(gametime, home, site,
                                                               logged_in, day):
    assert ("riverside has courts 1-4; slots start every 30 minutes from 07:00 to 22:00."
            in logged_in)
    [kept] = db_rows(home, "SELECT courts, slots, read_at FROM club_offers")
    assert [tuple(pair) for pair in json.loads(kept["courts"])] == site.courts()
    assert kept["read_at"]
    court = gametime("book", day.isoformat(), "19:00", "--club", "riverside", "--court", "9")
    assert (court.returncode, court.stderr) == (
        2, "gametime: error: court 9: riverside has courts 1-4\n")
    slot = gametime("book", day.isoformat(), "19:10", "--club", "riverside")
    assert slot.returncode == 2
    assert "19:10 is not a slot at riverside; slots start every 30 minutes" in slot.stderr
    assert json.loads(gametime("list", "--json").stdout) == []
    assert site.form_loads() == []  # reading the courts took no hold


def test_a_duration_the_club_does_not_offer_fails_at_once(gametime, home, site, logged_in,
                                                          day):
    """Three bookings registered before any form was seen, so `book` took them all. The
    first asks 120 minutes: its form shows 60 or 90, and it fails there, the form left
    unsent. The second books. The third asks 120 again: the durations are known now, so
    it fails before any form is loaded for it, taking no hold. No retries, no screenshots."""
    first = book(gametime, day, "19:00", "--court", "1", "--duration", "120")
    fine = book(gametime, day, "20:00", "--court", "2")
    third = book(gametime, day, "21:00", "--court", "3", "--duration", "120")
    ran = gametime("run-pending", "--json", timeout=180)
    assert ran.returncode == 1, ran.stderr
    results = {entry["id"]: entry for entry in json.loads(ran.stdout)["bookings"]}
    said = "duration 120: riverside offers 60 or 90 minutes"
    for failed in (first, third):
        assert (results[failed]["status"], results[failed]["attempts"]) == ("failed", 1)
        assert results[failed]["error"] == said
        shown = json.loads(gametime("show", str(failed), "--json").stdout)
        assert [a["artifacts"] for a in shown["attempt_history"]] == [[]]
    assert results[fine]["status"] == "confirmed"
    assert [(f["court"], f["time"]) for f in site.form_loads()] == [(1, 1140), (2, 1200)]
    assert [s["status"] for s in site.saves()] == [302]  # only the good one was sent
    assert not (home / "artifacts").exists() or not any((home / "artifacts").iterdir())
    again = gametime("book", day.isoformat(), "22:00", "--club", "riverside",
                     "--duration", "120")
    assert (again.returncode, again.stderr) == (2, f"gametime: error: {said}\n")


def test_a_time_that_is_not_a_slot_fails_once_where_the_site_lists_no_slots(
        gametime, home, opening, day):
    """Without the JSON's `t`, `book` can't know 19:10 isn't a slot; the site's 404 for
    that booking page is the answer: failed on the first attempt, no retry, no picture."""
    config = SandboxConfig(users=[replace(USER)], courts=4, timezone="UTC", window_days=6,
                           opens_at=opening.time(), slot_times=False, seed=22)
    with SandboxSite(config) as site:
        assert gametime("club", "add", "riverside", "--url", site.base_url,
                        "--accept-waiver", "--yes", "--timezone",
                        "UTC", "--window-days", "6", "--opens-at",
                        opening.strftime("%H:%M:%S")).returncode == 0
        login = gametime("login", "--club", "riverside", "--username", USER.username,
                         "--password-stdin", "--store", "file", input=PASSWORD + "\n",
                         timeout=120)
        assert login.returncode == 0 and "riverside has courts 1-4." in login.stdout
        booking = book(gametime, day, "19:10", "--court", "2")
        ran = gametime("run-pending", "--json", timeout=180)
        assert ran.returncode == 1, ran.stderr
        [entry] = json.loads(ran.stdout)["bookings"]
        assert (entry["id"], entry["status"], entry["attempts"]) == (booking, "failed", 1)
        assert entry["error"].startswith("riverside has no booking page for court 2 at "
                                         "19:10 (HTTP 404")
        shown = json.loads(gametime("show", str(booking), "--json").stdout)
        assert [a["artifacts"] for a in shown["attempt_history"]] == [[]]
        assert site.form_loads() == []
