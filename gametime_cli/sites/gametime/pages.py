"""The club's pages and origins: one account's browser context and page, loading pages
and fetching by the session, kept on the club's origins, and the evidence a failure
leaves. The other steps of the driver build on this class."""

from __future__ import annotations

import contextlib
import logging
import math
from collections.abc import Coroutine, Iterator
from datetime import date
from pathlib import Path
from typing import Any, NoReturn, TypeVar
from urllib.parse import urljoin

from gametime_cli.booking.offer import ClubOffer
from gametime_cli.errors import EnvironmentProblem
from gametime_cli.models import Club
from gametime_cli.sites.base import (
    AttemptFailed,
    CourtDay,
    Login,
    OffOrigin,
    Outcome,
    OutcomeKind,
)
from gametime_cli.sites.browser import BrowserHost, BrowserStalled
from gametime_cli.sites.form_post import browser_headers
from gametime_cli.sites.gametime.page_requests import PageRequests
from gametime_cli.sites.gametime.page_scripts import PageScripts
from gametime_cli.sites.guard import OriginGuard
from gametime_cli.sites.http_shot import Connection
from gametime_cli.sites.origins import Origin, is_loopback, origin_of, path_of

log = logging.getLogger("gametime")
T = TypeVar("T")
MAX_REDIRECTS = 5
"""Hops the day's JSON may be redirected through on the club's origin."""
SUBMIT_PAGES = 3
"""Answers a form's submit may wait for, each up to the navigation timeout: a request
of the page's own first (reCAPTCHA's token), the post, and the page it redirects to
(at login, a member site's ticket, then the home page)."""
SUBMIT_MODES = ("post", "page")
BOOKERROR_PATH = "/scheduling/index/bookerror"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__


class ClubPages:
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
        self._requests: PageRequests | None = None
        """The page's own background requests: the hold's updates among them."""
        self._scripts: PageScripts = PageScripts.none()
        """The scripts the page loaded from their own addresses."""
        self._guard = OriginGuard((o for o in (self.origin, self.login_origin) if o),
                                  [login.password.reveal()] if login is not None else [])
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

    def _budget(self, pages: int = 4, extra: float = 0.0) -> float:
        """How long one step may take in all: `pages` page loads and their actions."""
        return pages * (self.options.navigation_timeout + self.options.action_timeout) + extra + 10

    def _call(self, work: Coroutine[Any, Any, T], pages: int = 4, extra: float = 0.0) -> T:
        try:
            return self.host.run(work, self._budget(pages, extra))
        except BrowserStalled as stalled:
            raise AttemptFailed(Outcome(OutcomeKind.TRANSIENT, message=str(stalled))) from None

    async def _start(self) -> Any:
        if self._page is None:
            context = await self.host.new_context(self.club.timezone)
            self._context = context
            if is_loopback(self.origin.host):
                # A club on this machine (the sandbox) whose pages load from other local
                # addresses: what a player allows once when the browser asks. A page the
                # driver shows from the session's own answer (the form at the opening)
                # counts as a public one, and needs it for them.
                await context.grant_permissions(["local-network-access"],
                                                origin=str(self.origin))
            context.on("page", _close_popup)
            page = await context.new_page()
            await self._guard.attach(context, page)
            self._requests = PageRequests(page)
            self._scripts = PageScripts(page)
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


def _page_address(url: str) -> tuple[Origin | None, str]:
    """A page's origin and path: where a form is, whatever its query."""
    return origin_of(url), path_of(url)
