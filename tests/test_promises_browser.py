"""The docs' promises (docs/how-it-works.md, docs/guide.md) that need a real Chromium
booking against the sandbox site: the booking type chosen from the form's own labels
(Doubles when two or more partners come, without `--type`), and a failed booking's
notice carrying its screenshot."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from gametime_cli.sandbox import SandboxConfig, SandboxSite, SandboxUser
from tests import support as shared
from tests.support import Hook

PASSWORD = "Sandbox-Heron-2290"
USER = SandboxUser("jo.player", PASSWORD, 5120, "Player, Jo")

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.usefixtures("needs_browser")]


def start_site(now: datetime, **faults: object) -> SandboxSite:
    """The sandbox opens each day six days ahead at an hour before the test's instant,
    so tomorrow (the day booked) opened long ago, at any hour."""
    opening = (now - timedelta(hours=1)).replace(microsecond=0)
    config = SandboxConfig(users=[replace(USER)], timezone="UTC", window_days=6,
                           opens_at=opening.time(), seed=11, **faults)
    site = SandboxSite(config)
    site.start()
    return site


def add_club(gametime, site: SandboxSite, now: datetime) -> None:
    opening = (now - timedelta(hours=1)).replace(microsecond=0)
    shared.add_club(gametime, "sb", site.base_url, window_days="6",
                    opens_at=opening.strftime("%H:%M:%S"))
    shared.login(gametime, "sb", USER.username, PASSWORD, verify=False)


def book(gametime, day: date, at: str, *extra: str) -> int:
    return shared.book(gametime, day, at, *extra)


def test_two_partners_without_type_book_doubles_as_the_form_offers_it(gametime, now):
    """docs/how-it-works.md (How a booking is made, 3): "chooses the booking type (from
    the club's settings, else the form's own labels: Singles, Doubles; without `--type`,
    singles unless two or more partners and guests come)"."""
    site = start_site(now)
    try:
        add_club(gametime, site, now)
        day = now.date() + timedelta(days=1)
        singles = book(gametime, day, "18:00", "--court", "1", "--partner", "Sam Lee")
        doubles = book(gametime, day, "19:00", "--court", "2", "--partner", "Sam Lee",
                       "--guest", "Ali Khan", "--guest", "Kim Park")
        run = gametime("run-pending", "--json", "--max-wait", "0", timeout=180)
        assert run.returncode == 0, run.stderr
        statuses = {b["id"]: b["status"] for b in json.loads(run.stdout)["bookings"]}
        assert statuses == {singles: "confirmed", doubles: "confirmed"}, run.stderr
        on_site = {b["time"]: b for b in site.bookings()}
    finally:
        site.stop()
    types = site.config.booking_types
    assert types == {"Singles": 13, "Doubles": 1}  # Singles first: no default wins by place
    assert set(on_site) == {18 * 60, 19 * 60}
    assert on_site[18 * 60]["rtype"] == types["Singles"]
    assert on_site[19 * 60]["rtype"] == types["Doubles"]
    assert [(p["name"], p["guest"]) for p in on_site[19 * 60]["players"]] == [
        (USER.name, False), ("Lee, Sam", False), ("Ali Khan", True), ("Kim Park", True)]


def test_a_failed_bookings_notice_carries_its_screenshot(gametime, home, now,
                                                         hook: Hook):
    """docs/guide.md (Being told): "Each confirmed, failed or missed booking is
    announced to every notifier: … the reason, with the failure's screenshot attached
    where the service takes one" (apprise's json:// takes attachments)."""
    site = start_site(now, save_500=1.0)  # every save answers 500: the attempt fails
    try:
        add_club(gametime, site, now)
        assert gametime("config", "set", "max_attempts", "1").returncode == 0
        assert gametime("notify", "add", hook.url("results")).returncode == 0
        booking = book(gametime, now.date() + timedelta(days=1), "19:00", "--court", "3")
        run = gametime("run-pending", "--json", "--max-wait", "0", timeout=180)
    finally:
        site.stop()
    [entry] = json.loads(run.stdout)["bookings"]
    assert entry["status"] == "failed", run.stderr
    shown = json.loads(gametime("show", str(booking), "--json").stdout)
    kept = [Path(p) for p in shown["attempt_history"][0]["artifacts"]]
    [screenshot] = [p for p in kept if p.suffix == ".png"]
    assert screenshot.parent == home / "artifacts"

    [(path, notice)] = hook.posts()
    assert path == "/results"
    assert notice["title"].startswith("Booking failed: sb ")
    assert notice["title"].endswith(" 19:00")
    assert "HTTP 500" in notice["message"]
    [(filename, mimetype, data)] = hook.attachments(notice)  # the page's HTML is not sent
    assert (filename, mimetype) == (screenshot.name, "image/png")
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert data == screenshot.read_bytes()
