"""The booking form: loaded (the site's hold), read, and filled as a player fills it, by
the keyboard: the booking type, the partners, the duration."""

from __future__ import annotations

import contextlib
import json

from gametime_cli.booking.offer import ClubOffer, agreed_to, duration_problem
from gametime_cli.clock import epoch
from gametime_cli.run.waiting import wait_until_async
from gametime_cli.sites import page_input
from gametime_cli.sites.base import (
    AttemptFailed,
    CourtDay,
    NeedsAgreement,
    Outcome,
    OutcomeKind,
    SlotRequest,
)
from gametime_cli.sites.gametime.aiming import Aiming, refused_form
from gametime_cli.sites.gametime.choices import choose_duration, offered_minutes
from gametime_cli.sites.gametime.partners import (
    PartnerNotOffered,
    PartnerRow,
    add_guest,
    choose_member,
)
from gametime_cli.sites.gametime.scripts import script
from gametime_cli.sites.gametime.words import HELD_WORDS, TAKEN_WORDS, ErrorPage

BOOKING_FORM = "form:has(input[name=temp])"
DURATION = "select[name=duration]"


class FillingTheForm(Aiming):
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
                refused = await self._load_at_opening(shot, cookie, path,
                                                      request.too_early_until, court)
                if refused is not None:
                    return refused
            else:
                await self._goto(path)
            if self._on_login_page():  # the session ran out
                self._logged_in = False
                await self._log_in()
                await self._goto(path)
            if "/bookerror" in self._path():
                said = await self._error_words()
                if said[0] is ErrorPage.TOO_EARLY:
                    self._too_early_at = epoch()
                outcome = refused_form(said, court)
                return (await self._with_artifacts(request, court, outcome)
                        if outcome.kind is OutcomeKind.PERMANENT else outcome)
            if self._too_early_at is not None and self.opened_between is None:
                self.opened_between = (self._too_early_at, epoch())
            return await self._fill_form(request, court)
        except AttemptFailed as failed:
            return await self._with_artifacts(request, court, failed.outcome)
        except (TimeoutError, Error) as exc:
            return await self._browser_failure(
                request, court, exc, f"the booking page did not respond within "
                                     f"{self.options.action_timeout:g} s")

    async def _fill_form(self, request: SlotRequest, court: int) -> Outcome | None:
        page = self._page
        form = await page.evaluate(script("read_form"))
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
        if form.get("temp"):  # the hold's number: no other origin is sent it
            self._guard.secrets.add(str(form["temp"]))
        if str(form.get("userId") or "").isdigit():
            self.user_id = int(form["userId"])
        since = self._requests.started if self._requests is not None else 0
        rtype, problem = self._choose_type(request, form.get("types") or [])
        if problem:
            return await self._with_artifacts(
                request, court, Outcome(OutcomeKind.PERMANENT, court, message=problem))
        duration, problem = choose_duration(request.duration, form.get("durations"))
        if problem and rtype is not None:
            # A page may list its durations only once a type is chosen: choose, look again.
            await page_input.press_radio(page, _radio(rtype))
            form = await page.evaluate(script("read_form"))
            duration, problem = choose_duration(request.duration, form.get("durations"))
        offered = offered_minutes(form.get("durations"))
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
        rows = [PartnerRow(r["number"], bool(r["memberField"]), bool(r["guestBox"]))
                for r in form.get("partners") or []]
        if len(request.partners) + len(request.guests) > len(rows):
            await self._leave_form()
            return Outcome(OutcomeKind.PERMANENT, court, message=(
                f"the booking form has room for {len(rows)} partner(s), not the "
                f"{len(request.partners) + len(request.guests)} of this booking"))
        try:
            await self._fill(request, rtype, duration, rows)
        except PartnerNotOffered as exc:
            await self._leave_form()
            return Outcome(OutcomeKind.PERMANENT, court, message=str(exc))
        except page_input.NotTyped as exc:
            return await self._with_artifacts(request, court, Outcome(
                OutcomeKind.TRANSIENT, court, message=f"the booking form would not take "
                                                      f"the booking: {exc}"))
        stopped = await self._agree_and_check(request, court)
        if stopped is not None:
            return stopped
        if self._requests is not None and not await self._requests.settled(
                since, self.options.action_timeout):
            return await self._with_artifacts(request, court, Outcome(
                OutcomeKind.TRANSIENT, court, message=(
                    f"the booking page was still updating the hold after "
                    f"{self.options.action_timeout:g} s; not sent, lest it book the wrong "
                    f"length")))
        return None

    async def _fill(self, request: SlotRequest, rtype: str | None, duration: str | None,
                    rows: list[PartnerRow]) -> None:
        """Type, partners and duration, by the keyboard, as a player fills them in; the
        duration once the page has enabled it (it does so when a type is chosen). The
        caller then waits for the page's own update of the hold."""
        page = self._page
        if rtype is not None:
            await page_input.press_radio(page, _radio(rtype))
        members, guests = rows[:len(request.partners)], rows[len(request.partners):]
        for row, name in zip(members, request.partners, strict=False):
            await choose_member(page, self._requests, row, name, self.options.action_timeout)
        for row, name in zip(guests, request.guests, strict=False):
            await add_guest(page, row, name)
        if duration is not None:
            await page_input.choose_option(page, DURATION, duration,
                                           self.options.action_timeout)

    async def _agree_and_check(self, request: SlotRequest, court: int) -> Outcome | None:
        """Tick the boxes the player agreed to; then the browser's own check of the form:
        a required field left unfilled stops the booking here, named by its label (the
        browser would not send the form, and nothing would answer)."""
        accepted = self.club.settings.get("accept_waiver")
        missing = await self._page.evaluate(script("required_fields"), BOOKING_FORM)
        for field in missing:
            if not field["box"]:
                continue
            self._learn(ClubOffer(boxes=(field["words"],)))
            if not agreed_to(field["words"], accepted):
                raise NeedsAgreement(self.club.name, field["words"])
            await page_input.press_radio(self._page, field["selector"])
        if accepted and missing:
            missing = await self._page.evaluate(script("required_fields"), BOOKING_FORM)
        if missing:
            names = ", ".join(f'"{f["words"] or f["name"]}"' for f in missing)
            return await self._with_artifacts(request, court, Outcome(
                OutcomeKind.PERMANENT, court, message=(
                    f"{self.club.name}'s booking form requires {names}, which the tool "
                    f"can't fill in; the form was not sent")))
        return None

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


def _radio(value: str) -> str:
    """The booking type's radio button with this value."""
    return f"input[name=rtype][value={json.dumps(value)}]"
