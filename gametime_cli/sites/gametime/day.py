"""The day's courts, read from the site's JSON by the session, and the member's own
bookings: the day's JSON by user id, else the ids of the home page's upcoming bookings."""

from __future__ import annotations

from datetime import date
from typing import Any

from gametime_cli.booking.offer import ClubOffer
from gametime_cli.clock import utcnow
from gametime_cli.sites.base import (
    AttemptFailed,
    CourtDay,
    Outcome,
    OutcomeKind,
    SiteBooking,
    SlotRequest,
)
from gametime_cli.sites.gametime.day_json import read_courts, slot_times
from gametime_cli.sites.gametime.login import LoggingIn
from gametime_cli.sites.gametime.pages import _first_line
from gametime_cli.sites.gametime.scripts import script


class ReadingTheDay(LoggingIn):
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
            courts = read_courts(data or {})
        except ValueError as exc:
            raise AttemptFailed(Outcome(OutcomeKind.TRANSIENT, message=str(exc))) from None
        self._courts = {c.number: c for c in courts}
        self._courts_day = day
        slots = slot_times(data)
        if slots and any(b.start not in slots for c in courts for b in c.bookings):
            slots = None  # not minutes since midnight, as the bookings' are: not trusted
        self._learn(ClubOffer(courts={c.number: c.court_id for c in courts}, slots=slots,
                              read_at=utcnow()))
        return courts

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

    async def _find_own(self, request: SlotRequest, court: int) -> Outcome | None:
        """After a refused save, before the next: does the site hold the booking for
        this member all the same? By court, start and the member's id in the day's JSON,
        else the ids of the member's upcoming bookings against both of its numbers. Read
        by the session, leaving the page as it is (the form stays filled for the page's
        own button)."""
        held = await self._own_booking(request, court)
        if held is None:
            return None
        return Outcome(OutcomeKind.CONFIRMED, court, confirmation=held.confirmation,
                       reconciled=True, site_id=held.booking_id or None,
                       booked_minutes=held.duration)

    async def _own_booking(self, request: SlotRequest, court: int,
                           confirmation: str | None = None) -> SiteBooking | None:
        """The member's booking on this court at the request's start, from the day's
        JSON: by user id, by the `confirmation` just given, else by the home page's ids."""
        courts = await self._day_courts(request.day)
        here = [b for c in courts if c.number == court for b in c.bookings
                if b.start == request.minutes]
        if self.user_id is not None or confirmation is not None:
            for held in here:
                if held.is_ours(self.user_id) or held.answers_to(confirmation):
                    return held
            if self.user_id is not None:
                return None
        mine = await self._my_booking_ids() if here else set()
        return next((held for held in here if held.is_ours(None, mine)), None)

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
                    script("my_bookings"), await response.text())}
            except Error as exc:
                unread = _first_line(exc)
        raise AttemptFailed(Outcome(OutcomeKind.TRANSIENT,
                                    message=f"could not read the member's bookings: {unread}"))
