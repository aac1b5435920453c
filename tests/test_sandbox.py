"""The sandbox site over HTTP, as a driver sees it: urllib with a cookie jar, no browser.

The client reports what a clean desktop Chrome would to the reCAPTCHA stand-in, with
that browser's headers, so these tests pass its bot check; test_sandbox_botcheck.py
tests the check itself. One test at the end drives the real form with Chromium
(marked `browser`).
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from email.message import Message
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from http.cookiejar import CookieJar
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest

from gametime_cli.sandbox import SandboxConfig, SandboxSite, SandboxUser

SAVE = "/scheduling/index/save?errs="
XHR = {"X-Requested-With": "XMLHttpRequest"}
TOKEN = "/recaptcha/api3/token"
BOOKERROR = "/scheduling/index/bookerror"
NOT_VALIDATED = "We could not validate your booking. Please try again."
CHROME_UA = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
             "Chrome/156.0.0.0 Safari/537.36")
BROWSER_HEADERS = {
    "User-Agent": CHROME_UA, "Accept-Language": "en-US,en;q=0.9",
    "sec-ch-ua": '"Not:A-Brand";v="8", "Chromium";v="156"', "sec-ch-ua-mobile": "?0",
    "sec-ch-ua-platform": '"Linux"',
}
"""What a desktop Chromium 156 on Linux sends (measured), Accept-Language included."""


def clean_signals(zone: str = "America/Toronto", **changes: object) -> dict:
    """What the stand-in's script reads in a person's desktop Chromium on Linux, who
    typed and clicked the page's submit, with `changes` made."""
    return {
        "webdriver": False, "user_agent": CHROME_UA,
        "brands": [{"brand": "Not:A-Brand", "version": "8"},
                   {"brand": "Chromium", "version": "156"}],
        "platform": "Linux", "plugins": 5, "languages": ["en-US", "en"],
        "timezone": zone, "screen": {"width": 1920, "height": 1080},
        "window": {"width": 1366, "height": 768}, "untrusted": [],
        "typed_without_keys": False, "interactions": 4, "from_submit": True,
        "submit_trusted": True, **changes,
    }


@dataclass
class Reply:
    status: int
    headers: Message
    text: str

    @property
    def location(self) -> str | None:
        return self.headers.get("Location")


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


class Client:
    """One browser-less session: its own cookie jar, redirects not followed, a clean
    Chrome's headers on every request (`headers` replaces them) and a clean Chrome's
    signals in every token it asks for."""

    def __init__(self, base_url: str, timezone: str = "America/Toronto",
                 headers: dict[str, str] | None = None) -> None:
        self.base_url = base_url
        self.timezone = timezone
        self.headers = dict(BROWSER_HEADERS if headers is None else headers)
        self._site_key: str | None = None
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(CookieJar()), _NoRedirects()
        )

    def get(self, path: str, headers: dict[str, str] | None = None) -> Reply:
        return self._send(urllib.request.Request(self.base_url + path,
                                                 headers={**self.headers, **(headers or {})}))

    def post(self, path: str, fields: dict[str, str] | list[tuple[str, str]],
             headers: dict[str, str] | None = None) -> Reply:
        return self.post_bytes(path, urlencode(fields).encode(), headers)

    def post_bytes(self, path: str, data: bytes,
                   headers: dict[str, str] | None = None) -> Reply:
        sent = {**self.headers, "Origin": self.base_url, **(headers or {})}
        return self._send(urllib.request.Request(self.base_url + path, data=data,
                                                 headers=sent, method="POST"))

    def _send(self, request: urllib.request.Request) -> Reply:
        try:
            with self.opener.open(request, timeout=10) as response:
                return Reply(response.status, response.headers, response.read().decode())
        except urllib.error.HTTPError as error:
            with error:
                return Reply(error.code, error.headers, error.read().decode())

    @property
    def site_key(self) -> str:
        """The site's reCAPTCHA key, read once from its login page's script tag."""
        if self._site_key is None:
            page = self.get("/auth").text
            found = re.search(r'src="/recaptcha/api\.js\?render=([^"&]+)"', page)
            assert found, page
            self._site_key = found.group(1)
        return self._site_key

    def token(self, action: str = "homepage", site_key: str | None = None,
              **changes: object) -> str:
        """A token as the page's `grecaptcha.execute` asks for it: clean signals, with
        `changes`."""
        body = {"site_key": self.site_key if site_key is None else site_key,
                "action": action, "signals": clean_signals(self.timezone, **changes)}
        reply = self.post_bytes(TOKEN, json.dumps(body).encode(),
                                {"Content-Type": "application/json"})
        assert reply.status == 200, reply.text
        return json.loads(reply.text)["token"]

    def login(self, username: str = "member", password: str = "secret",
              **changes: object) -> Reply:
        """Log in as the page's script does: with a token for the action `login`."""
        reply = self.post("/auth", {"username": username, "password": password,
                                    "g-recaptcha-response": self.token("login", **changes)})
        assert reply.status == 302, reply.text
        return reply

    def day_json(self, day: date, sport: int = 1) -> dict:
        reply = self.get(f"/scheduling/index/jsoncourtdata/sport/{sport}/date/{day.isoformat()}",
                         XHR)
        assert reply.status == 200
        return json.loads(reply.text)

    def signed_form(self, form: dict[str, str], action: str = "homepage",
                    **changes: object) -> dict[str, str]:
        """The form as the page's own submit handler posts it: with a fresh token."""
        return {**form, "g-recaptcha-response": self.token(action, **changes)}


class _FormFields(HTMLParser):
    """The named inputs of a page, with their values (checkboxes and radios left out)."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self.attributes: dict[str, dict[str, str | None]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        name = named.get("name")
        if tag in ("input", "select") and name:
            self.attributes[name] = named
            if named.get("type") != "radio":
                self.fields[name] = named.get("value") or ""


def form_fields(page: str) -> _FormFields:
    parser = _FormFields()
    parser.feed(page)
    return parser


def book_path(site: SandboxSite, court: int, day: date, minutes: int) -> str:
    return (f"/scheduling/index/book/sport/{site.config.sport}/court/{site.court_id(court)}"
            f"/date/{day.year}-{day.month}-{day.day}/time/{minutes}")


def open_day(site: SandboxSite) -> date:
    """A day whose window is open by the site's clock: its tomorrow."""
    return datetime.fromtimestamp(site.now(), ZoneInfo(site.config.timezone)).date() + \
        timedelta(days=1)


def load_form(client: Client, site: SandboxSite, court: int, day: date,
              minutes: int) -> dict[str, str]:
    reply = client.get(book_path(site, court, day, minutes))
    assert reply.status == 200, reply.text
    assert 'name="temp"' in reply.text, reply.text
    return form_fields(reply.text).fields


def filled(form: dict[str, str], rtype: str = "13", duration: str = "60") -> dict[str, str]:
    return {**form, "rtype": rtype, "duration": duration, "players[2][name]": "Partner, Sam"}


@pytest.fixture
def site() -> Iterator[SandboxSite]:
    with SandboxSite(SandboxConfig.simple(seed=7)) as running:
        yield running


def test_login_form_success_and_failure(site: SandboxSite) -> None:
    client = Client(site.base_url)
    page = client.get("/auth")
    assert page.status == 200
    assert {"username", "password"} <= set(form_fields(page.text).fields)
    assert 'type="submit"' in page.text

    wrong = client.post("/auth", {"username": "member", "password": "nope"})
    assert wrong.status == 200
    assert '<div class="error">The username or password is incorrect.</div>' in wrong.text
    assert client.get("/").status == 302

    right = client.login()
    assert right.location == "/"
    home = client.get("/")
    assert home.status == 200 and "Member, Test" in home.text


def test_protected_pages_redirect_to_auth(site: SandboxSite) -> None:
    client = Client(site.base_url)
    for path in ("/", "/scheduling/index/index/sport/1", book_path(site, 1, open_day(site), 1140)):
        reply = client.get(path)
        assert (reply.status, reply.location) == (302, "/auth")


def test_json_login(site: SandboxSite) -> None:
    client = Client(site.base_url)
    failed = client.post("/auth/json-index", {"username": "member", "password": "x"})
    assert json.loads(failed.text)["code"] == 401
    ok = client.post("/auth/json-index", {"username": "member", "password": "secret"})
    assert json.loads(ok.text)["code"] == 200
    assert client.get("/").status == 200


def test_day_json_needs_xhr_and_has_court_ids(site: SandboxSite) -> None:
    client = Client(site.base_url)
    client.login()
    day = open_day(site)
    booking_id = site.add_booking(3, day, 1140, 90, user_id=5000, name="Smith, Jane")
    path = f"/scheduling/index/jsoncourtdata/sport/1/date/{day.isoformat()}"
    assert client.get(path).status == 400

    courts = client.day_json(day)["e"]
    assert [c["mn"] for c in courts] == [1, 2, 3, 4, 5, 6]
    assert [c["n"] for c in courts][2] == "Court 3"
    ids = [c["i"] for c in courts]
    assert all(i != c["mn"] for i, c in zip(ids, courts, strict=True))
    assert len({i - c["mn"] for i, c in zip(ids, courts, strict=True)}) > 1
    assert ids == [site.court_id(n) for n in range(1, 7)]
    assert courts[2]["b"] == [{"t": 1140, "d": 90, "bkId": booking_id,
                              "p": [{"n": "Smith, Jane", "u": 5000}]}]
    assert all(c["b"] == [] for c in courts if c["mn"] != 3)


def test_schedule_page_has_the_grid(site: SandboxSite) -> None:
    client = Client(site.base_url)
    client.login()
    page = client.get("/scheduling/index/index/sport/1").text
    assert 'class="courtViewer"' in page and "Court 6</th>" in page
    assert page.count('class="timeslot"') == 6 * 35


def _site_clock_near_opening(now: datetime, zone: ZoneInfo, minutes: float,
                             window_days: int = 6) -> tuple[date, clock_time, float]:
    """(day, opens_at, clock_offset) for a site in `zone` whose clock reads `minutes`
    past the opening of `day`'s window (negative: before it), from the test's one
    instant `now`, whatever the hour. The window opens at noon local time, which the
    clocks never skip or repeat; the site's clock is moved to it, in UTC."""
    opens_at = clock_time(12, 0)
    opening = datetime.combine(now.astimezone(zone).date(), opens_at, tzinfo=zone)
    offset = (opening + timedelta(minutes=minutes)).timestamp() - now.timestamp()
    return opening.date() + timedelta(days=window_days), opens_at, offset


def test_too_early_by_the_sites_clock(make_simple_site: Callable[..., SandboxSite],
                                      now: datetime) -> None:
    day, opens_at, offset = _site_clock_near_opening(now, ZoneInfo("America/Toronto"), -5)
    early = make_simple_site(opens_at=opens_at, clock_offset=offset)
    client = Client(early.base_url)
    client.login()
    reply = client.get(book_path(early, 1, day, 1140))
    assert (reply.status, reply.location) == (302, "/scheduling/index/bookerror")
    countdown = client.get("/scheduling/index/bookerror")
    assert countdown.status == 200 and 'id="countdown"' in countdown.text
    assert early.form_loads() == []

    ahead = make_simple_site(opens_at=opens_at, clock_offset=offset + 600)  # 10 min ahead of it
    client = Client(ahead.base_url)
    client.login()
    load_form(client, ahead, 1, day, 1140)
    assert len(ahead.form_loads()) == 1


def test_open_locally_but_not_by_the_sites_clock(make_simple_site: Callable[..., SandboxSite],
                                                 now: datetime) -> None:
    # By "our" clock the window opened 5 minutes ago; the site's runs 10 minutes behind.
    day, opens_at, ours = _site_clock_near_opening(now, ZoneInfo("America/Toronto"), 5)
    behind = make_simple_site(opens_at=opens_at, clock_offset=ours - 600)
    client = Client(behind.base_url)
    client.login()
    assert client.get(book_path(behind, 2, day, 1140)).location == "/scheduling/index/bookerror"
    behind.set_clock_offset(ours)  # the site's clock agrees with ours again
    load_form(client, behind, 2, day, 1140)


def test_opens_at_follows_the_zone(make_simple_site: Callable[..., SandboxSite]) -> None:
    paris = make_simple_site(timezone="Europe/Paris", window_days=2)
    expected = datetime(2026, 7, 8, 9, 0, tzinfo=ZoneInfo("Europe/Paris")).timestamp()
    assert paris.opens_at(date(2026, 7, 10)) == expected


def test_another_session_holding_the_slot(make_simple_site: Callable[..., SandboxSite]) -> None:
    two = make_simple_site(users=[SandboxUser("jo", "a", 4411, "Jo, Test"),
                           SandboxUser("sam", "b", 4412, "Sam, Test")])
    jo, sam = Client(two.base_url), Client(two.base_url)
    jo.login("jo", "a")
    sam.login("sam", "b")
    day = open_day(two)
    load_form(jo, two, 4, day, 1140)
    held = sam.get(book_path(two, 4, day, 1140))
    assert held.status == 200
    assert "Booking Not Available" in held.text
    assert "Another member is currently booking this court" in held.text
    load_form(sam, two, 4, day, 1170)  # the next slot is free to hold


def test_hold_for_other_member_and_booked_slot(site: SandboxSite) -> None:
    client = Client(site.base_url)
    client.login()
    day = open_day(site)
    site.hold_for_other_member(1, day, 1140)
    assert "Another member is currently booking" in client.get(book_path(site, 1, day, 1140)).text
    site.release_hold(1, day, 1140)
    load_form(client, site, 1, day, 1140)

    site.add_booking(2, day, 1110, 60)
    booked = client.get(book_path(site, 2, day, 1140)).text
    assert "Booking Not Available" in booked
    assert "This court is already booked at this time." in booked


def test_loading_a_second_form_releases_the_first_hold(
    make_simple_site: Callable[..., SandboxSite],
) -> None:
    two = make_simple_site(users=[SandboxUser("jo", "a", 4411, "Jo, Test"),
                           SandboxUser("sam", "b", 4412, "Sam, Test")])
    jo, sam = Client(two.base_url), Client(two.base_url)
    jo.login("jo", "a")
    sam.login("sam", "b")
    day = open_day(two)
    first = load_form(jo, two, 1, day, 1140)
    load_form(jo, two, 2, day, 1140)
    load_form(sam, two, 1, day, 1140)
    stale = jo.post(SAVE, filled(jo.signed_form(first)))
    assert stale.status == 200 and "hold on this court has expired" in stale.text
    assert [(f["court"], f["session"]) for f in two.form_loads()] == [
        (1, "s1"), (2, "s1"), (1, "s2")]


def assert_not_validated(client: Client, reply: Reply) -> None:
    """Refused as the live site refuses a token: a 302 to bookerror, which says so."""
    assert (reply.status, reply.location) == (302, BOOKERROR), reply.text
    page = client.get(BOOKERROR)
    assert page.status == 200 and "<title>Booking Not Available" in page.text
    assert f'<div class="error">{NOT_VALIDATED}</div>' in page.text


def test_save_without_the_recaptcha_token_is_refused(site: SandboxSite) -> None:
    client = Client(site.base_url)
    client.login()
    form = load_form(client, site, 1, open_day(site), 1140)
    assert form["g-recaptcha-response"] == ""  # the page's script fills it in
    assert_not_validated(client, client.post(SAVE, filled(form)))
    assert site.bookings() == []
    assert site.saves()[-1]["reason"] == "not validated: no reCAPTCHA token"


def test_a_token_is_bound_to_its_session(make_simple_site: Callable[..., SandboxSite]) -> None:
    two = make_simple_site(users=[SandboxUser("jo", "a", 4411, "Jo, Test"),
                           SandboxUser("sam", "b", 4412, "Sam, Test")])
    jo, sam = Client(two.base_url), Client(two.base_url)
    jo.login("jo", "a")
    sam.login("sam", "b")
    form = load_form(jo, two, 1, open_day(two), 1140)
    stolen = sam.signed_form(form)["g-recaptcha-response"]
    assert_not_validated(jo, jo.post(SAVE, filled({**form, "g-recaptcha-response": stolen})))
    assert two.bookings() == []


def test_a_correct_booking(site: SandboxSite) -> None:
    client = Client(site.base_url)
    client.login()
    day = open_day(site)
    page = client.get(book_path(site, 3, day, 1140)).text
    parsed = form_fields(page)
    assert 'action="/scheduling/index/save?errs="' in page
    assert "disabled" in parsed.attributes["duration"]
    assert '<option value="60">1 hour</option>' in page
    assert '<label for="rtype-13">Singles</label>' in page
    assert parsed.fields["players[1][user_id]"] == "4411"
    assert parsed.fields["players[1][name]"] == "Member, Test"
    assert parsed.fields["court"] == str(site.court_id(3))
    assert (parsed.fields["date"], parsed.fields["time"]) == (day.isoformat(), "1140")

    reply = client.post(SAVE, filled(client.signed_form(parsed.fields)))
    assert reply.status == 302
    booking_id = site.bookings()[0]["id"]
    assert 100000 <= booking_id <= 999999
    assert reply.location == f"/scheduling/confirmation/history/sport/1/id/{booking_id}"
    assert str(booking_id) in client.get(reply.location).text

    court = client.day_json(day)["e"][2]
    assert court["b"][0]["bkId"] == booking_id
    assert court["b"][0]["d"] == 60
    assert 4411 in [p["u"] for p in court["b"][0]["p"]]
    saved = site.saves()[-1]
    assert {k: saved[k] for k in ("status", "booking_id", "reason", "score", "flags")} == {
        "status": 302, "booking_id": booking_id, "reason": None, "score": 0.9, "flags": []}
    assert saved["at"] == pytest.approx(site.now(), abs=5)
    assert site.bookings()[0]["players"] == [{"name": "Member, Test", "u": 4411},
                                             {"name": "Partner, Sam", "u": 0}]


def test_a_padded_date_and_a_booking_too_long_for_the_court(site: SandboxSite) -> None:
    client = Client(site.base_url)
    client.login()
    day = open_day(site)
    site.add_booking(5, day, 1200, 60)
    padded = (f"/scheduling/index/book/sport/1/court/{site.court_id(5)}/date/"
              f"{day.isoformat()}/time/1140")
    form = form_fields(client.get(padded).text).fields
    reply = client.post(SAVE, filled(client.signed_form(form), duration="90"))
    assert "not free for the whole duration" in reply.text
    assert client.post(SAVE, filled(client.signed_form(form))).status == 302


def test_date_header_follows_the_sites_clock(make_simple_site: Callable[..., SandboxSite]) -> None:
    for offset in (-3600.0, 90.0):
        shifted = make_simple_site(clock_offset=offset)
        reply = Client(shifted.base_url).get("/auth")
        sent = parsedate_to_datetime(reply.headers["Date"]).timestamp()
        assert sent == pytest.approx(time.time() + offset, abs=2)


def test_delay_slows_every_response(make_simple_site: Callable[..., SandboxSite]) -> None:
    slow = make_simple_site(delay=0.3)
    client = Client(slow.base_url)
    started = time.monotonic()
    assert client.post("/auth", {"username": "member", "password": "secret"}).status == 302
    assert time.monotonic() - started >= 0.3
    slow.set_delay(0)
    started = time.monotonic()
    client.get("/")
    assert time.monotonic() - started < 0.3


@pytest.mark.slow  # waits for the middle of a second
def test_latency_each_way_with_the_date_stamped_when_handled(
        make_simple_site: Callable[..., SandboxSite]) -> None:
    far = make_simple_site(latency=0.4)
    client = Client(far.base_url)
    client.get("/auth")  # connected
    # Sent at x.5: handled (and dated) at x.9, answered at y.3 of the next second.
    time.sleep(1.5 - time.time() % 1)
    sent = time.time()
    reply = client.get("/auth")
    received = time.time()
    handled = far.requests()[-1]["at"]
    assert received - sent >= 0.8
    assert 0.4 <= handled - sent < 0.6
    assert parsedate_to_datetime(reply.headers["Date"]).timestamp() == int(sent)


def _header_and_body_times(base_url: str) -> list[tuple[float, float]]:
    """Four GETs on one kept-alive connection: seconds to the headers, to the body."""
    import http.client

    host, port = base_url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    times = []
    try:
        for _ in range(4):
            started = time.monotonic()
            conn.request("GET", "/auth")
            response = conn.getresponse()
            headers = time.monotonic() - started
            response.read()
            times.append((headers, time.monotonic() - started))
    finally:
        conn.close()
    return times


def test_the_nagle_mode_holds_the_body_back(make_simple_site: Callable[..., SandboxSite]) -> None:
    # Two writes without TCP_NODELAY: once the connection's quick ACKs are spent, the
    # body waits for the client's delayed ACK of the headers (about 40 ms on Linux).
    held = _header_and_body_times(make_simple_site(nagle=True).base_url)
    assert max(body - headers for headers, body in held) > 0.02
    whole = _header_and_body_times(make_simple_site().base_url)
    assert max(body - headers for headers, body in whole) < 0.01


def test_save_500(make_simple_site: Callable[..., SandboxSite]) -> None:
    failing = make_simple_site(save_500=1.0)
    client = Client(failing.base_url)
    client.login()
    form = client.signed_form(load_form(client, failing, 1, open_day(failing), 1140))
    reply = client.post(SAVE, filled(form))
    assert reply.status == 500
    assert failing.bookings() == []
    assert failing.saves()[-1]["status"] == 500
    failing.set_save_500(0)
    assert client.post(SAVE, filled(form)).status == 302  # the hold was kept


def test_cancel_from_the_home_page(site: SandboxSite) -> None:
    client = Client(site.base_url)
    client.login()
    day = open_day(site)
    mine = site.add_booking(1, day, 1140, user_id=4411, name="Member, Test")
    theirs = site.add_booking(2, day, 1140)
    home = client.get("/").text
    link = f"/scheduling/index/cancel/id/{mine}"
    assert f'href="{link}"' in home and str(theirs) not in home
    confirm = client.get(link)
    assert confirm.status == 200 and f'action="{link}"' in confirm.text
    assert site.bookings()[0]["id"] == mine
    reply = client.post(link, {})
    assert (reply.status, reply.location) == (302, "/")
    assert [b["id"] for b in site.bookings()] == [theirs]
    assert link not in client.get("/").text
    assert client.post(f"/scheduling/index/cancel/id/{theirs}", {}).status == 404


@pytest.mark.slow  # waits for a hold to expire
def test_an_expired_hold_is_refused_at_save(make_simple_site: Callable[..., SandboxSite]) -> None:
    brief = make_simple_site(hold_seconds=0.5)
    client = Client(brief.base_url)
    client.login()
    form = client.signed_form(load_form(client, brief, 1, open_day(brief), 1140))
    time.sleep(0.6)
    reply = client.post(SAVE, filled(form))
    assert reply.status == 200
    assert '<div class="error">Your hold on this court has expired.' in reply.text
    assert brief.bookings() == []


def test_records_and_the_state_route(site: SandboxSite) -> None:
    client = Client(site.base_url)
    client.login()
    form = load_form(client, site, 1, open_day(site), 1140)
    client.post(SAVE, filled(client.signed_form(form)))
    state = json.loads(client.get("/_sandbox/state").text)
    assert set(state) == {"bookings", "saves", "form_loads", "bot_checks", "now"}
    assert state["bookings"] == site.bookings()
    assert [s["status"] for s in state["saves"]] == [302]
    assert [(c["action"], c["session"], c["score"]) for c in state["bot_checks"]] == [
        ("login", None, 0.9), ("homepage", "s1", 0.9)]
    # The login page (for its site key), a token, the login, the form, a token, the save.
    assert [(r["method"], r["path"].split("?")[0], r["status"]) for r in site.requests()] == [
        ("GET", "/auth", 200), ("POST", TOKEN, 200), ("POST", "/auth", 302),
        ("GET", book_path(site, 1, open_day(site), 1140), 200), ("POST", TOKEN, 200),
        ("POST", "/scheduling/index/save", 302)]


def test_stop_is_prompt_with_a_kept_alive_connection() -> None:
    import http.client

    running = SandboxSite(SandboxConfig())
    running.start()
    host, port = running.base_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    connection.request("GET", "/auth")
    connection.getresponse().read()
    started = time.monotonic()
    running.stop()
    running.stop()
    assert time.monotonic() - started < 2
    connection.close()


_COMMAND = """
import typer
from gametime_cli.cli.app import GametimeGroup
from gametime_cli.cli.sandbox import register
app = typer.Typer(cls=GametimeGroup)
register(app)
@app.callback()
def root() -> None: pass
app()
"""


def test_the_command_serves_until_sigterm() -> None:
    import signal
    import subprocess
    import sys

    process = subprocess.Popen(
        [sys.executable, "-c", _COMMAND, "sandbox", "--users", "jo:secret,sam:pw2",
         "--clock-offset", "-30", "--seed", "3", "--latency", "200", "--jitter", "5",
         "--nagle", "--no-bot-check"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        line = process.stdout.readline()
        assert line.startswith("sandbox: serving http://127.0.0.1:")
        assert line.rstrip().endswith("(users: jo, sam)")
        base_url = line.split()[2]
        client = Client(base_url)
        started = time.monotonic()
        assert client.login("sam", "pw2").location == "/"
        assert time.monotonic() - started >= 0.39  # 200 ± 5 ms each way
        sent = parsedate_to_datetime(client.get("/").headers["Date"]).timestamp()
        assert sent == pytest.approx(time.time() - 30, abs=2)
        day_json = "/scheduling/index/jsoncourtdata/sport/1/date/2030-1-2"
        assert client.get(day_json, {"X-Requested-With": "XMLHttpRequest"}).status == 200
        _book_with_urllib_as_is(base_url)  # --no-bot-check lets an HTTP library book
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        process.kill()
        out, _ = process.communicate()
    # The access log, one line a request: a test can count a client's reads of a day.
    logged = [line.split()[2:] for line in out.splitlines()]
    assert ["POST", "/auth", "302"] in logged and ["GET", "/", "200"] in logged
    assert logged.count(["GET", day_json, "200"]) == 1


def _book_with_urllib_as_is(base_url: str) -> None:
    """Log in without a token and book with urllib's own User-Agent, no Accept-Language."""
    bare = Client(base_url, headers={})
    assert bare.post("/auth", {"username": "jo", "password": "secret"}).status == 302
    day = datetime.now(ZoneInfo("America/Toronto")).date() + timedelta(days=2)  # open
    court_id = bare.day_json(day)["e"][0]["i"]
    page = bare.get(f"/scheduling/index/book/sport/1/court/{court_id}"
                    f"/date/{day.year}-{day.month}-{day.day}/time/1140")
    # The site as recorded: the partner a guest (the box ticked), the waiver agreed to.
    form = {**filled(bare.signed_form(form_fields(page.text).fields)),
            "players[2][guest]": "on", "players[2][guestof]": "1", "bookingWaiverPolicy": "true"}
    saved = bare.post(SAVE, form)
    assert "/scheduling/confirmation/history/sport/1/id/" in (saved.location or ""), saved.text


def test_the_command_refuses_bad_users() -> None:
    from gametime_cli.cli.sandbox import parse_users
    from gametime_cli.errors import BadInput

    assert [(u.username, u.user_id, u.name) for u in parse_users("jo:a,sam:b")] == [
        ("jo", 4411, "Jo, Test"), ("sam", 4412, "Sam, Test")]
    for text in ("jo", "jo:", ":pw", "jo:a,jo:b"):
        with pytest.raises(BadInput):
            parse_users(text)


@pytest.mark.browser
def test_a_browser_books_through_the_pages_own_script(make_simple_site: Callable[..., SandboxSite],
                                                      needs_browser: str) -> None:
    """The browser the command itself would drive (find_browser, through needs_browser)
    books through the pages' own scripts (the login's and the form's reCAPTCHA tokens).
    The bot check is off: this headless, filled-in browser is one it would refuse
    (test_sandbox_botcheck.py), and it saw so."""
    import os

    from playwright.sync_api import sync_playwright

    site = make_simple_site(bot_check=False)
    args = ["--no-sandbox"] if os.geteuid() == 0 else []
    day = open_day(site)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=needs_browser, headless=True,
                                             args=args)
        try:
            page = browser.new_page()
            page.goto(site.base_url + "/auth")
            page.fill("input[name=username]", "member")
            page.fill("input[name=password]", "secret")
            page.click("button[type=submit]")
            page.wait_for_url(site.base_url + "/")
            page.goto(site.base_url + book_path(site, 2, day, 1140))
            page.check("input[name=rtype][value='13']")
            page.select_option("select[name=duration]", "60")
            page.fill("input[name='players[2][name]']", "Partner, Sam")
            page.click("#book-button")
            page.wait_for_url("**/scheduling/confirmation/history/sport/1/id/*")
            landed = page.url
        finally:
            browser.close()
    [booking] = site.bookings()
    assert landed.endswith(f"/id/{booking['id']}")
    assert (booking["court"], booking["time"], booking["duration"], booking["rtype"]) == (
        2, 1140, 60, 13)
    [save] = site.saves()
    assert {"untrusted-input", "typed-without-keys", "login:typed-without-keys"} <= set(
        save["flags"])
    assert [c["action"] for c in site.bot_checks()] == ["login", "homepage", "homepage"]


def test_recaptchas_script_is_kept_by_the_browser_and_the_pages_are_not(site: SandboxSite):
    """As Google serves api.js (five minutes), so the booking form takes it from the
    cache the login page filled; the club's own pages are never kept."""
    import urllib.request

    key = site.config.recaptcha_site_key
    with urllib.request.urlopen(f"{site.base_url}/recaptcha/api.js?render={key}") as script:
        assert script.headers["Cache-Control"] == "private, max-age=300"
        assert b"grecaptcha" in script.read()
    with urllib.request.urlopen(f"{site.base_url}/auth") as page:
        assert page.headers["Cache-Control"] == "no-store"
