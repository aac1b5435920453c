"""Held courts, checking the site before a second submit, and a club rule that
disagrees with the site's opening. Real Chromium against the sandbox site; every date
comes from one instant taken once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from gametime_cli.clock import to_iso
from gametime_cli.sandbox import SandboxConfig, SandboxSite, SandboxUser
from gametime_cli.sandbox.state import FormRefusal
from tests import support as shared
from tests.support import db_rows, gametime_executable

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("needs_browser")]

JO = SandboxUser("jo", "pw-jo-held", 4411, "Jo, Player")
SLOT = 1140  # 19:00


def zone_near_noon(instant: datetime) -> ZoneInfo:
    """A fixed-offset zone where `instant` falls near midday, so that times a few
    minutes either side of it share one local date at any hour of the day."""
    hours = (12 - instant.hour + 11) % 24 - 11  # -11 .. 12
    return ZoneInfo("Etc/UTC" if hours == 0 else f"Etc/GMT{-hours:+d}")


def make_site(**config) -> SandboxSite:
    """Open for the next days at any hour (7 days ahead at midnight), unless told."""
    settings = {"timezone": "UTC", "window_days": 7, "opens_at": datetime.min.time(),
                "seed": 31, **config}
    return SandboxSite(SandboxConfig(
        users=[SandboxUser(JO.username, JO.password, JO.user_id, JO.name)], **settings))


def add_club(gametime, site: SandboxSite, *, window_days: int | None = None,
             opens_at: str | None = None) -> None:
    config = site.config
    shared.add_club(gametime, "sb", site.base_url, timezone=config.timezone,
                    window_days=window_days or config.window_days,
                    opens_at=opens_at or config.opens_at.isoformat())
    shared.login(gametime, "sb", JO.username, JO.password, verify=False)


def book(gametime, day: str, *extra: str) -> int:
    return shared.book(gametime, day, "19:00", *extra)


show = shared.show


# -- held courts ---------------------------------------------------------------------------


@pytest.mark.slow
def test_a_held_court_is_come_back_to_and_booked_when_the_hold_lapses(gametime, monkeypatch):
    day = (datetime.now(UTC) + timedelta(days=2)).date()
    with make_site() as site:
        add_club(gametime, site)
        assert gametime("config", "set", "hold_retry", "5").returncode == 0
        site.hold_for_other_member(1, day, SLOT)
        site.add_booking(2, day, SLOT, 60)  # the other acceptable court is taken
        booking = book(gametime, day.isoformat(), "--court", "1", "--court", "2")
        # the other member gives up the form two seconds after our first try meets it
        release = threading.Timer(2.0, site.release_hold, args=(1, day, SLOT))
        real_open_form = site.open_form

        def open_form(*args, **kwargs):
            outcome = real_open_form(*args, **kwargs)
            if outcome.refusal is FormRefusal.HELD and not release.is_alive():
                release.start()
            return outcome

        monkeypatch.setattr(site, "open_form", open_form)
        try:
            result = gametime("run-pending", "--json", timeout=120)
        finally:
            release.cancel()
        assert result.returncode == 0, result.stderr
        shown = show(gametime, booking)
        assert (shown["status"], shown["court"]) == ("confirmed", 1)
        outcomes = [a["outcome"] for a in shown["attempt_history"]]
        assert outcomes[0] == "held" and outcomes[-1] == "confirmed"


@pytest.mark.slow
def test_a_hold_that_never_lapses_fails_saying_the_court_was_held(gametime):
    day = (datetime.now(UTC) + timedelta(days=2)).date()
    with make_site() as site:
        add_club(gametime, site)
        for key, value in (("hold_retry", "5"), ("hold_wait", "8")):
            assert gametime("config", "set", key, value).returncode == 0
        site.hold_for_other_member(3, day, SLOT)
        booking = book(gametime, day.isoformat(), "--court", "3")
        result = gametime("run-pending", "--json", timeout=120)
        assert result.returncode == 1
        shown = show(gametime, booking)
        assert shown["status"] == "failed"
        assert "held by another member: court 3" in shown["last_error"]
        assert len(shown["attempt_history"]) >= 2  # it came back before failing
        assert site.saves() == []


@pytest.mark.slow
def test_a_killed_runs_own_hold_is_waited_out_where_holds_are_per_session(gametime, home,
                                                                          monkeypatch):
    day = (datetime.now(UTC) + timedelta(days=2)).date()
    with make_site(holds_per_session=True, hold_seconds=8) as site:
        add_club(gametime, site)
        assert gametime("config", "set", "hold_retry", "5").returncode == 0
        booking = book(gametime, day.isoformat(), "--court", "1")
        served = threading.Event()
        real_open_form = site.open_form

        def open_form(*args, **kwargs):
            outcome = real_open_form(*args, **kwargs)
            if outcome.hold is not None:
                served.set()
                time.sleep(5)  # the run is killed while the form is on its screen
            return outcome

        monkeypatch.setattr(site, "open_form", open_form)
        run = subprocess.Popen([gametime_executable(), "run-pending"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "GAMETIME_HOME": str(home)})
        try:
            assert served.wait(60)
            run.send_signal(signal.SIGKILL)
            run.communicate(timeout=30)
        finally:
            if run.poll() is None:
                run.kill()
                run.communicate()
        monkeypatch.setattr(site, "open_form", real_open_form)
        # Its lease runs out (as time passes): the next run may take the booking back.
        import sqlite3

        with sqlite3.connect(home / "gametime.db") as conn:
            conn.execute("UPDATE bookings SET lease_expires = ? WHERE id = ?",
                         [to_iso(datetime.now(UTC) - timedelta(seconds=1)), booking])
        result = gametime("run-pending", "--json", timeout=120)
        assert result.returncode == 0, result.stderr
        shown = show(gametime, booking)
        assert (shown["status"], shown["court"]) == ("confirmed", 1)
        assert "held" in [a["outcome"] for a in shown["attempt_history"]]
        assert len(site.bookings()) == 1


# -- never a second booking without a check -----------------------------------------------


@pytest.mark.slow
def test_without_a_member_id_an_unanswered_save_is_found_on_the_members_page(gametime, home):
    day = (datetime.now(UTC) + timedelta(days=2)).date()
    with make_site(form_user_id=False, save_answer_delay=6) as site:
        add_club(gametime, site)
        assert gametime("config", "set", "navigation_timeout", "2").returncode == 0
        assert gametime("config", "set", "retry_base", "0.5").returncode == 0
        booking = book(gametime, day.isoformat(), "--court", "2")
        result = gametime("run-pending", "--json", timeout=120)
        assert result.returncode == 0, result.stderr
        assert len(site.bookings()) == 1  # one booking at the site, not one per try
        shown = show(gametime, booking)
        assert shown["status"] == "confirmed"
        assert shown["confirmation"] == str(site.bookings()[0]["confirmation"])
        assert [a["outcome"] for a in shown["attempt_history"]] == ["transient", "reconciled"]
        # the member's id was learnt from the booking found, for next time
        [row] = db_rows(home, "SELECT user_id FROM accounts")
        assert row[0] == JO.user_id


# -- the club's rule and the site disagree --------------------------------------------------


@pytest.mark.slow
def test_a_rule_earlier_than_the_site_books_at_the_sites_real_opening(gametime):
    now = datetime.now(UTC)
    zone = zone_near_noon(now)
    rule = (now + timedelta(seconds=25)).replace(microsecond=0).astimezone(zone)
    real = rule + timedelta(seconds=8)  # the site opens 8 s after the club's rule
    with make_site(timezone=zone.key, window_days=1, opens_at=real.time()) as site:
        add_club(gametime, site, window_days=1, opens_at=rule.time().isoformat())
        # a short burst of reloads at the rule's opening; then a reload a second, as
        # long as the site says too early, in the same run
        assert gametime("config", "set", "fire_retry_seconds", "3").returncode == 0
        day = (rule + timedelta(days=1)).date()
        booking = book(gametime, day.isoformat())
        result = gametime("run-pending", "--json", timeout=120)
        assert result.returncode == 0, result.stderr
        assert show(gametime, booking)["status"] == "confirmed"
        [load] = site.form_loads()
        opens = site.opens_at(day)
        assert 0 <= load["at"] - opens < 2.0  # booked at the real opening, in this run
        text = " ".join(gametime("show", str(booking)).stdout.split())
        assert "opened about 8 s after" in text
        # the fix names the site's opening, to the second the run could tell
        assert any(f"gametime club set sb --opens-at {(real + timedelta(seconds=d)).time()}"
                   in text for d in (-1, 0, 1)), text
        doctor = json.loads(gametime("doctor", "--json", timeout=120).stdout)
        [check] = [c for c in doctor if c["check"] == "opening at sb"]
        assert not check["ok"] and "--opens-at" in check["fix"]


@pytest.mark.slow
def test_a_rule_later_than_the_site_is_noticed_and_booked_at_once(gametime):
    now = datetime.now(UTC)
    zone = zone_near_noon(now)
    rule = (now + timedelta(seconds=40)).replace(microsecond=0).astimezone(zone)
    real = (now - timedelta(minutes=5)).replace(microsecond=0).astimezone(zone)
    with make_site(timezone=zone.key, window_days=1, opens_at=real.time()) as site:
        add_club(gametime, site, window_days=1, opens_at=rule.time().isoformat())
        day = (rule + timedelta(days=1)).date()
        booking = book(gametime, day.isoformat())
        started = time.monotonic()
        result = gametime("run-pending", "--json", timeout=120)
        assert result.returncode == 0, result.stderr
        assert show(gametime, booking)["status"] == "confirmed"
        assert time.monotonic() - started < 30  # it did not wait for the rule's opening
        assert "already open" in " ".join(gametime("show", str(booking)).stdout.split())
