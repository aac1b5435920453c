"""The day's courts, read from the site's JSON by the session, and the member's own
bookings: the day's JSON by user id, else the ids of the home page's upcoming bookings."""

from __future__ import annotations

from datetime import date
from typing import Any

from gametime_cli.clock import utcnow
from gametime_cli.offer import ClubOffer
from gametime_cli.sites.base import (
    AttemptFailed,
    CourtDay,
    Outcome,
    OutcomeKind,
    SiteBooking,
    SlotRequest,
)
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
