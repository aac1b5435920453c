"""Aiming at the opening: the site's clock and the path to it measured, a connection
opened beforehand, the form asked for on it at the instant, and asked again while the
site says too early."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import date
from urllib.parse import urljoin

from gametime_cli.clock import epoch
from gametime_cli.sites.base import (
    AttemptFailed,
    CourtDay,
    OffOrigin,
    Outcome,
    OutcomeKind,
    SlotRequest,
    choose_courts,
)
from gametime_cli.sites.gametime.day import ReadingTheDay
from gametime_cli.sites.gametime.pages import BOOKERROR_PATH, _first_line
from gametime_cli.sites.gametime.words import NOT_OPEN_YET, ErrorPage
from gametime_cli.sites.http_shot import Connection, ShotFailed
from gametime_cli.sites.origins import path_of

log = logging.getLogger("gametime")
FIRE_RETRY_INTERVAL = 0.1
"""The longest pause between asking again for a form the site says is too early: the
first retry goes at once, later ones after 10, 20, 40 ms and so on up to this."""
CLOCK_FRESH_SECONDS = 600.0
"""A measurement of the site's clock is trusted this long."""
SHOT_DELAY = 0.0002
"""From the firing instant to the opening's request leaving: a write on a connection
opened beforehand."""


class Aiming(ReadingTheDay):
    def prepare(self, day: date, before: float | None = None) -> None:
        """Log in, read the day's courts, measure the site's clock and the path to it;
        the measuring ends before `before` (an instant by the site's clock) if given. A
        driver already prepared for that day (the account's earlier booking at the same
        opening) keeps what it has: it must not fall behind measuring again."""
        from gametime_cli.sites.site_clock import send_ahead, site_clock

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
                if (await self._error_words())[0] is not ErrorPage.TOO_EARLY:
                    return None  # open, but not for this court now
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

    async def _cookie_for(self, path: str) -> str:
        """The session's Cookie header for a page of the club's site."""
        cookies = await self._context.cookies(self.base + path)
        return "; ".join(f"{c['name']}={c['value']}" for c in cookies)

    async def _load_at_opening(self, shot: Connection, cookie: str, path: str,
                               until: float, court: int) -> Outcome | None:
        """Ask for the form at the opening, on the connection opened for it, with the
        headers the browser sends for a page; then show the page the answer (None).

        The site answers a form it won't serve with a redirect to its error page, whose
        words alone say why. Each time, the form is asked for again at once (a request
        fired a hair early by its clock misses by a round trip), then after 10, 20,
        40 ms … up to `FIRE_RETRY_INTERVAL`, until `until` (local epoch): NOT_OPEN
        then. Meanwhile the session reads the error page aside (after the 1st, 2nd, 4th
        and 8th answer, then every 8th), never delaying the asking: a court another
        member holds, or another reason, ends it a round trip later."""
        url = self.base + path
        headers = self._navigation_headers or list(self._browser_headers.items())
        misses, next_read = 0, 1
        reading: asyncio.Task[tuple[ErrorPage, str] | None] | None = None
        try:
            while True:
                try:
                    answer = await shot.get(path, headers, cookie)
                except ShotFailed as exc:
                    raise AttemptFailed(Outcome(
                        OutcomeKind.TRANSIENT, message=f"could not reach the site: {exc}"
                    )) from None
                location = answer.header("location")
                if not (300 <= answer.status < 400 and location
                        and path_of(urljoin(url, location)) == BOOKERROR_PATH):
                    self._guard.serve(url, answer.status, answer.for_the_page(), answer.body)
                    await self._goto(path)
                    return None
                self._too_early_at = epoch()
                misses += 1
                pause = 0.0 if misses == 1 else min(FIRE_RETRY_INTERVAL,
                                                    0.01 * 2 ** (misses - 2))
                if reading is None and misses >= next_read:
                    reading = asyncio.create_task(self._read_error_page())
                    next_read = misses + min(misses, 8)
                if pause:
                    await (asyncio.wait({reading}, timeout=pause) if reading is not None
                           else asyncio.sleep(pause))
                if reading is not None and reading.done():
                    said = None if reading.cancelled() or reading.exception() else (
                        reading.result())
                    reading = None
                    if said is not None and said[0] is not ErrorPage.TOO_EARLY:
                        self._too_early_at = None
                        return refused_form(said, court)
                if epoch() >= until:
                    return Outcome(OutcomeKind.NOT_OPEN, court, message=NOT_OPEN_YET)
        finally:
            if reading is not None and not reading.done():
                reading.cancel()

    async def _read_error_page(self) -> tuple[ErrorPage, str] | None:
        """The error page as the session sees it now; None if it can't be read."""
        try:
            response = await self._fetch(self.base + BOOKERROR_PATH)
            if response is None or response.status >= 400:
                return None
            return await self._error_words(await response.text())
        except (AttemptFailed, OffOrigin):
            return None
        except Exception as exc:  # a Playwright error: the asking goes on as before
            log.debug("reading the error page failed: %s", _first_line(exc))
            return None


def refused_form(said: tuple[ErrorPage, str], court: int) -> Outcome:
    """The outcome of a form the error page says the site won't serve."""
    kind, words = said
    if kind is ErrorPage.TOO_EARLY:
        return Outcome(OutcomeKind.NOT_OPEN, court, message=NOT_OPEN_YET)
    if kind is ErrorPage.HELD:
        return Outcome(OutcomeKind.HELD, court, message=f"court {court} is held by another member")
    if kind is ErrorPage.TAKEN:
        return Outcome(OutcomeKind.TAKEN, court, message=f"court {court}: {words}")
    return Outcome(OutcomeKind.PERMANENT, court,
                   message=f"the site would not serve court {court}'s booking form: "
                           f"{words or 'its error page gave no reason'}")
