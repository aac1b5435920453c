"""Keep trying on the sandbox site (issue 14): the court is another member's; `watch`
reads the day's courts every 10 s, and books it once that member cancels it through
their own pages. How soon is a figure: benchmarks/keep_trying.py measures it."""

from __future__ import annotations

import http.cookiejar
import json
import os
import selectors
import signal
import subprocess
import time
import urllib.parse
import urllib.request
from datetime import datetime

import pytest

from gametime_cli.sandbox import SandboxSite, SandboxUser
from tests.support import gametime_executable

PASSWORD = "Sandbox-Wren-3318"
OTHER_PASSWORD = "Sandbox-Stoat-7702"
USER = SandboxUser("jo.keen", PASSWORD, 4411, "Keen, Jo")
OTHER = SandboxUser("al.first", OTHER_PASSWORD, 5522, "First, Al")
EVERY = 10.0
DAY_JSON = "/scheduling/index/jsoncourtdata/"

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.usefixtures("needs_browser")]


@pytest.fixture
def site(club_site, opening: datetime) -> SandboxSite:
    """One court (seed 14, UTC, 6 days ahead, opening at the test's `opening`), Jo and
    Al its members: club sb, Jo logged in."""
    return club_site(USER, others=[OTHER], courts=1, timezone="UTC", window_days=6,
                     opens_at=opening.time(), seed=14).site


def cancel_as_the_other_member(site: SandboxSite, booking_id: int) -> None:
    """What that member does on their own pages: log in, open the booking's cancel
    page, press its cancel button and accept the dialog (its script then posts
    `confirmed=1`)."""
    jar = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    fields = urllib.parse.urlencode({"username": OTHER.username,
                                     "password": OTHER_PASSWORD}).encode()
    browser.open(site.base_url + "/auth", fields, timeout=10).read()
    page = browser.open(f"{site.base_url}/scheduling/index/cancel/id/{booking_id}",
                        timeout=10).read().decode()
    assert "Cancel" in page
    browser.open(f"{site.base_url}/scheduling/index/cancel/id/{booking_id}",
                 b"confirmed=1", timeout=10).read()


def next_event(watch: subprocess.Popen, selector: selectors.BaseSelector,
               deadline: float) -> dict:
    """The watch's next JSON line, within the deadline."""
    while time.monotonic() < deadline:
        if selector.select(timeout=max(0.0, deadline - time.monotonic())):
            line = watch.stdout.readline()
            if line:
                return json.loads(line)
    raise AssertionError("watch said nothing in time")


def test_a_taken_court_is_booked_within_seconds_of_its_cancelling(gametime, site, day):
    theirs = site.add_booking(1, day, 19 * 60, 60, user_id=OTHER.user_id, name=OTHER.name)
    assert gametime("config", "set", "keep_trying_every", str(EVERY)).returncode == 0
    made = gametime("book", day.isoformat(), "19:00", "--club", "sb", "--keep-trying",
                    "--json")
    assert made.returncode == 0, made.stderr
    watch = subprocess.Popen([gametime_executable(), "watch", "--json"], text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             env={**os.environ})
    selector = selectors.DefaultSelector()
    selector.register(watch.stdout, selectors.EVENT_READ)
    try:
        deadline = time.monotonic() + 120
        event = next_event(watch, selector, deadline)
        while event.get("event") != "result":
            event = next_event(watch, selector, deadline)
        assert event["booking"]["status"] == "pending"
        assert event["booking"]["outcome"] == "watching"
        watching_from = time.monotonic()
        reads_before = sum(DAY_JSON in r["path"] for r in site.requests())

        time.sleep(EVERY * 1.5)  # a read or two, finding the court taken
        cancel_as_the_other_member(site, theirs)
        cancelled_at = time.monotonic()
        event = next_event(watch, selector, cancelled_at + 60)
        while not (event.get("event") == "result"
                   and event["booking"]["status"] == "confirmed"):
            assert event.get("event") != "result" or (
                event["booking"]["outcome"] == "watching"), event
            event = next_event(watch, selector, cancelled_at + 60)
        reads = sum(DAY_JSON in r["path"] for r in site.requests()) - reads_before
        watched_for = time.monotonic() - watching_from
    finally:
        watch.send_signal(signal.SIGTERM)
        try:
            _, errors = watch.communicate(timeout=60)
        finally:
            watch.kill()
    # Reads every 10 s ± 20 %: at most one per 8 s watched, and the one that books it
    # (whose attempt reads the day once more to choose its court).
    assert reads <= watched_for / (EVERY * 0.8) + 2, (reads, watched_for)
    ours = [b for b in site.bookings() if b["court"] == 1 and b["time"] == 19 * 60]
    assert len(ours) == 1 and ours[0]["id"] != theirs
    shown = json.loads(gametime("show", "1", "--json").stdout)
    assert shown["status"] == "confirmed" and shown["checks"] >= 2
    assert "Traceback" not in errors
