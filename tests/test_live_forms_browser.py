"""The booking form and its pages as the live site has them, with the real command and
Chromium against the sandbox as recorded (its default): members chosen from the roster
and a guest by the box, a waiver agreed to once, the hold that follows the form, the
error page's words, a booking's two numbers, scripts from another origin, a cancel in
two steps; and the combinations a player meets.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest

from gametime_cli.models import Club
from gametime_cli.sandbox import SandboxSite, SandboxUser
from gametime_cli.sandbox.pages import WAIVER_WORDS
from gametime_cli.secrets.credentials import Secret
from gametime_cli.sites.base import Login, OutcomeKind, SlotRequest
from gametime_cli.sites.browser import BrowserHost, BrowserMode
from gametime_cli.sites.gametime import GameTimeSite
from tests import support as shared

PASSWORD = "Sandbox-Heron-2291"
USER = SandboxUser("jo.player", PASSWORD, 4411, "Player, Jo")
RIVAL = SandboxUser("rival", "Rival-Pass-1", 4419, "Rival, Ray")

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("needs_browser")]


def site_config(opening: datetime) -> dict[str, object]:
    """The site's config: seed 11, UTC, 6 days ahead, opening at the test's `opening`."""
    return {"timezone": "UTC", "window_days": 6, "opens_at": opening.time(), "seed": 11}


@pytest.fixture
def site(club_site, opening: datetime) -> SandboxSite:
    """The sandbox site as club sb, its waiver not agreed to (no `--accept-waiver`), Jo
    logged in."""
    return club_site(USER, accept_waiver=False, login_timeout=120,
                     **site_config(opening)).site


def book(gametime, day: date, *extra: str, at: str = "19:00") -> int:
    return shared.book(gametime, day, at, *extra)


show = shared.show


def no_secret_reached(site: SandboxSite) -> None:
    """The asset origin (the page's scripts' and its agent's) saw the pages load and
    never the password nor the booking form's fields."""
    requests = site.asset_requests()
    assert any(r["path"].endswith(".js") for r in requests)  # the page's scripts came
    everything = json.dumps(requests)
    assert PASSWORD not in everything
    for word in ("players[", "players%5B", "g-recaptcha-response", "temp="):
        assert word not in everything, word


def test_a_90_minute_doubles_with_two_members_and_a_guest_at_a_club_with_a_waiver(
        gametime, site, day):
    scripted = gametime("club", "set", "sb", "--accept-waiver")
    assert scripted.returncode == 2 and "--yes" in scripted.stderr  # never agreed unasked
    agreed = gametime("club", "set", "sb", "--accept-waiver", "--yes")
    assert agreed.returncode == 0, agreed.stderr
    booking = book(gametime, day, "--court", "2", "--duration", "90", "--partner",
                   "Jane Smith", "--partner", "Lee, Sam", "--guest", "Pat Visitor")
    result = gametime("run-pending", "--json", timeout=120)
    assert result.returncode == 0, result.stderr
    [entry] = json.loads(result.stdout)["bookings"]
    assert entry["status"] == "confirmed" and entry["booked_minutes"] == 90
    assert entry["length_note"] is None
    [held] = site.bookings()
    assert (held["court"], held["duration"], held["rtype"]) == (2, 90, 1)  # doubles, 90
    assert [(p["name"], p["u"], p["guest"]) for p in held["players"]] == [
        ("Player, Jo", 4411, False), ("Smith, Jane", 4512, False),
        ("Lee, Sam", 4513, False), ("Pat Visitor", 0, True)]
    # The two numbers, each where it belongs.
    assert entry["confirmation"] == str(held["confirmation"]) != str(held["id"])
    assert entry["site_id"] == str(held["id"])
    shown = show(gametime, booking)
    assert shown["guests"] == ["Pat Visitor"] and shown["partners"] == ["Jane Smith", "Lee, Sam"]
    text = gametime("show", str(booking)).stdout
    assert "Pat Visitor (guest)" in text
    # Posted as a player's browser posts it: one save, the waiver ticked, the hold's
    # update landed first.
    [save] = site.saves()
    assert ("bookingWaiverPolicy", "true") in save["fields"] and save["held_duration"] == 90
    assert save["flags"] == []
    no_secret_reached(site)
    # And cancelled in two steps: the site no longer has it, by court, date and start.
    cancelled = gametime("cancel", str(booking), "--json", timeout=120)
    assert cancelled.returncode == 0, cancelled.stderr
    assert json.loads(cancelled.stdout)["cancelled"] is True
    assert site.bookings() == [] and len(site.cancels()) == 1


def test_a_waiver_not_agreed_to_stops_before_any_save_and_waits_for_the_player(
        gametime, site, day):
    booking = book(gametime, day, "--court", "1")
    first = gametime("run-pending", "--json", timeout=120)
    assert first.returncode == 3, first.stderr
    assert WAIVER_WORDS in first.stderr and "--accept-waiver" in first.stderr
    waiting = show(gametime, booking)
    assert waiting["status"] == "pending" and site.saves() == []  # nothing was sent
    # The player reads the words the form showed, agrees, and the booking goes ahead.
    agreed = gametime("club", "set", "sb", "--accept-waiver", "--yes")
    assert agreed.returncode == 0 and WAIVER_WORDS in agreed.stdout, agreed.stderr
    second = gametime("run-pending", "--json", timeout=120)
    assert second.returncode == 0, second.stderr
    assert show(gametime, booking)["status"] == "confirmed"
    assert len(site.saves()) == 1


def test_a_partner_the_roster_doesnt_offer_fails_before_any_save(gametime, site, day):
    assert gametime("club", "set", "sb", "--accept-waiver", "--yes").returncode == 0
    booking = book(gametime, day, "--court", "1", "--partner", "Smith")
    result = gametime("run-pending", "--json", timeout=120)
    assert result.returncode == 1, result.stderr
    shown = show(gametime, booking)
    assert shown["status"] == "failed"
    assert "offers no member named 'Smith'" in shown["last_error"]
    assert "Smith, Jane" in shown["last_error"]  # what it offered instead
    assert site.saves() == [] and site.bookings() == []


class NotWaitingForTheHold(GameTimeSite):
    """The driver as a script that saves as soon as the form is filled."""

    async def _fill(self, *args: Any) -> None:
        await super()._fill(*args)
        requests = self._requests

        async def at_once(since: int, limit: float, grace: float = 0.0) -> bool:
            return True

        requests.settled = at_once  # type: ignore[method-assign]


@pytest.mark.parametrize("waits", [True, False], ids=["waiting", "not-waiting"])
def test_the_hold_follows_the_form_and_a_save_before_its_update_is_told(
        make_site, opening, day, tmp_path: Path, waits: bool):
    site = make_site(users=[replace(USER)], **site_config(opening))  # the driver logs in
    site.config.hold_update_delay = 1.0
    club = Club(1, "sb", site.base_url, "UTC", 6, time(9),
                settings={"accept_waiver": {"words": [WAIVER_WORDS]}})
    kind = GameTimeSite if waits else NotWaitingForTheHold
    host = BrowserHost(mode=BrowserMode.HEADLESS)
    driver = kind(club, Login(USER.username, Secret(PASSWORD)), host, tmp_path, owns_host=True)
    try:
        driver.verify_login()
        driver.day_courts(day)
        outcome = driver.book_court(SlotRequest(1, 1, day, time(19), 90, [3], type="doubles"),
                                    3)
    finally:
        driver.close()
    [held] = site.bookings()
    assert outcome.kind is OutcomeKind.CONFIRMED
    if waits:
        assert held["duration"] == outcome.booked_minutes == 90 and outcome.message is None
    else:  # the site booked its hold's singles hour, and said nothing of it
        assert held["duration"] == outcome.booked_minutes == 60
        assert outcome.message == "booked 60 minutes, not the 90 asked for"


def test_a_court_held_at_the_opening_costs_a_round_trip_and_the_next_court_is_booked(
        gametime, club_site):
    # The opening 25 s from now (true time), 20 ms each way.
    opening = (datetime.now(UTC) + timedelta(seconds=25)).replace(microsecond=0)
    site = club_site(USER, others=[RIVAL], accept_waiver=False, login_timeout=120,
                     timezone="UTC", window_days=1, opens_at=opening.time(), seed=3,
                     latency=0.02, jitter=0.002).site
    assert gametime("club", "set", "sb", "--accept-waiver", "--yes").returncode == 0
    day = (opening + timedelta(days=1)).date()
    site.hold_for_other_member(1, day, 1140)  # a rival holds court 1 at T0
    booking = book(gametime, day, "--court", "1", "--court", "2")
    result = gametime("run-pending", "--json", timeout=120)
    assert result.returncode == 0, result.stderr
    opens = site.opens_at(day)
    shown = show(gametime, booking)
    court_1 = f"/court/{site.court_id(1)}/"
    asked_1 = [r for r in site.requests() if court_1 in r["path"] and r["at"] > opens - 1]
    loads = site.form_loads()
    assert shown["status"] == "confirmed" and shown["court"] == 2
    # Court 1 was asked for at the opening and, its error page read aside, left at
    # once: not the seconds of too-early retries.
    assert 1 <= len(asked_1) <= 4, asked_1
    [load] = loads
    assert load["court"] == 2 and 0 <= load["at"] - opens < 0.5, load


def test_scripts_from_another_origin_run_and_see_no_secret(gametime, site, day):
    assert site.asset_base_url and site.asset_base_url != site.base_url
    assert gametime("club", "set", "sb", "--accept-waiver", "--yes").returncode == 0
    book(gametime, day, "--court", "5", "--duration", "90")
    result = gametime("run-pending", "--json", timeout=120)
    assert result.returncode == 0, result.stderr
    assert site.bookings()[0]["duration"] == 90  # the form's handlers, from there, ran
    beacons = [r for r in site.asset_requests() if r["method"] == "POST"]
    assert beacons  # its agent ran and reported, as on a player's browser
    no_secret_reached(site)

