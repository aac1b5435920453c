"""Reading the page a step landed on: its words, its own error message, what the
site's error page says; and the evidence a failure leaves."""

from __future__ import annotations

from dataclasses import replace

from gametime_cli.sites.base import Outcome, OutcomeKind, SlotRequest
from gametime_cli.sites.gametime.evidence import keep_evidence
from gametime_cli.sites.gametime.pages import ClubPages, _first_line
from gametime_cli.sites.gametime.scripts import script
from gametime_cli.sites.gametime.words import (
    ERROR_PAGE_TITLE,
    ErrorPage,
    read_error_page,
    the_reason,
)


class ReadingThePage(ClubPages):
    async def _page_text(self, html: str | None = None) -> str:
        """The words of the page shown, or of the HTML of an answer the session fetched
        (its scripts left out)."""
        try:
            return str(await self._page.evaluate(script("page_text"), html))
        except Exception:
            return ""

    async def _error_words(self, html: str | None = None) -> tuple[ErrorPage, str]:
        """What the error page says (of the page shown, or of HTML fetched): its case,
        and its own words for the player."""
        text = await self._page_text(html)
        message = await self._page_message(html)
        if not message or message.lower().strip(" .") == ERROR_PAGE_TITLE:
            message = the_reason(text)
        return read_error_page(text), message

    async def _page_message(self, html: str | None = None) -> str:
        """The page's own error text, or its first words: of the page shown, or of the
        HTML of an answer the session fetched."""
        try:
            return str(await self._page.evaluate(script("page_message"), html))
        except Exception:
            return ""

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
        """The outcome with a screenshot and the HTML of the page a failure landed on, or
        of the answer `html` the session fetched (never of the login page)."""
        if self._page is None or self._on_login_page() or outcome.artifacts:
            return outcome
        kept = await keep_evidence(self._page, self.artifacts_dir, request, court, html)
        return replace(outcome, artifacts=kept) if kept else outcome

