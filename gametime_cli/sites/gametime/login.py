"""Logging in as a player does: the login form typed, Enter pressed in the password field;
and what the club's login page can read of the browser."""

from __future__ import annotations

import contextlib
from typing import Any

from gametime_cli.sites import page_input
from gametime_cli.sites.base import AttemptFailed, LoginRefused, Outcome, OutcomeKind
from gametime_cli.sites.gametime.pages import SUBMIT_PAGES, _first_line, _page_address
from gametime_cli.sites.gametime.reading import ReadingThePage
from gametime_cli.sites.gametime.scripts import script


class LoggingIn(ReadingThePage):
    def verify_login(self) -> None:
        self._call(self._log_in())

    def what_the_site_sees(self) -> dict[str, Any]:
        """The club's login page, opened without logging in: what its scripts can read
        of this browser, and whether its reCAPTCHA loaded, with the key it found."""
        return self._call(self._seen(), pages=1)

    async def _seen(self) -> dict[str, Any]:
        await self._goto("/auth")
        with contextlib.suppress(Exception):  # a page's scripts may load after the DOM
            await self._page.wait_for_load_state("load", timeout=self._page_ms)
        return {**await self._page.evaluate(script("what_the_site_sees")),
                "accept_language": self._browser_headers.get("accept-language")}

    async def _log_in(self) -> None:
        """Fill the login form; the page is never captured while it holds the password."""
        if self._logged_in:
            return
        if self.login is None:
            raise LoginRefused(f"no account to log in to {self.club.name} with")
        from playwright.async_api import Error, TimeoutError

        page = await self._start()
        await self._goto("/auth")  # OffOrigin unless on the club's or its member site's
        form = _page_address(page.url)
        try:
            await page_input.type_text(page, "input[name=username]", self.login.username)
            await page_input.type_text(page, "input[name=password]",
                                       self.login.password.reveal())
            async with page.expect_navigation(wait_until="domcontentloaded",
                                              timeout=SUBMIT_PAGES * self._page_ms
                                              ) as navigation:
                await page.keyboard.press("Enter")  # in the password field, as a player
            response = await navigation.value
        except (TimeoutError, Error, page_input.NotTyped) as exc:
            await self._clear_password()
            self._stay_on_origin()
            raise AttemptFailed(Outcome(
                OutcomeKind.TRANSIENT, message=f"logging in failed: {_first_line(exc)}"
            )) from None
        self._stay_on_origin()
        if response is not None and response.status >= 500:
            await self._clear_password()
            raise AttemptFailed(Outcome(
                OutcomeKind.TRANSIENT,
                message=f"the site answered HTTP {response.status} to the login",
            ))
        if _page_address(page.url) == form:
            reason = await self._page_message() or "it stayed on the login page"
            await self._clear_password()
            raise LoginRefused(
                f"{self.club.name} refused the login of {self.login.username} ({reason}); "
                f"run 'gametime login --club {self.club.name} --username {self.login.username}'",
                reason,
            )
        self._logged_in = True

    async def _clear_password(self) -> None:
        with contextlib.suppress(Exception):
            if self._page is not None and self._on_login_page():
                await self._page.fill("input[name=password]", "", timeout=1000)
