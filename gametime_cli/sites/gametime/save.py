"""The save: the filled form sent once per hold, posted from the session with the page's
own reCAPTCHA token or by the page's own button (a trusted click), its answer read; a
save refused as not from a player is checked for and sent once more the other way."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urljoin

from gametime_cli.booking.offer import length_note
from gametime_cli.clock import epoch
from gametime_cli.sites import page_input
from gametime_cli.sites.base import AttemptFailed, CourtDay, Outcome, OutcomeKind, SlotRequest
from gametime_cli.sites.browser import BrowserMode
from gametime_cli.sites.form_post import GatheredForm, save_request
from gametime_cli.sites.gametime.form import BOOKING_FORM, FillingTheForm
from gametime_cli.sites.gametime.pages import SUBMIT_PAGES, _first_line
from gametime_cli.sites.gametime.scripts import script
from gametime_cli.sites.gametime.words import HELD_WORDS, REFUSED_WORDS, TAKEN_WORDS
from gametime_cli.sites.origins import origin_of

log = logging.getLogger("gametime")
CONFIRMATION = re.compile(r"/scheduling/confirmation/history/sport/\d+/id/([A-Za-z0-9_-]+)")
SUBMIT_BUTTON = ":is(button[type=submit], input[type=submit], button:not([type]))"


@dataclass(frozen=True)
class _Refusal:
    """The site would not take a save from this browser: its words, and the evidence."""

    words: str
    artifacts: tuple[str, ...] = ()


class Saving(FillingTheForm):
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
            return await self._read_back(request, court, found.group(1))
        status = response.status if response is not None else 0
        return await self._answered(request, court, status, await self._page_message())

    async def _gather(self) -> GatheredForm:
        """A fresh token from the page's reCAPTCHA, and the form's fields to post."""
        from playwright.async_api import Error

        wait = self.options.navigation_timeout * 1000
        try:
            found = await self._page.evaluate(script("gather_form"),
                                              [BOOKING_FORM, wait, self._scripts.action])
            if (found.get("key") and not found.get("action")  # named in a loaded script?
                    and await self._scripts.find_action() is not None):
                found = await self._page.evaluate(script("gather_form"),
                                                  [BOOKING_FORM, wait, self._scripts.action])
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
            return await self._read_back(request, court, found.group(1))
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

    async def _read_back(self, request: SlotRequest, court: int, number: str) -> Outcome:
        """Confirmed as `number`: the booking read back from the day's JSON, for the
        site's own id and the length it holds (the hold follows the form, so a save the
        page's update hadn't reached books the hold's length, without an error)."""
        confirmed = Outcome(OutcomeKind.CONFIRMED, court, confirmation=number)
        try:
            held = await self._own_booking(request, court, number)
        except AttemptFailed as failed:
            log.info("booking %s: confirmed as %s; reading it back failed (%s)",
                     request.booking_id, number, failed.outcome.message)
            return confirmed
        if held is None:
            log.info("booking %s: confirmed as %s; the day's JSON doesn't show it yet",
                     request.booking_id, number)
            return confirmed
        return replace(confirmed, site_id=held.booking_id or None,
                       booked_minutes=held.duration,
                       message=length_note(held.duration, request.duration))
