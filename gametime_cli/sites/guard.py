"""Keeping a driver's page on its club's origins.

Playwright's `route` sees only the first request of a redirect chain, so a club URL
answering 302 to another host would be followed unseen. Instead every request of the
page, each hop of a redirect included, is paused with Chrome DevTools' Fetch domain
and let through only to an allowed origin; a page the site sends elsewhere is failed
before it is requested, and remembered so the driver stops. A page whose answer the
session already has (the booking form fetched at the opening) is shown that answer
instead of being asked for again.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
from collections.abc import Coroutine, Iterable
from typing import Any

from gametime_cli.sites.origins import Origin, origin_of

log = logging.getLogger("gametime")

RECAPTCHA_ORIGINS = frozenset({
    Origin("https", "www.google.com", 443),
    Origin("https", "www.gstatic.com", 443),
    Origin("https", "www.recaptcha.net", 443),
})
"""reCAPTCHA v3, which GameTime's booking form runs before it posts (gametime-site.md):
its script and its frame only, never a page of their own. The driver needs no other
origin, loopback helpers included."""
LOCAL_SCHEMES = ("data:", "blob:", "about:")


class OriginGuard:
    """Pauses every request of one page and lets through only the allowed origins'."""

    def __init__(self, allowed: Iterable[Origin]):
        self.allowed = frozenset(allowed)
        self.left_for: str | None = None
        """The first page off the allowed origins the site sent the browser to."""
        self._served: dict[str, tuple[int, list[tuple[str, str]], bytes]] = {}
        self._session: Any = None
        self._main_frame: str | None = None
        self._answering: set[asyncio.Task[None]] = set()

    async def attach(self, context: Any, page: Any) -> None:
        session = await context.new_cdp_session(page)
        tree = await session.send("Page.getFrameTree")
        self._main_frame = tree["frameTree"]["frame"]["id"]
        self._session = session
        session.on("Fetch.requestPaused", self._paused)
        await session.send("Fetch.enable",
                           {"patterns": [{"urlPattern": "*", "requestStage": "Request"}]})
        with contextlib.suppress(Exception):  # a service worker must not answer unseen
            await session.send("Network.setBypassServiceWorker", {"bypass": True})

    def allows(self, url: str, page_load: bool) -> bool:
        """The club's origins for anything; reCAPTCHA's for what a page loads."""
        if url.startswith(LOCAL_SCHEMES):
            return True
        origin = origin_of(url)
        return origin in self.allowed or (not page_load and origin in RECAPTCHA_ORIGINS)

    def serve(self, url: str, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        """The next load of the page `url` (on an allowed origin) is answered with this,
        as the site answered the session, and nothing is asked of the site."""
        self._served[_page_key(url)] = (status, headers, body)

    def _paused(self, event: dict[str, Any]) -> None:
        url = event["request"]["url"]
        page_load = (event.get("resourceType") == "Document"
                     and event.get("frameId") == self._main_frame)
        allowed = self.allows(url, page_load)
        answer = self._served.pop(_page_key(url), None) if allowed and page_load else None
        if answer is not None:
            self._settle(self._fulfil(event["requestId"], *answer))
            return
        if not allowed:
            if page_load and self.left_for is None:
                self.left_for = url
            log.debug("blocked a request off the club's origins: %s", url)
        self._settle(self._answer(event["requestId"], allowed))

    def _settle(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(work)
        self._answering.add(task)
        task.add_done_callback(self._answering.discard)

    async def _fulfil(self, request_id: str, status: int, headers: list[tuple[str, str]],
                      body: bytes) -> None:
        with contextlib.suppress(Exception):
            await self._session.send("Fetch.fulfillRequest", {
                "requestId": request_id, "responseCode": status,
                "responseHeaders": [{"name": n, "value": v} for n, v in headers],
                "body": base64.b64encode(body).decode("ascii")})

    async def _answer(self, request_id: str, allowed: bool) -> None:
        with contextlib.suppress(Exception):  # the page or its context closed meanwhile
            if allowed:
                await self._session.send("Fetch.continueRequest", {"requestId": request_id})
            else:
                await self._session.send("Fetch.failRequest",
                                         {"requestId": request_id,
                                          "errorReason": "BlockedByClient"})


def _page_key(url: str) -> str:
    """A page's address without its fragment: what the browser asks the site for."""
    return url.split("#", 1)[0]
