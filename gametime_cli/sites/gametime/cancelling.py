"""Cancelling as a player does: the booking's cancel link on the home page, then, on the
cancel page, the button that says so (the page has more than one) and its confirmation
dialog accepted; then the day's JSON checked by court, date, start and the member."""

from __future__ import annotations

import re
from typing import Any

from gametime_cli.sites import page_input
from gametime_cli.sites.base import AttemptFailed, HeldBooking, Outcome, OutcomeKind, SiteBooking
from gametime_cli.sites.gametime.pages import SUBMIT_PAGES, _first_line
from gametime_cli.sites.gametime.save import Saving
from gametime_cli.sites.gametime.scripts import script

CANCEL_WORDS = re.compile(r"\bcancel\b", re.IGNORECASE)
NOT_CANCEL_WORDS = re.compile(r"\b(back|keep|return|close|no|don'?t|do not)\b", re.IGNORECASE)
"""A button that says cancel but means "go back" ("Back to my bookings", "Keep it")."""


def cancel_button(buttons: list[dict[str, str]]) -> dict[str, str] | None:
    """Of the cancel page's buttons, the one that cancels the booking, by its words."""
    for button in buttons:
        words = button["words"]
        if CANCEL_WORDS.search(words) and not NOT_CANCEL_WORDS.search(words):
            return button
    return None


class Cancelling(Saving):
    def cancel_booking(self, booking: HeldBooking) -> bool:
        """Cancel one of the member's bookings as a player does, then check the day's
        JSON no longer has it. False if the site had no such booking any more
        (cancelled by hand)."""
        return self._call(self._cancel(booking), pages=7)

    async def _held(self, booking: HeldBooking) -> SiteBooking | None:
        """The booking as the day's JSON has it now, if it still does."""
        user_id = self.user_id or booking.user_id
        for court in await self._day_courts(booking.day):
            for held in court.bookings:
                if booking.matches(held, court.number, user_id):
                    return held
        return None

    async def _cancel(self, booking: HeldBooking) -> bool:
        from playwright.async_api import Error, TimeoutError

        await self._log_in()
        held = await self._held(booking)
        numbers = booking.numbers | (held.numbers if held else set())
        await self._goto("/")
        link = await self._cancel_link(numbers)
        if link is None:
            if held is None:
                return False
            raise AttemptFailed(Outcome(OutcomeKind.PERMANENT, message=(
                f"the site lists the {booking.label()} but shows no cancel link for it")))
        try:
            async with self._page.expect_navigation(wait_until="domcontentloaded",
                                                    timeout=self._page_ms):
                await link.click(timeout=self._page_ms)
            self._stay_on_origin()
            if self._path() != "/":  # the cancel page
                await self._confirm_cancel()
        except (TimeoutError, Error) as exc:
            self._stay_on_origin()
            raise AttemptFailed(Outcome(
                OutcomeKind.TRANSIENT, message=f"cancelling failed: {_first_line(exc)}"
            )) from None
        if await self._held(booking) is not None:
            raise AttemptFailed(Outcome(OutcomeKind.TRANSIENT, message=(
                f"the site still lists the {booking.label()} after cancelling it")))
        return True

    async def _cancel_link(self, numbers: set[str]) -> Any | None:
        """The home page's cancel link that names one of the booking's numbers."""
        links = self._page.locator("a[href]")
        for index in range(await links.count()):
            candidate = links.nth(index)
            href = await candidate.get_attribute("href") or ""
            text = (await candidate.inner_text()).lower()
            if "cancel" in (text + href.lower()) and any(
                    re.search(rf"(?<![0-9A-Za-z]){re.escape(n)}(?![0-9A-Za-z])", href)
                    for n in numbers):
                return candidate
        return None

    async def _confirm_cancel(self) -> None:
        """On the cancel page: the button that cancels, by its words, clicked with the
        mouse; the dialog it opens accepted; the page it leads to waited for."""
        page = self._page
        chosen = cancel_button(await page.evaluate(script("cancel_buttons")))
        if chosen is None:
            raise AttemptFailed(Outcome(OutcomeKind.PERMANENT, message=(
                "the cancel page has no button that says it cancels the booking")))
        accepted: list[str] = []

        async def accept(dialog: Any) -> None:
            accepted.append(dialog.message)
            await dialog.accept()

        page.on("dialog", accept)
        try:
            point = await page_input.click_point(page, chosen["selector"])
            async with page.expect_navigation(wait_until="domcontentloaded",
                                              timeout=SUBMIT_PAGES * self._page_ms
                                              ) as navigation:
                if point is not None:
                    await page_input.click_at(page, point)
                else:
                    await page.locator(chosen["selector"]).first.click(timeout=self._page_ms)
            response = await navigation.value
        finally:
            page.remove_listener("dialog", accept)
        self._stay_on_origin()
        self._no_server_error(response.status if response is not None else None)
