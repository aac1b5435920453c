"""Real bookings: the installed command drives Chromium against the sandbox site."""

from __future__ import annotations

import json
import stat
import time as time_module
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gametime_cli.sandbox import SandboxSite, SandboxUser
from tests import support as shared

PASSWORD = "Sandbox-Pangolin-4417"
USER = SandboxUser("jo.player", PASSWORD, 4411, "Player, Jo")

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("needs_browser")]


def site_config(opening: datetime) -> dict[str, object]:
    """The site's config: seed 5, UTC, 6 days ahead, opening at the test's `opening`."""
    return {"timezone": "UTC", "window_days": 6, "opens_at": opening.time(), "seed": 5}


def open_club(club_site, opening: datetime, **club: object) -> SandboxSite:
    """The sandbox site as club sb (`--accept-waiver --yes`), Jo logged in."""
    return club_site(USER, **club, **site_config(opening)).site


@pytest.fixture
def site(club_site, opening: datetime) -> SandboxSite:
    return open_club(club_site, opening)


@pytest.fixture
def book(gametime, day):
    def register(*extra: str, at: str = "19:00") -> int:
        return shared.book(gametime, day, at, *extra)

    return register


def wait_until_due(entry: dict) -> None:
    """Sleep until a pending booking's retry is due, as the next cron run would."""
    retry_at = datetime.fromisoformat(entry["next_try_at"])
    time_module.sleep(max(0.0, (retry_at - datetime.now(UTC)).total_seconds()) + 0.05)


show = shared.show


def test_a_booking_is_confirmed_with_the_sites_id_exactly_once(gametime, site, book, day):
    booking = book("--court", "3", "--partner", "Sam Lee", "--type", "singles")
    result = gametime("run-pending", "--json", timeout=120)
    assert result.returncode == 0, result.stderr
    shown = show(gametime, booking)
    assert shown["status"] == "confirmed" and shown["court"] == 3
    held = [b for b in site.bookings() if str(b["confirmation"]) == shown["confirmation"]]
    assert len(held) == 1
    [mine] = held
    assert (mine["court"], mine["date"], mine["time"]) == (3, day.isoformat(), 1140)
    assert mine["court_id"] != 3  # the driver mapped the number to the site's id
    # The partner chosen from the club's roster: the member's name and id, as stored.
    assert [(p["name"], p["u"]) for p in mine["players"]] == [("Player, Jo", 4411),
                                                              ("Lee, Sam", 4513)]
    assert mine["rtype"] == 13  # "Singles", read from the form's labels
    assert len(site.bookings()) == 1


def test_a_taken_first_choice_falls_back_to_the_second(gametime, site, book, day):
    site.add_booking(1, day, 1140, 60)
    booking = book("--court", "1", "--court", "2")
    assert gametime("run-pending", timeout=120).returncode == 0
    assert show(gametime, booking)["court"] == 2
    courts = json.loads(gametime("courts", day.isoformat(), "--club", "sb",
                                 "--json", timeout=120).stdout)
    marks = {(c["number"], b["time"]): b["ours"] for c in courts["courts"] for b in c["bookings"]}
    assert marks == {(1, "19:00"): False, (2, "19:00"): True}


def test_held_by_another_member_then_not_available(gametime, site, book, day):
    site.hold_for_other_member(1, day, 1140)
    fallback = book("--court", "1", "--court", "4")
    only = book("--court", "1", at="19:30")
    site.hold_for_other_member(1, day, 1170)
    # Held courts are come back to until the hold can have lapsed; here, not at all.
    assert gametime("config", "set", "hold_wait", "0").returncode == 0
    result = gametime("run-pending", "--json", timeout=120)
    assert result.returncode == 1  # the second booking failed
    assert show(gametime, fallback)["court"] == 4
    failed = show(gametime, only)
    assert failed["status"] == "failed"
    assert failed["last_error"].startswith("not available: held by another member: court 1")


def test_too_early_by_the_sites_clock_is_retried_until_it_opens(gametime, club_site,
                                                                opening):
    # Our club's settings (7 days ahead) opened the target day an hour ago; the site's
    # (6 days ahead) open it in 23 hours.
    site = open_club(club_site, opening, club_window_days=7)
    target = opening.date() + timedelta(days=7)
    result = gametime("book", target.isoformat(), "19:00", "--club", "sb", "--json")
    booking = json.loads(result.stdout)["id"]
    early = gametime("run-pending", "--json", "--max-wait", "0", timeout=120)
    assert early.returncode == 0
    [entry] = json.loads(early.stdout)["bookings"]
    assert (entry["status"], entry["outcome"]) == ("pending", "not_open")
    assert not site.bookings()
    # Move the site's clock past its opening (six days before the target day).
    site_opening = site.opens_at(target)
    assert site_opening == opening.timestamp() + 24 * 3600  # 23 h after the test's instant
    site.set_clock_offset(site_opening - site.now() + 5 + site.config.clock_offset)
    retry_at = datetime.fromisoformat(entry["next_try_at"])
    assert (retry_at - datetime.now(UTC)).total_seconds() <= 1.0  # 'not open' retries soon
    wait_until_due(entry)
    assert gametime("run-pending", timeout=120).returncode == 0
    assert show(gametime, booking)["status"] == "confirmed"
    assert len(site.bookings()) == 1


def test_a_wrong_password_stores_nothing(gametime, make_site, opening):
    site = make_site(users=[replace(USER)], **site_config(opening))  # the test adds the club
    gametime("club", "add", "sb", "--url", site.base_url,
             "--accept-waiver", "--yes", "--timezone", "UTC",
             "--window-days", "6", "--opens-at", "09:00")
    result = gametime("login", "--club", "sb", "--username", USER.username,
                      "--password-stdin", input="not-the-password\n", timeout=120)
    assert result.returncode == 3  # docs/server.md: a password refused by the site is exit 3
    assert "refused the login" in result.stderr and "nothing was stored" in result.stderr
    assert json.loads(gametime("accounts", "--json").stdout) == []


def test_a_password_changed_on_the_site_leaves_the_booking_pending(gametime, site, book):
    booking = book()
    site.config.users[0].password = "changed-on-the-site"
    result = gametime("run-pending", timeout=120)
    assert result.returncode == 3
    assert "refused the login of jo.player" in result.stderr
    assert "gametime login --club sb" in result.stderr
    assert show(gametime, booking)["status"] == "pending"


def test_a_500_on_save_is_retried_and_the_failure_kept(gametime, site, home, book):
    booking = book()
    site.set_save_500(1.0)
    first = gametime("run-pending", "--json", "--max-wait", "0", timeout=120)
    assert first.returncode == 0
    entry = json.loads(first.stdout)["bookings"][0]
    assert entry["status"] == "pending"
    site.set_save_500(0.0)
    wait_until_due(entry)
    assert gametime("run-pending", timeout=120).returncode == 0
    shown = show(gametime, booking)
    assert shown["status"] == "confirmed"
    assert [a["outcome"] for a in shown["attempt_history"]] == ["transient", "confirmed"]
    assert "HTTP 500" in shown["attempt_history"][0]["error"]
    assert [s["status"] for s in site.saves()] == [500, 302]
    assert len(site.bookings()) == 1
    kept = [Path(p) for p in shown["attempt_history"][0]["artifacts"]]
    assert sorted(p.suffix for p in kept) == [".html", ".png"]
    for path in kept:
        assert path.parent == home / "artifacts"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert PASSWORD.encode() not in path.read_bytes()
    assert str(kept[0]) in gametime("show", str(booking)).stdout


def test_a_slow_site_within_the_timeouts_still_books(gametime, site, book):
    site.set_delay(1.0)
    booking = book()
    assert gametime("run-pending", timeout=180).returncode == 0
    assert show(gametime, booking)["status"] == "confirmed"


def test_a_site_slower_than_the_timeout_is_a_transient_failure(gametime, site, book):
    gametime("config", "set", "navigation_timeout", "1")
    booking = book()
    site.set_delay(2.0)
    result = gametime("run-pending", "--json", "--max-wait", "0", timeout=180)
    assert result.returncode == 0
    entry = json.loads(result.stdout)["bookings"][0]
    assert entry["status"] == "pending" and "within 1 s" in entry["error"]
    site.set_delay(0)
    wait_until_due(entry)
    assert gametime("run-pending", timeout=120).returncode == 0
    assert show(gametime, booking)["status"] == "confirmed"


def test_no_browser_is_a_clear_error(gametime, site, tmp_path, book):
    booking = book()
    named = gametime("run-pending", env={"GAMETIME_BROWSER": str(tmp_path / "none")})
    assert named.returncode == 3
    assert "GAMETIME_BROWSER names" in named.stderr
    # Nothing named, nothing on PATH (and no Playwright download on this machine).
    bare = gametime("run-pending", env={"PATH": str(tmp_path), "GAMETIME_BROWSER": "",
                                        "PLAYWRIGHT_BROWSERS_PATH": str(tmp_path)})
    assert bare.returncode == 3
    [line] = bare.stderr.strip().splitlines()
    assert "apt-get install chromium" in line and "playwright install chromium" in line
    assert show(gametime, booking)["status"] == "pending"


def test_courts_grid_marks_ours(gametime, site, book, day):
    site.add_booking(2, day, 18 * 60, 90, user_id=77, name="Other, Ann")
    book("--court", "1", at="18:00")
    assert gametime("run-pending", timeout=120).returncode == 0
    grid = gametime("courts", day.isoformat(), "--club", "sb", timeout=120)
    assert grid.returncode == 0, grid.stderr
    row = next(line for line in grid.stdout.splitlines() if line.strip().startswith("18:00"))
    assert row.split()[1:4] == ["★", "ours", "Other"]
    later = next(line for line in grid.stdout.splitlines() if line.strip().startswith("19:00"))
    assert later.split()[1:3] == ["·", "Other"]


def test_an_alternative_time_is_booked_and_shown(gametime, site, book, day,
                                                 tmp_path):
    for court in (1, 2, 3, 4, 5, 6):
        site.add_booking(court, day, 1140, 60)
    booking = book("--court", "2", "--court", "1", "--or-time", "20:00")
    told = tmp_path / "told.txt"
    ran = gametime("run-pending", "--json", "--on-result",
                   f'echo "$GAMETIME_TIME $GAMETIME_ASKED_TIME" > {told}', timeout=120)
    assert ran.returncode == 0, ran.stderr
    # Every report gives the time booked: the run's JSON, the command's variables, list.
    [entry] = json.loads(ran.stdout)["bookings"]
    assert (entry["time"], entry["booked_time"], entry["court"]) == ("19:00", "20:00", 2)
    assert told.read_text().split() == ["20:00", "19:00"]
    listed = gametime("list", env={"COLUMNS": "160"}).stdout.replace("\u00a0", " ")
    assert "20:00 (asked 19:00)" in next(line for line in listed.splitlines()
                                         if line.split()[:1] == [str(booking)])
    shown = show(gametime, booking)
    assert (shown["court"], shown["booked_time"]) == (2, "20:00")
    human = gametime("show", str(booking)).stdout
    assert "court 2 at 20:00, an alternative time" in human
    ours = [b for b in site.bookings() if str(b["confirmation"]) == shown["confirmation"]]
    assert [(b["court"], b["time"]) for b in ours] == [(2, 1200)]
