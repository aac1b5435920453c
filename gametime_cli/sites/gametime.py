"""GameTime, driven in Chromium with Playwright, as a player would.

Everything here follows the recorded behaviour of the site (shared/gametime-site.md):
the login form, the day's JSON, the booking form and its hold, its save (posted from
the session with the page's own reCAPTCHA token, or by the page's own button), and the
confirmation redirect. What a player types or clicks goes through the browser's
keyboard and mouse (`page_input`). Court ids, booking types and the sport come from the
site or the club's settings, never from constants here.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import re
import time
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any, NoReturn, TypeVar
from urllib.parse import urljoin

from gametime_cli import paths
from gametime_cli.browser import BrowserHost, BrowserMode, BrowserStalled
from gametime_cli.clock import epoch, utcnow
from gametime_cli.errors import EnvironmentProblem
from gametime_cli.models import Club
from gametime_cli.offer import ClubOffer, duration_problem
from gametime_cli.sites import page_input
from gametime_cli.sites.base import (
    AttemptFailed,
    CourtDay,
    Login,
    LoginRefused,
    OffOrigin,
    Outcome,
    OutcomeKind,
    SiteBooking,
    SlotRequest,
    choose_courts,
)
from gametime_cli.sites.form_post import GATHER_JS, GatheredForm, browser_headers, save_request
from gametime_cli.sites.guard import OriginGuard
from gametime_cli.sites.http_shot import Connection, ShotFailed
from gametime_cli.sites.origins import Origin, origin_of, path_of
from gametime_cli.timing import wait_until_async

log = logging.getLogger("gametime")
T = TypeVar("T")
CONFIRMATION = re.compile(r"/scheduling/confirmation/history/sport/\d+/id/([A-Za-z0-9_-]+)")
FIRE_RETRY_INTERVAL = 0.1
"""The longest pause between asking again for a form the site says is too early: the
first retry goes at once, later ones after 10, 20, 40 ms and so on up to this."""
MAX_REDIRECTS = 5
"""Hops the day's JSON may be redirected through on the club's origin."""
CLOCK_FRESH_SECONDS = 600.0
"""A measurement of the site's clock is trusted this long."""
SHOT_DELAY = 0.0002
"""From the firing instant to the opening's request leaving: a write on a connection
opened beforehand."""
SUBMIT_PAGES = 3
"""Answers a form's submit may wait for, each up to the navigation timeout: a request
of the page's own first (reCAPTCHA's token), the post, and the page it redirects to
(at login, a member site's ticket, then the home page)."""
BOOKERROR_PATH = "/scheduling/index/bookerror"
NOT_OPEN_YET = "the site says booking for that day hasn't opened yet"
HELD_WORDS = ("another member is currently booking",)
TAKEN_WORDS = ("not available", "already booked")
REFUSED_WORDS = ("could not validate",)
"""A save the site's bot check refused ("We could not validate your booking")."""
SUBMIT_MODES = ("post", "page")
BOOKING_FORM = "form:has(input[name=temp])"
SUBMIT_BUTTON = ":is(button[type=submit], input[type=submit], button:not([type]))"
DURATION = "select[name=duration]"
_READ_FORM_JS = """() => {
  const labelOf = el => {
    const label = el.labels && el.labels[0];
    return (label ? label.innerText : (el.parentElement ? el.parentElement.innerText : '')) || '';
  };
  const member = document.querySelector('input[name="players[1][user_id]"]');
  const select = document.querySelector('select[name=duration]');
  return {
    held: document.querySelector('input[name=temp]') !== null,
    userId: member ? member.value : null,
    types: Array.from(document.querySelectorAll('input[name=rtype]'),
                      r => ({value: r.value, label: labelOf(r)})),
    durations: select ? Array.from(select.options,
                                   o => ({value: o.value, label: o.innerText})) : null,
    partners: [2, 3, 4].filter(
      n => document.querySelector(`input[name="players[${n}][name]"]`) !== null),
  };
}"""
_MESSAGE_JS = """html => {
  // The page's own error text, or its first words: of this page, or of HTML fetched.
  const root = html === null ? document : new DOMParser().parseFromString(html, 'text/html');
  for (const selector of ['.error', '.alert', '.message', 'h1', 'h2', 'body']) {
    const node = root.querySelector(selector);
    const text = node ? (node.innerText || node.textContent || '').split(/\\s+/).join(' ').trim()
                      : '';
    if (text) return text.slice(0, 200);
  }
  return '';
}"""
_MY_BOOKINGS_JS = """html => {
  const root = new DOMParser().parseFromString(html, 'text/html');
  const ids = new Set();
  for (const row of root.querySelectorAll('[data-booking-id]')) {
    ids.add(row.getAttribute('data-booking-id'));
  }
  for (const link of root.querySelectorAll('a[href]')) {
    const href = link.getAttribute('href') || '';
    if (!/cancel/i.test(href + ' ' + link.textContent)) continue;
    for (const part of href.split(/[/?&=#]/)) {
      if (/^[0-9]+$/.test(part)) ids.add(part);
    }
  }
  return Array.from(ids);
}"""


_SEEN_JS = """async () => {
  const data = navigator.userAgentData;
  const script = Array.from(document.scripts)
    .find(s => /\\/recaptcha\\/(api|enterprise)\\.js/.test(s.src));
  return {
    webdriver: navigator.webdriver === true,
    userAgent: navigator.userAgent,
    brands: data ? data.brands.map(b => `${b.brand} ${b.version}`) : null,
    platform: data ? data.platform : null,
    plugins: navigator.plugins.length,
    languages: Array.from(navigator.languages || []),
    timezone: Intl.DateTimeFormat().resolvedOptions().timeZone,
    screen: [screen.width, screen.height],
    window: [innerWidth, innerHeight],
    recaptcha: !!(window.grecaptcha && window.grecaptcha.execute),
    siteKey: script ? new URL(script.src, location.href).searchParams.get('render') : null,
  };
}"""
"""What a page can read of the browser: what a bot check reads."""


@dataclass(frozen=True)
class _Refusal:
    """The site would not take a save from this browser: its words, and the evidence."""

    words: str
    artifacts: tuple[str, ...] = ()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__


class GameTimeSite:
    """One account at one club: a browser context of its own on the run's browser.

    The public methods are called from the executor's threads; each runs its steps as
    one coroutine on the browser's loop (`BrowserHost.run`). Writes the executor must
    fence (just before loading the form, just before submitting) are called back in the
    caller's thread, between those coroutines, never on the loop.
    """

    def __init__(self, club: Club, login: Login | None, host: BrowserHost,
                 artifacts_dir: Path, *, owns_host: bool = False, submit: str = "post"):
        if submit not in SUBMIT_MODES:
            raise ValueError(f"submit must be one of {SUBMIT_MODES}")
        self.club = club
        self.submit = submit
        """How a booking form is sent first: 'post' (the page's token, the fields posted
        from the session) or 'page' (the page's own button); a refused save goes once
        more the other way."""
        self.base = club.url.rstrip("/")
        origin = origin_of(self.base)
        if origin is None:
            raise EnvironmentProblem(
                f"{club.name}'s URL {club.url!r} is not an http(s) address; "
                f"remove the club and add it again with its GameTime address")
        self.origin: Origin = origin
        self.login_origin = origin_of(club.login_url) if club.login_url else None
        """The club's own member site, where it signs in, when the player named one."""
        self.login = login
        self.host = host
        self.options = host.options
        self.artifacts_dir = artifacts_dir
        self.types: dict[str, Any] = club.settings.get("booking_types", {})
        self.user_id: int | None = None
        self.clock_offset = 0.0
        self.send_ahead = 0.0
        """Seconds before the opening (by the site's clock) to fire the form's request,
        so that it arrives just after it: the latency and the browser's own delay in
        sending, less the clock's uncertainty."""
        self._owns_host = owns_host
        self._measured_at = -math.inf
        self._courts_day: date | None = None
        self._context: Any = None
        self._page: Any = None
        self._guard = OriginGuard(o for o in (self.origin, self.login_origin) if o)
        self._logged_in = False
        self._courts: dict[int, CourtDay] = {}
        self._status: int | None = None
        """The HTTP status of the last page `_goto` loaded."""
        self._navigation_headers: list[tuple[str, str]] = []
        """The headers the browser sent with a page it was sent to, in its order: what
        the shot at the opening sends as its own."""
        self._browser_headers: dict[str, str] = {}
        """Of those, what says which browser this is (its User-Agent, client hints,
        languages), sent with the session's other requests too."""
        self._shot: Connection | None = None
        """The connection the booking form's request goes on at the opening."""
        self.offer: ClubOffer | None = None
        """The last day's courts and slots as read, and the durations the booking form
        showed, by booking type."""
        self._too_early_at: float | None = None
        self.opened_between: tuple[float, float] | None = None
        """Local instants of the last 'too early' answer and the first form after it:
        the site's window opened between them."""

    # -- calling into the browser's loop -------------------------------------------------

    def _budget(self, pages: int = 4, extra: float = 0.0) -> float:
        """How long one step may take in all: `pages` page loads and their actions."""
        return pages * (self.options.navigation_timeout + self.options.action_timeout) + extra + 10

    def _call(self, work: Coroutine[Any, Any, T], pages: int = 4, extra: float = 0.0) -> T:
        try:
            return self.host.run(work, self._budget(pages, extra))
        except BrowserStalled as stalled:
            raise AttemptFailed(Outcome(OutcomeKind.TRANSIENT, message=str(stalled))) from None

    # -- browser and session ---------------------------------------------------------

    async def _start(self) -> Any:
        if self._page is None:
            context = await self.host.new_context(self.club.timezone)
            self._context = context
            context.on("page", _close_popup)
            page = await context.new_page()
            await self._guard.attach(context, page)
            self._page = page
        return self._page

    @property
    def _page_ms(self) -> float:
        """An action that leads to a new page waits this long (ms): a page's time."""
        return self.options.navigation_timeout * 1000

    def _path(self) -> str:
        return path_of(self._page.url)

    def _stay_on_origin(self) -> None:
        """OffOrigin when the site sent the browser to an origin it may not go to (the
        guard failed that page before it was asked for)."""
        here = origin_of(self._page.url) if self._page is not None else None
        away = self._guard.left_for or (
            self._page.url if here is not None and here not in self._guard.allowed else None)
        if away is None:
            return
        self._off_origin(away)

    def _off_origin(self, url: str) -> NoReturn:
        other = origin_of(url)
        name = self.club.name
        raise OffOrigin(
            f"{name}'s site sent the browser from {self.origin} to another origin, "
            f"{other if other else url.split('?')[0]}; stopped before typing or sending "
            f"anything there (if {name} signs in on its own member site, name it: "
            f"gametime club set {name} --login-url URL)")

    def _on_login_page(self) -> bool:
        """On the club's /auth, or any page of its member site: never captured."""
        return self._is_login_page(self._page.url)

    def _is_login_page(self, url: str) -> bool:
        here, path = _page_address(url)
        return here is not None and (here == self.login_origin
                                     or (here == self.origin and path == "/auth"))

    @contextlib.contextmanager
    def _reaching_the_site(self) -> Iterator[None]:
        """Timeouts and refused connections become transient AttemptFailed."""
        from playwright.async_api import Error, TimeoutError

        try:
            yield
        except TimeoutError:
            self._stay_on_origin()
            raise AttemptFailed(Outcome(
                OutcomeKind.TRANSIENT,
                message=f"the site did not answer within {self.options.navigation_timeout:g} s",
            )) from None
        except Error as exc:
            self._stay_on_origin()
            raise AttemptFailed(Outcome(
                OutcomeKind.TRANSIENT, message=f"could not reach the site: {_first_line(exc)}"
            )) from None
        self._stay_on_origin()

    @staticmethod
    def _no_server_error(status: int | None) -> None:
        if status is not None and status >= 500:
            raise AttemptFailed(Outcome(OutcomeKind.TRANSIENT,
                                        message=f"the site answered HTTP {status}"))

    async def _goto(self, path: str) -> Any:
        """Load a page; timeouts, refused connections and 5xx become AttemptFailed, a
        page on another origin OffOrigin."""
        page = await self._start()
        with self._reaching_the_site():
            response = await page.goto(self.base + path, wait_until="domcontentloaded")
        self._status = response.status if response is not None else None
        self._no_server_error(self._status)
        if not self._navigation_headers and response is not None:
            with contextlib.suppress(Exception):
                sent = await response.request.headers_array()
                self._navigation_headers = [(h["name"], h["value"]) for h in sent]
                self._browser_headers = browser_headers(
                    {n.lower(): v for n, v in self._navigation_headers})
        return response

    async def _fetch(self, url: str, headers: dict[str, str] | None = None) -> Any | None:
        """GET `url` from the session (its cookies, the browser's headers), following
        redirects on the club's origin only, each hop checked before it is asked for:
        the last answer, or None when it leads to the login page (the session ran out).
        Off the origin is OffOrigin; timeouts and refused connections AttemptFailed."""
        await self._start()
        here = self._page.url if origin_of(self._page.url) else None
        asked = {**self._browser_headers, **({"referer": here} if here else {}),
                 **(headers or {})}
        for _ in range(MAX_REDIRECTS):
            with self._reaching_the_site():
                response = await self._context.request.get(
                    url, headers=asked, timeout=self.options.navigation_timeout * 1000,
                    max_redirects=0)
            if not 300 <= response.status < 400 or "location" not in response.headers:
                break
            url = urljoin(url, response.headers["location"])
            if self._is_login_page(url):
                return None
            if origin_of(url) != self.origin:
                self._off_origin(url)
        return response

    def verify_login(self) -> None:
        self._call(self._log_in())

    def what_the_site_sees(self) -> dict[str, Any]:
        """The club's login page, opened without logging in: what its scripts can read
        of this browser, and whether its reCAPTCHA loaded, with the key it found."""
        return self._call(self._seen(), pages=1)

    async def _seen(self) -> dict[str, Any]:
        await self._goto("/auth")
        with contextlib.suppress(Exception):  # a page's scripts may load after the DOM
            await self._page.wait_for_load_state("load", timeout=self._page_ms)
        return {**await self._page.evaluate(_SEEN_JS),
                "accept_language": self._browser_headers.get("accept-language")}

    async def _log_in(self) -> None:
        """Fill the login form; the page is never captured while it holds the password."""
        if self._logged_in:
            return
        if self.login is None:
            raise LoginRefused(f"no account to log in to {self.club.name} with")
        from playwright.async_api import Error, TimeoutError

        page = await self._start()
        await self._goto("/auth")  # OffOrigin unless on the club's or its member site's
        form = _page_address(page.url)
        try:
            await page_input.type_text(page, "input[name=username]", self.login.username)
            await page_input.type_text(page, "input[name=password]",
                                       self.login.password.reveal())
            async with page.expect_navigation(wait_until="domcontentloaded",
                                              timeout=SUBMIT_PAGES * self._page_ms
                                              ) as navigation:
                await page.keyboard.press("Enter")  # in the password field, as a player
            response = await navigation.value
        except (TimeoutError, Error, page_input.NotTyped) as exc:
            await self._clear_password()
            self._stay_on_origin()
            raise AttemptFailed(Outcome(
                OutcomeKind.TRANSIENT, message=f"logging in failed: {_first_line(exc)}"
            )) from None
        self._stay_on_origin()
        if response is not None and response.status >= 500:
            await self._clear_password()
            raise AttemptFailed(Outcome(
                OutcomeKind.TRANSIENT,
                message=f"the site answered HTTP {response.status} to the login",
            ))
        if _page_address(page.url) == form:
            reason = await self._page_message() or "it stayed on the login page"
            await self._clear_password()
            raise LoginRefused(
                f"{self.club.name} refused the login of {self.login.username} ({reason}); "
                f"run 'gametime login --club {self.club.name} --username {self.login.username}'",
                reason,
            )
        self._logged_in = True

    async def _clear_password(self) -> None:
        with contextlib.suppress(Exception):
            if self._page is not None and self._on_login_page():
                await self._page.fill("input[name=password]", "", timeout=1000)

    async def _page_text(self) -> str:
        try:
            return " ".join((await self._page.locator("body").inner_text(timeout=1000)).split())
        except Exception:
            return ""

    async def _page_message(self, html: str | None = None) -> str:
        """The page's own error text, or its first words: of the page shown, or of the
        HTML of an answer the session fetched."""
        try:
            return str(await self._page.evaluate(_MESSAGE_JS, html))
        except Exception:
            return ""

    # -- the day's courts --------------------------------------------------------------

    def day_courts(self, day: date) -> list[CourtDay]:
        return self._call(self._day_courts(day))

    async def _day_courts(self, day: date) -> list[CourtDay]:
        await self._log_in()
        data = await self._day_json(day)
        if data is None:  # the session ran out: log in again, once
            self._logged_in = False
            await self._log_in()
            data = await self._day_json(day)
        try:
            courts = [
                CourtDay(
                    number=int(entry["mn"]),
                    court_id=int(entry["i"]),
                    name=str(entry.get("n", f"Court {entry['mn']}")),
                    bookings=[
                        SiteBooking(
                            start=int(b["t"]), duration=int(b["d"]),
                            booking_id=str(b.get("bkId", "")),
                            players=[(str(p.get("n", "")), p.get("u")) for p in b.get("p", [])],
                        )
                        for b in entry.get("b", [])
                    ],
                )
                for entry in (data or {})["e"]
            ]
        except (KeyError, TypeError, ValueError):
            raise AttemptFailed(Outcome(
                OutcomeKind.TRANSIENT, message="the day's court data had an unexpected shape"
            )) from None
        self._courts = {c.number: c for c in courts}
        self._courts_day = day
        slots = _slot_times((data or {}).get("t"))
        if slots and any(b.start not in slots for c in courts for b in c.bookings):
            slots = None  # not minutes since midnight, as the bookings' are: not trusted
        self._learn(ClubOffer(courts={c.number: c.court_id for c in courts}, slots=slots,
                              read_at=utcnow()))
        return sorted(courts, key=lambda c: c.number)

    def _learn(self, seen: ClubOffer) -> None:
        self.offer = seen if self.offer is None else self.offer.learnt(seen)

    async def _day_json(self, day: date) -> dict[str, Any] | None:
        url = (f"{self.base}/scheduling/index/jsoncourtdata/sport/{self.club.sport}"
               f"/date/{day.isoformat()}")
        response = await self._fetch(url, {"X-Requested-With": "XMLHttpRequest"})
        if response is None:
            return None  # the session ran out
        self._no_server_error(response.status)
        if response.status in (401, 403) or 300 <= response.status < 400:
            return None
        try:
            return await response.json()
        except Exception:
            return None

    # -- the opening ---------------------------------------------------------------------

    def prepare(self, day: date, before: float | None = None) -> None:
        """Log in, read the day's courts, measure the site's clock and the path to it;
        the measuring ends before `before` (an instant by the site's clock) if given. A
        driver already prepared for that day (the account's earlier booking at the same
        opening) keeps what it has: it must not fall behind measuring again."""
        from gametime_cli.site_clock import send_ahead, site_clock

        fresh = time.monotonic() - self._measured_at < CLOCK_FRESH_SECONDS
        if self._courts_day != day or not fresh:
            self.day_courts(day)
        if fresh:
            return
        try:
            estimate = site_clock(self.base, self.options.navigation_timeout, before,
                                  headers=self._browser_headers)
        except OSError as exc:
            raise AttemptFailed(Outcome(
                OutcomeKind.TRANSIENT,
                message=f"could not read the site's clock: {_first_line(exc)}")) from None
        self.clock_offset = estimate.offset
        self.send_ahead = send_ahead(estimate, SHOT_DELAY)
        self._measured_at = time.monotonic()

    def ready_to_fire(self) -> None:
        """Open a fresh connection for the opening's request (TCP, and TLS on https), so
        that firing is one write."""
        self._call(self._ready_shot(), pages=1)

    async def _ready_shot(self) -> None:
        if self._shot is not None:
            self._shot.close()
        self._shot = None
        await self._connect_shot()

    async def _connect_shot(self) -> Connection:
        """The connection for the opening's request, open."""
        if self._shot is None:
            self._shot = Connection(self.origin, self.options.navigation_timeout)
        try:
            await self._shot.connect()
        except ShotFailed as exc:
            raise AttemptFailed(Outcome(OutcomeKind.TRANSIENT,
                                        message=f"could not reach the site: {exc}")) from None
        return self._shot

    # -- booking ----------------------------------------------------------------------

    def window_open(self, request: SlotRequest) -> bool | None:
        """One request for a free court's form, ahead of the opening: is the window
        already open (True: the form came, and holds the slot), not yet (False), or
        can't tell (None)?"""
        if self._courts_day != request.day:
            return None
        for number in choose_courts(sorted(self._courts.values(), key=lambda c: c.number),
                                    request):
            known = self._courts.get(number)
            if known is not None and known.free(request.minutes, request.duration):
                return self._call(self._probe(request, known), pages=2)
        return None

    def _book_path(self, request: SlotRequest, known: CourtDay) -> str:
        """The booking form's address for the slot on this court (the date not padded)."""
        day = request.day
        return (f"/scheduling/index/book/sport/{self.club.sport}/court/{known.court_id}"
                f"/date/{day.year}-{day.month}-{day.day}/time/{request.minutes}")

    async def _probe(self, request: SlotRequest, known: CourtDay) -> bool | None:
        try:
            await self._goto(self._book_path(request, known))
            if "/bookerror" in self._path():
                self._too_early_at = epoch()
                return False
            return bool(await self._page.locator("input[name=temp]").count()) or None
        except Exception:  # a probe that fails tells nothing; firing goes on as planned
            return None



    def candidate_courts(self, request: SlotRequest) -> list[int]:
        """At the opening, the courts read while preparing; otherwise read afresh."""
        if request.too_early_until is not None and self._courts_day == request.day:
            courts = sorted(self._courts.values(), key=lambda c: c.number)
        else:
            courts = self.day_courts(request.day)
        return choose_courts(courts, request)

    def book_court(self, request: SlotRequest, court: int) -> Outcome:
        """Hold the slot with the booking form, then (the executor agreeing) submit it."""
        known = self._courts.get(court)
        if known is None:
            return Outcome(OutcomeKind.TAKEN, court, message=f"the club has no court {court}")
        if not known.free(request.minutes, request.duration):
            return Outcome(OutcomeKind.TAKEN, court, message=f"court {court} is booked then")
        request.holding(court)
        too_early = max(0.0, (request.too_early_until or 0.0) - epoch())
        held = self._call(self._hold(request, court, known), pages=3, extra=too_early)
        if held is not None:
            return held
        return self._save(request, court, known)

    def _save(self, request: SlotRequest, court: int, known: CourtDay) -> Outcome:
        """Send the filled form the `submit` way. A save the site refuses as not from a
        player ("could not validate") is sent once more the other way, on the same
        hold, once the site shows it booked nothing; refused again, the booking fails
        with the site's words and what to try."""
        first = self.submit
        sent = self._send(request, court, first)
        if not isinstance(sent, _Refusal):
            return sent
        try:
            found = self._call(self._find_own(request, court), pages=2)
        except AttemptFailed as failed:
            return Outcome(OutcomeKind.UNCHECKED, court, message=(
                f"{self.club.name} refused the booking ({sent.words}), and the site can't "
                f"be checked now ({failed.outcome.message}); it is not sent again until "
                f"the site shows whether it went through"), artifacts=sent.artifacts)
        if found is not None:
            return found
        other = "page" if first == "post" else "post"
        log.info("booking %s: %s refused the save sent by %s (%s); sending it by %s",
                 request.booking_id, self.club.name, first, sent.words, other)
        if other == "post":  # the page has left the form: load it again (the same hold)
            held = self._call(self._hold(replace(request, fire_at=None, too_early_until=None),
                                         court, known), pages=3)
            if held is not None:
                return held
        again = self._send(request, court, other)
        if not isinstance(again, _Refusal):
            return again
        return Outcome(OutcomeKind.PERMANENT, court, message=self._refused_advice(again.words),
                       artifacts=again.artifacts or sent.artifacts)

    def _refused_advice(self, words: str) -> str:
        """The one line a player reads when the site refused both ways of sending."""
        mode = self.options.mode
        tries = []
        if mode is not BrowserMode.HEADED:
            tries.append("a browser window (gametime config set browser_mode headed; on a "
                         "server it gets an Xvfb of its own)")
        if mode is BrowserMode.LEAN:
            tries.append("the full browser (browser_mode headless)")
        other = "page" if self.submit == "post" else "post"
        tries.append(f"sending it the other way first (gametime config set submit {other})")
        return (f"{self.club.name} refused the booking from this browser, posted and by "
                f"the page's button ({words.rstrip('.')}); try {', or '.join(tries)}")

    def _send(self, request: SlotRequest, court: int, how: str) -> Outcome | _Refusal:
        """One save of the filled form, fenced: posted, or by the page's button."""
        if how == "post":
            gathered = self._call(self._gather(), pages=1)
            if gathered.problem is None:
                request.submitting(court)
                return self._call(self._post(request, court, gathered), pages=2)
            log.info("booking %s: %s; pressing the page's button instead",
                     request.booking_id, gathered.problem)
        point = self._call(self._submit_point(BOOKING_FORM), pages=1)
        request.submitting(court)
        return self._call(self._submit(request, court, point), pages=SUBMIT_PAGES)

    async def _hold(self, request: SlotRequest, court: int, known: CourtDay) -> Outcome | None:
        """Load the booking form (the site's hold) and fill it: None when it is ready
        to submit, else what stopped it."""
        from playwright.async_api import Error, TimeoutError

        path = self._book_path(request, known)
        try:
            if request.too_early_until is not None:
                shot, cookie = await self._connect_shot(), await self._cookie_for(path)
            if request.fire_at is not None:
                await wait_until_async(request.fire_at)
            if request.too_early_until is not None:
                if not await self._load_at_opening(shot, cookie, path,
                                                   request.too_early_until):
                    return Outcome(OutcomeKind.NOT_OPEN, court, message=NOT_OPEN_YET)
            else:
                await self._goto(path)
            if self._on_login_page():  # the session ran out
                self._logged_in = False
                await self._log_in()
                await self._goto(path)
            if "/bookerror" in self._path():
                self._too_early_at = epoch()
            elif self._too_early_at is not None and self.opened_between is None:
                self.opened_between = (self._too_early_at, epoch())
            return await self._fill_form(request, court)
        except AttemptFailed as failed:
            return await self._with_artifacts(request, court, failed.outcome)
        except (TimeoutError, Error) as exc:
            return await self._browser_failure(
                request, court, exc, f"the booking page did not respond within "
                                     f"{self.options.action_timeout:g} s")

    async def _cookie_for(self, path: str) -> str:
        """The session's Cookie header for a page of the club's site."""
        cookies = await self._context.cookies(self.base + path)
        return "; ".join(f"{c['name']}={c['value']}" for c in cookies)

    async def _load_at_opening(self, shot: Connection, cookie: str, path: str,
                               until: float) -> bool:
        """Ask for the form at the opening, on the connection opened for it, with the
        headers the browser sends for a page; then show the page the answer. While the
        site says too early (its redirect to the 'too early' page is answer enough:
        that page isn't fetched), ask again at once (a request fired a hair early by its
        clock misses by a round trip), then after 10, 20, 40 ms … up to
        `FIRE_RETRY_INTERVAL`, until `until` (local epoch). False if it never opened."""
        url = self.base + path
        headers = self._navigation_headers or list(self._browser_headers.items())
        misses = 0
        while True:
            try:
                answer = await shot.get(path, headers, cookie)
            except ShotFailed as exc:
                raise AttemptFailed(Outcome(OutcomeKind.TRANSIENT,
                                            message=f"could not reach the site: {exc}")) from None
            location = answer.header("location")
            if not (300 <= answer.status < 400 and location
                    and path_of(urljoin(url, location)) == BOOKERROR_PATH):
                self._guard.serve(url, answer.status, answer.for_the_page(), answer.body)
                await self._goto(path)
                return True
            self._too_early_at = epoch()
            misses += 1
            pause = 0.0 if misses == 1 else min(FIRE_RETRY_INTERVAL, 0.01 * 2 ** (misses - 2))
            if epoch() + pause >= until:
                return False
            if pause:
                await asyncio.sleep(pause)

    async def _fill_form(self, request: SlotRequest, court: int) -> Outcome | None:
        page = self._page
        if "/bookerror" in self._path():
            return Outcome(OutcomeKind.NOT_OPEN, court, message=NOT_OPEN_YET)
        form = await page.evaluate(_READ_FORM_JS)
        if not form.get("held"):
            text = await self._page_message()
            whole = (await self._page_text()).lower()
            if any(word in whole for word in HELD_WORDS):
                return Outcome(OutcomeKind.HELD, court,
                               message=f"court {court} is held by another member")
            if any(word in text.lower() for word in TAKEN_WORDS):
                return Outcome(OutcomeKind.TAKEN, court, message=f"court {court}: {text}")
            if self._status == 404:  # no such booking page: asking again won't make one
                return Outcome(OutcomeKind.PERMANENT, court, message=(
                    f"{self.club.name} has no booking page for court {court} at "
                    f"{request.time.strftime('%H:%M')} (HTTP 404: not one of its slots?)"
                    + (f": {text}" if text else "")))
            return await self._with_artifacts(request, court, Outcome(
                OutcomeKind.TRANSIENT, court,
                message=f"the booking form did not appear ({text or self._path()})",
            ))
        if str(form.get("userId") or "").isdigit():
            self.user_id = int(form["userId"])
        rtype, problem = self._choose_type(request, form.get("types") or [])
        if problem:
            return await self._with_artifacts(
                request, court, Outcome(OutcomeKind.PERMANENT, court, message=problem))
        duration, problem = _choose_duration(request.duration, form.get("durations"))
        if problem and rtype is not None:
            # A page may list its durations only once a type is chosen: choose, look again.
            await page_input.press_radio(page, _radio(rtype))
            form = await page.evaluate(_READ_FORM_JS)
            duration, problem = _choose_duration(request.duration, form.get("durations"))
        offered = _offered_minutes(form.get("durations"))
        if offered:
            self._learn(ClubOffer(durations={request.booking_type: offered}))
        if problem and offered:  # the club doesn't offer it: no use trying again
            await self._leave_form()
            return Outcome(OutcomeKind.PERMANENT, court, message=duration_problem(
                self.offer or ClubOffer(), self.club.name, request.duration,
                request.booking_type) or problem)
        if problem:
            return await self._with_artifacts(
                request, court, Outcome(OutcomeKind.PERMANENT, court, message=problem))
        try:
            await self._fill(request, rtype, duration, form.get("partners") or [])
        except page_input.NotTyped as exc:
            return await self._with_artifacts(request, court, Outcome(
                OutcomeKind.TRANSIENT, court, message=f"the booking form would not take "
                                                      f"the booking: {exc}"))
        return None

    async def _fill(self, request: SlotRequest, rtype: str | None, duration: str | None,
                    partner_rows: list[int]) -> None:
        """Type, partners and duration, by the keyboard, as a player fills them in; the
        duration once the page has enabled it (it does so when a type is chosen)."""
        page = self._page
        if rtype is not None:
            await page_input.press_radio(page, _radio(rtype))
        for row, name in zip(partner_rows, request.partners[:3], strict=False):
            await page_input.type_text(page, f'input[name="players[{row}][name]"]', name)
        if duration is not None:
            await page_input.choose_option(page, DURATION, duration,
                                           self.options.action_timeout)

    async def _leave_form(self) -> None:
        """Leave a booking form unsent, for the member's home page: the hold goes unused
        (how GameTime gives one up early isn't recorded; unused, it lapses)."""
        with contextlib.suppress(AttemptFailed):
            await self._goto("/")

    def _choose_type(self, request: SlotRequest,
                     types: list[dict[str, str]]) -> tuple[str | None, str | None]:
        """The booking type's radio value: the club's configured value, else the radio
        whose label names it (Singles, Doubles); else what went wrong."""
        wanted = request.booking_type
        if not types:
            return None, None
        configured = self.types.get(wanted)
        if configured is not None:
            if any(t["value"] == str(configured) for t in types):
                return str(configured), None
            return None, (f"the booking form has no type {configured} ({wanted}, from the "
                          f"club settings)")
        for radio in types:
            if wanted in " ".join(radio["label"].split()).lower():
                return radio["value"], None
        if len(types) == 1:
            return types[0]["value"], None
        labels = [" ".join(t["label"].split()) or t["value"] or "?" for t in types]
        return None, (f"the booking form offers no {wanted} type (it offers: "
                      f"{', '.join(labels)}); set one with 'gametime club add … "
                      f"--booking-type {wanted}=ID'")

    async def _submit_point(self, form: str) -> dict[str, float] | None:
        """Where a click on the submit button of the first form matching `form` lands
        (measured ahead of the click, so the click itself costs a few ms)."""
        return await page_input.click_point(self._page, f"{form} {SUBMIT_BUTTON}")

    async def _press_submit(self, form: str, point: dict[str, float] | None) -> Any:
        """Click the submit button of the first form matching `form` with the mouse, so
        the page's own handlers run on a trusted click (reCAPTCHA's token), and wait for
        the page it leads to (`SUBMIT_PAGES` answers); returns that page's response.
        Without a measured `point` (something covered the button), Playwright finds
        the button and waits until it can be clicked."""
        async with self._page.expect_navigation(wait_until="domcontentloaded",
                                                timeout=SUBMIT_PAGES * self._page_ms
                                                ) as navigation:
            if point is not None:
                await page_input.click_at(self._page, point)
            else:
                await self._page.locator(f"{form} {SUBMIT_BUTTON}").first.click()
        response = await navigation.value
        self._stay_on_origin()
        return response

    async def _submit(self, request: SlotRequest, court: int,
                      point: dict[str, float] | None) -> Outcome | _Refusal:
        """Press the page's own submit button (its scripts, reCAPTCHA's, run)."""
        from playwright.async_api import Error, TimeoutError

        page = self._page
        try:
            response = await self._press_submit(BOOKING_FORM, point)
        except (TimeoutError, Error) as exc:
            self._stay_on_origin()
            return await self._browser_failure(
                request, court, exc, f"the site did not answer the booking within "
                                     f"{SUBMIT_PAGES * self.options.navigation_timeout:g} s")
        found = CONFIRMATION.search(page.url)
        if found:
            return Outcome(OutcomeKind.CONFIRMED, court, confirmation=found.group(1))
        status = response.status if response is not None else 0
        return await self._answered(request, court, status, await self._page_message())

    async def _gather(self) -> GatheredForm:
        """A fresh token from the page's reCAPTCHA, and the form's fields to post."""
        from playwright.async_api import Error

        try:
            found = await self._page.evaluate(
                GATHER_JS, [BOOKING_FORM, self.options.navigation_timeout * 1000])
        except Error as exc:
            return GatheredForm([], "", "get", None, None, f"the page failed: {_first_line(exc)}")
        return GatheredForm.from_page(found)

    async def _post(self, request: SlotRequest, court: int,
                    form: GatheredForm) -> Outcome | _Refusal:
        """Post the form's fields from the session, as the page would; the answer's
        redirect is read, not followed."""
        from playwright.async_api import Error, TimeoutError

        target = urljoin(self._page.url, form.target or self._page.url)
        if origin_of(target) != self.origin:
            self._off_origin(target)
        headers, body = save_request(form, self._browser_headers, str(self.origin),
                                     self._page.url)
        try:
            response = await self._context.request.post(
                target, headers=headers, data=body, max_redirects=0,
                timeout=SUBMIT_PAGES * self._page_ms)
        except (TimeoutError, Error) as exc:
            return await self._browser_failure(
                request, court, exc, f"the site did not answer the booking within "
                                     f"{SUBMIT_PAGES * self.options.navigation_timeout:g} s")
        location = urljoin(target, response.headers.get("location", ""))
        found = CONFIRMATION.search(location) if 300 <= response.status < 400 else None
        if found:
            return Outcome(OutcomeKind.CONFIRMED, court, confirmation=found.group(1))
        html = ""
        try:
            if 300 <= response.status < 400 and location:
                landed = await self._fetch(location)
                html = await landed.text() if landed is not None else ""
            else:
                html = await response.text()
        except (AttemptFailed, Error):
            pass
        reason = await self._page_message(html) if html else f"HTTP {response.status}"
        return await self._answered(request, court, response.status, reason, html)

    async def _answered(self, request: SlotRequest, court: int, status: int, reason: str,
                        html: str | None = None) -> Outcome | _Refusal:
        """What a save's answer that is no confirmation means, by its status and words."""
        lowered = reason.lower()
        if status >= 500:
            outcome = Outcome(OutcomeKind.TRANSIENT, court,
                              message=f"the site answered HTTP {status} to the booking")
        elif any(word in lowered for word in REFUSED_WORDS):
            kept = await self._with_artifacts(request, court, Outcome(
                OutcomeKind.PERMANENT, court, message=reason), html)
            return _Refusal(reason, kept.artifacts)
        elif any(word in lowered for word in (*HELD_WORDS, *TAKEN_WORDS)):
            outcome = Outcome(OutcomeKind.TAKEN, court, message=f"court {court}: {reason}")
        else:
            outcome = Outcome(OutcomeKind.TRANSIENT, court,
                              message=f"the site did not confirm: {reason or self._page.url}")
        return await self._with_artifacts(request, court, outcome, html)

    async def _find_own(self, request: SlotRequest, court: int) -> Outcome | None:
        """After a refused save, before the next: does the site hold the booking for
        this member all the same? By the member's id in the day's JSON, else by the ids
        of the member's upcoming bookings. Read by the session, leaving the page as it
        is (the form stays filled for the page's own button)."""
        courts = await self._day_courts(request.day)
        mine = None if self.user_id is not None else await self._my_booking_ids()
        for known in courts:
            if known.number != court:
                continue
            for held in known.bookings:
                ours = (any(u == self.user_id for _, u in held.players)
                        if self.user_id is not None else held.booking_id in (mine or set()))
                if held.start == request.minutes and ours:
                    return Outcome(OutcomeKind.CONFIRMED, court, confirmation=held.booking_id,
                                   reconciled=True)
        return None

    # -- the member's own bookings --------------------------------------------------------

    def my_booking_ids(self) -> set[str]:
        """The ids of the member's upcoming bookings, from the home page's rows and
        cancel links (the wording of their dates is the club's, and not read)."""
        return self._call(self._my_booking_ids(), pages=2)

    async def _my_booking_ids(self) -> set[str]:
        """Read by the session, the page left as it is."""
        from playwright.async_api import Error

        await self._log_in()
        response = await self._fetch(self.base + "/")
        if response is None:  # the session ran out
            self._logged_in = False
            await self._log_in()
            response = await self._fetch(self.base + "/")
        unread = "the site kept sending the member to its login page"
        if response is not None:
            self._no_server_error(response.status)
            try:
                return {str(value) for value in await self._page.evaluate(
                    _MY_BOOKINGS_JS, await response.text())}
            except Error as exc:
                unread = _first_line(exc)
        raise AttemptFailed(Outcome(OutcomeKind.TRANSIENT,
                                    message=f"could not read the member's bookings: {unread}"))

    # -- cancelling ---------------------------------------------------------------------

    def cancel_booking(self, day: date, confirmation: str) -> bool:
        """Cancel one of the member's bookings as a player does: its cancel link on the
        home page, then the confirmation step; then check the day's JSON no longer has
        it. False if the site had no such booking any more (cancelled by hand)."""
        return self._call(self._cancel(day, confirmation), pages=6)

    async def _cancel(self, day: date, confirmation: str) -> bool:
        from playwright.async_api import Error, TimeoutError

        await self._log_in()
        await self._goto("/")
        page = self._page
        link = None
        links = page.locator("a[href]")
        for index in range(await links.count()):
            candidate = links.nth(index)
            href = await candidate.get_attribute("href") or ""
            text = (await candidate.inner_text()).lower()
            if "cancel" in (text + href.lower()) and re.search(
                    rf"(?<![0-9A-Za-z]){re.escape(confirmation)}(?![0-9A-Za-z])", href):
                link = candidate
                break
        if link is None:
            if not self._still_listed(await self._day_courts(day), confirmation):
                return False
            raise AttemptFailed(Outcome(
                OutcomeKind.PERMANENT,
                message=f"the site lists booking {confirmation} but shows no cancel link for it",
            ))
        try:
            async with page.expect_navigation(wait_until="domcontentloaded"):
                await link.click(timeout=self._page_ms)
            self._stay_on_origin()
            if self._path() != "/":  # the confirmation step
                form = "form[method=post i]"
                response = await self._press_submit(form, await self._submit_point(form))
                self._no_server_error(response.status if response is not None else None)
        except (TimeoutError, Error) as exc:
            self._stay_on_origin()
            raise AttemptFailed(Outcome(
                OutcomeKind.TRANSIENT, message=f"cancelling failed: {_first_line(exc)}"
            )) from None
        if self._still_listed(await self._day_courts(day), confirmation):
            raise AttemptFailed(Outcome(
                OutcomeKind.TRANSIENT,
                message=f"the site still lists booking {confirmation} after cancelling it",
            ))
        return True

    @staticmethod
    def _still_listed(courts: list[CourtDay], confirmation: str) -> bool:
        return any(b.booking_id == confirmation for c in courts for b in c.bookings)

    # -- evidence of failures ---------------------------------------------------------

    async def _browser_failure(self, request: SlotRequest, court: int, exc: Exception,
                               timed_out: str) -> Outcome:
        """A Playwright timeout (said as `timed_out`) or error: transient, with evidence."""
        from playwright.async_api import TimeoutError

        message = timed_out if isinstance(exc, TimeoutError) else (
            f"browser error: {_first_line(exc)}")
        return await self._with_artifacts(
            request, court, Outcome(OutcomeKind.TRANSIENT, court, message=message))

    async def _with_artifacts(self, request: SlotRequest, court: int,
                              outcome: Outcome, html: str | None = None) -> Outcome:
        """Keep a screenshot and the HTML of the page a failure landed on, or of the
        answer `html` the session fetched (never the login page, which may hold the
        password)."""
        page = self._page
        if page is None or self._on_login_page() or outcome.artifacts:
            return outcome
        stem = (f"booking-{request.booking_id}-attempt-{request.attempt}-court-{court}-"
                f"{time.strftime('%Y%m%dT%H%M%S')}")
        try:
            paths.ensure_private_dir(self.artifacts_dir)
            html_path = self.artifacts_dir / f"{stem}.html"
            png_path = self.artifacts_dir / f"{stem}.png"
            paths.write_private(html_path, (html or await page.content()).encode("utf-8"))
            paths.write_private(png_path, await page.screenshot(full_page=True, timeout=5000))
        except Exception:
            return outcome
        return Outcome(outcome.kind, outcome.court, outcome.confirmation, outcome.message,
                       (str(png_path), str(html_path)))

    def close(self) -> None:
        """Close this account's context; the run's browser stays for the others."""
        context, shot = self._context, self._shot
        self._context = self._page = self._shot = None
        self._logged_in = False
        if shot is not None and self.host.started:
            with contextlib.suppress(Exception):
                self.host.run(_closed(shot), 5)  # its streams belong to the browser's loop
        if context is not None and self.host.started:
            with contextlib.suppress(Exception):
                self.host.run(context.close(), 15)
        if self._owns_host:
            self.host.close()


async def _closed(shot: Connection) -> None:
    shot.close()


async def _close_popup(page: Any) -> None:
    """A window a page opens is closed at once: the guard watches the driver's page only."""
    if await page.opener() is not None:
        await page.close()


def _radio(value: str) -> str:
    """The booking type's radio button with this value."""
    return f"input[name=rtype][value={json.dumps(value)}]"


def _page_address(url: str) -> tuple[Origin | None, str]:
    """A page's origin and path: where a form is, whatever its query."""
    return origin_of(url), path_of(url)


def _slot_times(listed: Any) -> tuple[int, ...] | None:
    """The JSON's optional `t`, the day's slot times, in minutes since local midnight
    as the booking URLs have them (numbers, or objects with a `t`); None if absent or
    not understood."""
    if not isinstance(listed, list) or not listed:
        return None
    found: list[int] = []
    for item in listed:
        value = item.get("t") if isinstance(item, dict) else item
        if isinstance(value, bool) or not isinstance(value, int | str):
            return None
        text = str(value).strip()
        if not text.isdigit() or not 0 <= int(text) < 24 * 60:
            return None
        found.append(int(text))
    return tuple(sorted(set(found)))


def _offered_minutes(options: list[dict[str, str]] | None) -> tuple[int, ...]:
    """The durations a form's select lists, in minutes (its placeholder left out)."""
    found = []
    for option in options or []:
        value = option["value"].strip()
        minutes = _label_minutes(option["label"]) or (int(value) if value.isdigit() else None)
        if minutes:
            found.append(minutes)
    return tuple(sorted(set(found)))


def _choose_duration(minutes: int,
                     options: list[dict[str, str]] | None) -> tuple[str | None, str | None]:
    """The duration option's value for `minutes` (by value or label), else what the
    form offers instead. A form without a duration choice needs none."""
    if options is None:
        return None, None
    for option in options:
        if option["value"] == str(minutes) or _label_minutes(option["label"]) == minutes:
            return option["value"], None
    offered = [" ".join(o["label"].split()) or o["value"] for o in options]
    return None, (f"the site offers no {minutes}-minute booking here "
                  f"(it offers: {', '.join(offered)})")


def _label_minutes(label: str) -> int | None:
    """'90 minutes' -> 90, '1.5 hours' -> 90, '1 hour' -> 60."""
    found = re.match(r"^\s*(\d+(?:\.\d+)?)\s*(min|minutes?|h|hours?|hr)\b", label.lower())
    if not found:
        return None
    amount = float(found.group(1))
    return round(amount * 60) if found.group(2).startswith("h") else round(amount)
