"""GameTime, driven in a headless Chromium with Playwright, as a player would.

Everything here follows the recorded behaviour of the site (shared/gametime-site.md):
the login form, the day's JSON, the booking form and its hold, the page's own submit
button (so its reCAPTCHA script runs), and the confirmation redirect. Court ids,
booking types and the sport come from the site or the club's settings, never from
constants here.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from gametime_cli.browser import BrowserOptions, launch
from gametime_cli.models import Club
from gametime_cli.sites.base import (
    AttemptFailed,
    CourtDay,
    Login,
    LoginRefused,
    Outcome,
    OutcomeKind,
    SiteBooking,
    SlotRequest,
    choose_courts,
)

CONFIRMATION = re.compile(r"/scheduling/confirmation/history/sport/\d+/id/([A-Za-z0-9_-]+)")
FIRE_RETRY_INTERVAL = 0.1
CLOCK_FRESH_SECONDS = 600.0
"""A measurement of the site's clock is trusted this long."""
TAKEN_WORDS = ("another member is currently booking", "not available", "already booked")
_LABEL_JS = """el => {
  const label = el.labels && el.labels[0];
  return (label ? label.innerText : (el.parentElement ? el.parentElement.innerText : '')) || '';
}"""


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__


class GameTimeSite:
    def __init__(self, club: Club, login: Login | None, options: BrowserOptions,
                 artifacts_dir: Path):
        self.club = club
        self.base = club.url.rstrip("/")
        self.login = login
        self.options = options
        self.artifacts_dir = artifacts_dir
        self.types: dict[str, Any] = club.settings.get("booking_types", {})
        self.user_id: int | None = None
        self.clock_offset = 0.0
        self._measured_at = -math.inf
        self._courts_day: date | None = None
        self._pw: Any = None
        self._browser: Any = None
        self._context: Any = None
        self._page: Any = None
        self._logged_in = False
        self._courts: dict[int, CourtDay] = {}

    # -- browser and session ---------------------------------------------------------

    def _start(self) -> Any:
        if self._page is None:
            from playwright.sync_api import sync_playwright

            self._pw = sync_playwright().start()
            self._browser = launch(self._pw, self.options)
            self._context = self._browser.new_context()
            self._context.set_default_navigation_timeout(self.options.navigation_timeout * 1000)
            self._context.set_default_timeout(self.options.action_timeout * 1000)
            self._page = self._context.new_page()
        return self._page

    def _path(self) -> str:
        return urlsplit(self._page.url).path.rstrip("/") or "/"

    @contextlib.contextmanager
    def _reaching_the_site(self) -> Iterator[None]:
        """Timeouts and refused connections become transient AttemptFailed."""
        from playwright.sync_api import Error, TimeoutError

        try:
            yield
        except TimeoutError:
            raise AttemptFailed(Outcome(
                OutcomeKind.TRANSIENT,
                message=f"the site did not answer within {self.options.navigation_timeout:g} s",
            )) from None
        except Error as exc:
            raise AttemptFailed(Outcome(
                OutcomeKind.TRANSIENT, message=f"could not reach the site: {_first_line(exc)}"
            )) from None

    @staticmethod
    def _no_server_error(status: int | None) -> None:
        if status is not None and status >= 500:
            raise AttemptFailed(Outcome(OutcomeKind.TRANSIENT,
                                        message=f"the site answered HTTP {status}"))

    def _goto(self, path: str) -> Any:
        """Load a page; timeouts, refused connections and 5xx become AttemptFailed."""
        page = self._start()
        with self._reaching_the_site():
            response = page.goto(self.base + path, wait_until="domcontentloaded")
        self._no_server_error(response.status if response is not None else None)
        return response

    def verify_login(self) -> None:
        self._log_in()

    def _log_in(self) -> None:
        """Fill the login form; the page is never captured while it holds the password."""
        if self._logged_in:
            return
        if self.login is None:
            raise LoginRefused(f"no account to log in to {self.club.name} with")
        from playwright.sync_api import Error, TimeoutError

        page = self._start()
        self._goto("/auth")
        try:
            page.fill("input[name=username]", self.login.username)
            page.fill("input[name=password]", self.login.password.reveal())
            with page.expect_navigation(wait_until="domcontentloaded") as navigation:
                page.press("input[name=password]", "Enter")
            response = navigation.value
        except (TimeoutError, Error) as exc:
            self._clear_password()
            raise AttemptFailed(Outcome(
                OutcomeKind.TRANSIENT, message=f"logging in failed: {_first_line(exc)}"
            )) from None
        if response is not None and response.status >= 500:
            self._clear_password()
            raise AttemptFailed(Outcome(
                OutcomeKind.TRANSIENT,
                message=f"the site answered HTTP {response.status} to the login",
            ))
        if self._path() == "/auth":
            reason = self._page_message() or "it stayed on the login page"
            self._clear_password()
            raise LoginRefused(
                f"{self.club.name} refused the login of {self.login.username} ({reason}); "
                f"run 'gametime login --club {self.club.name} --username {self.login.username}'",
                reason,
            )
        self._logged_in = True

    def _clear_password(self) -> None:
        with contextlib.suppress(Exception):
            if self._page is not None and self._path() == "/auth":
                self._page.fill("input[name=password]", "", timeout=1000)

    def _page_message(self) -> str:
        """The page's own error text, or its first words."""
        page = self._page
        for selector in (".error", ".alert", ".message", "h1", "h2", "body"):
            try:
                node = page.locator(selector).first
                if node.count():
                    text = " ".join(node.inner_text(timeout=1000).split())
                    if text:
                        return text[:200]
            except Exception:
                continue
        return ""

    # -- the day's courts --------------------------------------------------------------

    def day_courts(self, day: date) -> list[CourtDay]:
        self._log_in()
        data = self._day_json(day)
        if data is None:  # the session ran out: log in again, once
            self._logged_in = False
            self._log_in()
            data = self._day_json(day)
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
        return sorted(courts, key=lambda c: c.number)

    def _day_json(self, day: date) -> dict[str, Any] | None:
        self._start()
        url = (f"{self.base}/scheduling/index/jsoncourtdata/sport/{self.club.sport}"
               f"/date/{day.isoformat()}")
        with self._reaching_the_site():
            response = self._context.request.get(
                url, headers={"X-Requested-With": "XMLHttpRequest"},
                timeout=self.options.navigation_timeout * 1000,
            )
        self._no_server_error(response.status)
        if urlsplit(response.url).path.rstrip("/") == "/auth" or response.status in (401, 403):
            return None
        try:
            return response.json()
        except Exception:
            return None

    # -- the opening ---------------------------------------------------------------------

    def prepare(self, day: date) -> None:
        """Log in, read the day's courts and measure the site's clock, ahead of firing.
        A driver already prepared for that day (the account's earlier booking at the
        same opening) keeps what it has: it must not fall behind measuring again."""
        from gametime_cli.timing import DateProbe, measure_offset

        fresh = time.monotonic() - self._measured_at < CLOCK_FRESH_SECONDS
        if self._courts_day != day or not fresh:
            self.day_courts(day)
        if not fresh:
            probe = DateProbe(self.base, self.options.navigation_timeout)
            try:
                estimate = measure_offset(probe)
            except OSError as exc:
                raise AttemptFailed(Outcome(
                    OutcomeKind.TRANSIENT,
                    message=f"could not read the site's clock: {_first_line(exc)}")) from None
            finally:
                probe.close()
            # Err late by the estimate's own uncertainty: a request that arrives early
            # costs a 100 ms retry, one that arrives a few ms late costs those ms.
            self.clock_offset = estimate.offset - estimate.uncertainty
            self._measured_at = time.monotonic()

    # -- booking ----------------------------------------------------------------------

    def candidate_courts(self, request: SlotRequest) -> list[int]:
        """At the opening, the courts read while preparing; otherwise read afresh."""
        if request.too_early_until is not None and self._courts_day == request.day:
            courts = sorted(self._courts.values(), key=lambda c: c.number)
        else:
            courts = self.day_courts(request.day)
        return choose_courts(courts, request)

    def book_court(self, request: SlotRequest, court: int) -> Outcome:
        from playwright.sync_api import Error, TimeoutError

        known = self._courts.get(court)
        if known is None:
            return Outcome(OutcomeKind.TAKEN, court, message=f"the club has no court {court}")
        if not known.free(request.minutes, request.duration):
            return Outcome(OutcomeKind.TAKEN, court, message=f"court {court} is booked then")
        day = request.day
        path = (f"/scheduling/index/book/sport/{self.club.sport}/court/{known.court_id}"
                f"/date/{day.year}-{day.month}-{day.day}/time/{request.minutes}")
        try:
            self._goto(path)
            if self._path() == "/auth":  # the session ran out
                self._logged_in = False
                self._log_in()
                self._goto(path)
            while ("/bookerror" in self._path() and request.too_early_until is not None
                   and time.time() + FIRE_RETRY_INTERVAL < request.too_early_until):
                time.sleep(FIRE_RETRY_INTERVAL)  # fired a hair early by the site's clock
                self._goto(path)
            return self._complete_form(request, court)
        except AttemptFailed as failed:
            return self._with_artifacts(request, court, failed.outcome)
        except TimeoutError:
            return self._with_artifacts(request, court, Outcome(
                OutcomeKind.TRANSIENT, court,
                message=f"the booking page did not respond within "
                        f"{self.options.action_timeout:g} s",
            ))
        except Error as exc:
            return self._with_artifacts(request, court, Outcome(
                OutcomeKind.TRANSIENT, court, message=f"browser error: {_first_line(exc)}"
            ))

    def _complete_form(self, request: SlotRequest, court: int) -> Outcome:
        page = self._page
        if "/bookerror" in self._path():
            return Outcome(OutcomeKind.NOT_OPEN, court,
                           message="the site says booking for that day hasn't opened yet")
        if not page.locator("input[name=temp]").count():
            text = self._page_message()
            if any(word in text.lower() for word in TAKEN_WORDS):
                return Outcome(OutcomeKind.TAKEN, court, message=f"court {court}: {text}")
            return self._with_artifacts(request, court, Outcome(
                OutcomeKind.TRANSIENT, court,
                message=f"the booking form did not appear ({text or self._path()})",
            ))
        self._note_user_id()
        problem = self._choose_type(request) or self._choose_duration(request.duration)
        if problem:
            return self._with_artifacts(request, court,
                                        Outcome(OutcomeKind.PERMANENT, court, message=problem))
        for number, partner in enumerate(request.partners[:3], start=2):
            field = page.locator(f'input[name="players[{number}][name]"]')
            if field.count():
                field.fill(partner)
        return self._submit(request, court)

    def _note_user_id(self) -> None:
        field = self._page.locator('input[name="players[1][user_id]"]')
        if field.count():
            value = field.input_value()
            if value.isdigit():
                self.user_id = int(value)

    def _choose_type(self, request: SlotRequest) -> str | None:
        """Tick the booking type: the club's configured value, else the radio whose
        label names it (Singles, Doubles)."""
        page = self._page
        wanted = request.booking_type
        radios = page.locator("input[name=rtype]")
        if not radios.count():
            return None
        configured = self.types.get(wanted)
        if configured is not None:
            radio = page.locator(f'input[name=rtype][value="{configured}"]')
            if radio.count():
                radio.first.check()
                return None
            return f"the booking form has no type {configured} ({wanted}, from the club settings)"
        labels = []
        for index in range(radios.count()):
            radio = radios.nth(index)
            label = " ".join(str(radio.evaluate(_LABEL_JS)).split())
            labels.append(label or radio.get_attribute("value") or "?")
            if wanted in label.lower():
                radio.check()
                return None
        if radios.count() == 1:
            radios.first.check()
            return None
        return (f"the booking form offers no {wanted} type (it offers: {', '.join(labels)}); "
                f"set one with 'gametime club add … --booking-type {wanted}=ID'")

    def _choose_duration(self, minutes: int) -> str | None:
        page = self._page
        select = page.locator("select[name=duration]")
        if not select.count():
            return None
        options = select.locator("option")
        offered = []
        for index in range(options.count()):
            option = options.nth(index)
            value = option.get_attribute("value") or ""
            label = " ".join(option.inner_text().split())
            offered.append(label or value)
            if value == str(minutes) or _label_minutes(label) == minutes:
                select.select_option(value=value)  # waits until the page enables it
                return None
        return f"the site offers no {minutes}-minute booking here (it offers: {', '.join(offered)})"

    def _submit(self, request: SlotRequest, court: int) -> Outcome:
        """Click the page's own submit button, so its scripts (reCAPTCHA) run."""
        page = self._page
        form = page.locator("form:has(input[name=temp])").first
        button = form.locator("button[type=submit], input[type=submit], button:not([type])").first
        request.submitting(court)
        with page.expect_navigation(wait_until="domcontentloaded") as navigation:
            button.click()
        response = navigation.value
        found = CONFIRMATION.search(page.url)
        if found:
            return Outcome(OutcomeKind.CONFIRMED, court, confirmation=found.group(1))
        status = response.status if response is not None else 0
        reason = self._page_message()
        if status >= 500:
            outcome = Outcome(OutcomeKind.TRANSIENT, court,
                              message=f"the site answered HTTP {status} to the booking")
        elif any(word in reason.lower() for word in TAKEN_WORDS):
            outcome = Outcome(OutcomeKind.TAKEN, court, message=f"court {court}: {reason}")
        else:
            outcome = Outcome(OutcomeKind.TRANSIENT, court,
                              message=f"the site did not confirm: {reason or page.url}")
        return self._with_artifacts(request, court, outcome)

    # -- evidence of failures ---------------------------------------------------------

    def _with_artifacts(self, request: SlotRequest, court: int, outcome: Outcome) -> Outcome:
        """Keep a screenshot and the HTML of the page a failure landed on (never the
        login page, which may hold the password)."""
        page = self._page
        if page is None or self._path() == "/auth" or outcome.artifacts:
            return outcome
        stem = (f"booking-{request.booking_id}-attempt-{request.attempt}-court-{court}-"
                f"{time.strftime('%Y%m%dT%H%M%S')}")
        try:
            self.artifacts_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            html_path = self.artifacts_dir / f"{stem}.html"
            png_path = self.artifacts_dir / f"{stem}.png"
            _write_private(html_path, page.content().encode("utf-8"))
            _write_private(png_path, page.screenshot(full_page=True, timeout=5000))
        except Exception:
            return outcome
        return Outcome(outcome.kind, outcome.court, outcome.confirmation, outcome.message,
                       (str(png_path), str(html_path)))

    def close(self) -> None:
        for step in (self._context and self._context.close, self._browser and self._browser.close,
                     self._pw and self._pw.stop):
            if step:
                with contextlib.suppress(Exception):
                    step()
        self._pw = self._browser = self._context = self._page = None
        self._logged_in = False


def _label_minutes(label: str) -> int | None:
    """'90 minutes' -> 90, '1.5 hours' -> 90, '1 hour' -> 60."""
    found = re.match(r"^\s*(\d+(?:\.\d+)?)\s*(min|minutes?|h|hours?|hr)\b", label.lower())
    if not found:
        return None
    amount = float(found.group(1))
    return round(amount * 60) if found.group(2).startswith("h") else round(amount)


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
