"""What the club's site sees of the browser: every measure the driver takes is needed.

The sandbox scores browsers as reCAPTCHA v3 is known to (sandbox/botcheck.py). With
all the driver's measures the booking goes through, posted and by the page's button;
with any one of them turned off, and only that one, the sandbox refuses the save and
names what gave the browser away. A measure is turned off the way a script players
share would do it: Playwright's defaults for the browser, fill() and select_option()
and element.click() for the input.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import date, time
from pathlib import Path
from typing import Any

import pytest

from gametime_cli.models import Club
from gametime_cli.sandbox import SandboxSite, SandboxUser
from gametime_cli.secrets.credentials import Secret
from gametime_cli.sites import page_input
from gametime_cli.sites.base import Login, OutcomeKind, SlotRequest
from gametime_cli.sites.browser import BrowserHost, BrowserMode
from gametime_cli.sites.gametime import GameTimeSite
from tests.support import debian, missing_part

pytestmark = pytest.mark.browser

ZONE = "America/Toronto"
WINDOWS_CHROME = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, "
                  "like Gecko) Chrome/120.0.0.0 Safari/537.36")


def executable(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        missing_part(f"Debian's {name}", debian(name))
    return found


class Without(BrowserHost):
    """The run's browser with one measure of what the site sees turned off."""

    def __init__(self, measure: str, **kwargs: Any):
        super().__init__(**kwargs)
        self.measure = measure

    def launch_arguments(self) -> list[str]:
        args = super().launch_arguments()
        if self.measure == "webdriver":
            args.remove("--disable-blink-features=AutomationControlled")
        return args

    def context_options(self, zone: str | None) -> dict[str, Any]:
        options = super().context_options(zone)
        if self.measure == "user agent":
            del options["user_agent"]
        elif self.measure == "client hints":
            options["user_agent"] = WINDOWS_CHROME  # a hard-coded desktop UA
        elif self.measure == "languages":
            options["locale"] = "en-US"
        elif self.measure == "time zone":
            del options["timezone_id"]
        elif self.measure == "screen":
            del options["screen"]
        return options


async def fill_text(page: Any, selector: str, text: str) -> None:
    await page.fill(selector, text)


async def script_click_radio(page: Any, selector: str) -> None:
    await page.evaluate("s => document.querySelector(s).click()", selector)


async def select_value(page: Any, selector: str, value: str, wait: float) -> None:
    await page.select_option(selector, value)


async def script_click_submit(page: Any, point: dict[str, float]) -> None:
    """The submit clicked by a script; any other click (a roster's suggestion) by the
    mouse, as the driver makes it."""
    on_submit = await page.evaluate(
        "([x, y]) => !!document.elementFromPoint(x, y).closest('[type=submit]')",
        [point["x"], point["y"]])
    if not on_submit:
        await page.mouse.click(point["x"], point["y"])
        return
    await page.evaluate("([x, y]) => document.elementFromPoint(x, y).click()",
                        [point["x"], point["y"]])


def only_for(selector_part: str, untrusted: Callable, trusted: Callable) -> Callable:
    async def typing(page: Any, selector: str, text: str) -> None:
        await (untrusted if selector_part in selector else trusted)(page, selector, text)
    return typing


BROWSER_MEASURES = {
    # measure turned off: the flag the sandbox must find
    "the full browser": "no-plugins",
    "webdriver": "webdriver",
    "user agent": "headless-user-agent",
    "client hints": "client-hints-disagree",
    "languages": "one-language",
    "time zone": "timezone",
    "screen": "screen",
}
INPUT_MEASURES = {
    "login typed": ("type_text", only_for("username", fill_text, page_input.type_text),
                    "login:typed-without-keys", "post"),
    "type pressed": ("press_radio", script_click_radio, "untrusted-input", "post"),
    "duration by keys": ("choose_option", select_value, "untrusted-input", "post"),
    "partners typed": ("type_text", only_for("players[", fill_text, page_input.type_text),
                       "typed-without-keys", "post"),
    "submit clicked": ("click_at", script_click_submit, "untrusted-submit", "page"),
}


@pytest.fixture
def site(make_site) -> SandboxSite:
    """Jo and Sam's site, no club added nor anyone logged in: the driver logs in itself,
    with the measures under test. No seed (SandboxConfig's own), not make_site's 7."""
    users = [SandboxUser("jo", "secret-jo", 4411, "Jo, Test"),
             SandboxUser("sam", "secret-sam", 4412, "Lee, Sam")]
    return make_site(users=users, timezone=ZONE, seed=None)


def book(site: SandboxSite, host: BrowserHost, tmp_path: Path, day: date, submit: str,
         partners: list[str] | None = None) -> Any:
    """One booking of court 2 at 19:00 through the driver, as the run makes it."""
    club = Club(1, "sandbox", site.base_url, ZONE, 6, time(9),
                settings={"accept_waiver": {"words": None}})
    driver = GameTimeSite(club, Login("jo", Secret("secret-jo")), host, tmp_path / "art",
                          owns_host=True, submit=submit)
    try:
        driver.verify_login()
        driver.day_courts(day)
        request = SlotRequest(1, 1, day, time(19), 90, [2], partners=partners or [])
        return driver.book_court(request, 2)
    finally:
        driver.close()


def open_day(site: SandboxSite) -> date:
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    return datetime.fromtimestamp(site.now(), ZoneInfo(ZONE)).date() + timedelta(days=1)


@pytest.mark.parametrize("submit", ["post", "page"])
def test_with_every_measure_the_booking_goes_through(site, tmp_path, submit):
    host = BrowserHost(executable("chromium"), mode=BrowserMode.HEADLESS)
    outcome = book(site, host, tmp_path, open_day(site), submit, ["Lee, Sam"])
    assert outcome.kind is OutcomeKind.CONFIRMED, outcome.message
    [save] = site.saves()
    assert save["status"] == 302 and save["flags"] == [] and save["score"] == 0.9
    if submit == "post":
        # The form's own fields in the page's order, both durations kept (the site takes
        # the last); the session's headers: the browser's own User-Agent, the origin,
        # the form's address.
        names = [name for name, _ in save["fields"]]
        partner_rows = [f"players[{n}][{part}]" for n in (2, 3, 4)
                        for part in ("user_id", "name", "guestof")]
        assert names == ["edit", "is_register", "rt_key", "temp", "upd", "duration",
                         "g-recaptcha-response", "court", "date", "time", "sportSel",
                         "duration", "rtype", "invite_for", "players[1][user_id]",
                         "players[1][name]", *partner_rows, "payee_hide",
                         "bookingWaiverPolicy"]
        assert [v for n, v in save["fields"] if n == "duration"] == ["30", "90"]
        assert save["origin"] == site.base_url
        assert save["referer"].startswith(site.base_url + "/scheduling/index/book/")
        assert host.user_agent and save["user_agent"] == host.user_agent
        assert "HeadlessChrome" not in save["user_agent"]
    [booking] = site.bookings()
    assert (booking["court"], booking["time"], booking["duration"]) == (2, 1140, 90)
    assert [p["name"] for p in booking["players"]] == ["Jo, Test", "Lee, Sam"]


@pytest.mark.parametrize("measure", sorted(BROWSER_MEASURES))
def test_without_any_one_measure_of_the_browser_the_site_refuses(site, tmp_path, measure):
    if measure == "the full browser":
        host: BrowserHost = BrowserHost(executable("chromium-headless-shell"),
                                        mode=BrowserMode.LEAN)
    else:
        host = Without(measure, configured=executable("chromium"))
    outcome = book(site, host, tmp_path, open_day(site), "post")
    # Refused posted, then by the page's button on the same hold, and failed so.
    assert outcome.kind is OutcomeKind.PERMANENT
    assert "We could not validate your booking" in outcome.message
    assert "try" in outcome.message and outcome.artifacts
    saves = site.saves()
    assert [s["status"] for s in saves] == [302, 302] and not site.bookings()
    assert all(BROWSER_MEASURES[measure] in s["flags"] for s in saves), saves
    assert len({dict(s["fields"])["temp"] for s in saves}) == 1  # the one hold


@pytest.mark.parametrize("measure", sorted(INPUT_MEASURES))
def test_without_any_one_measure_of_the_input_the_site_refuses(site, tmp_path, measure,
                                                               monkeypatch):
    name, untrusted, flag, submit = INPUT_MEASURES[measure]
    monkeypatch.setattr(page_input, name, untrusted)
    host = BrowserHost(executable("chromium"), mode=BrowserMode.HEADLESS)
    outcome = book(site, host, tmp_path, open_day(site), submit, ["Lee, Sam"])
    first = site.saves()[0]
    assert first["status"] == 302 and first["booking_id"] is None
    assert flag in first["flags"], first
    if measure == "submit clicked":
        # Only the page's button was clicked by a script: the post on the same hold,
        # which clicks nothing, books.
        assert outcome.kind is OutcomeKind.CONFIRMED
        assert [s["status"] for s in site.saves()] == [302, 302]
        assert site.saves()[1]["flags"] == []
    else:
        assert outcome.kind is OutcomeKind.PERMANENT, outcome
        assert not site.bookings()
