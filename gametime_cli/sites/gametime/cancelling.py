"""Cancelling as a player does: the booking's cancel link on the home page, then the
confirmation step; then the day's JSON checked."""

from __future__ import annotations

import re
from datetime import date

from gametime_cli.sites.base import AttemptFailed, CourtDay, Outcome, OutcomeKind
from gametime_cli.sites.gametime.pages import _first_line
from gametime_cli.sites.gametime.save import Saving


class Cancelling(Saving):
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
