"""Keeping a driver's page on its club's origins, and what it types off them.

Playwright's `route` sees only the first request of a redirect chain, so a club URL
answering 302 to another host would be followed unseen. Instead every request of the
page, each hop of a redirect included, is paused with Chrome DevTools' Fetch domain.
A page (the main frame's document) loads only from an allowed origin: one the site
sends elsewhere is failed before it is requested, and remembered so the driver stops.
What the page loads from wherever it names, as a player's browser does: its scripts,
styles, images, frames, and the requests its scripts make (GameTime's pages load New
Relic's agent, reCAPTCHA, and more). Only a request to another origin that carries
the password or the booking form's fields is failed. A page whose answer the session
already has (the booking form fetched at the opening) is shown that answer instead of
being asked for again.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
from collections.abc import Coroutine, Iterable
from typing import Any
from urllib.parse import unquote_plus

from gametime_cli.sites.origins import Origin, origin_of

log = logging.getLogger("gametime")

LOCAL_SCHEMES = ("data:", "blob:", "about:")
FORM_MARKERS = ("players[", "g-recaptcha-response=", "bookingwaiverpolicy=")
"""Words of the booking form's fields as a browser sends them (lower case, decoded)."""


class OriginGuard:
    """Pauses every request of one page: pages from the allowed origins only, and
    nothing secret to any other."""

    def __init__(self, allowed: Iterable[Origin], secrets: Iterable[str] = ()):
        self.allowed = frozenset(allowed)
        self.secrets = {s for s in secrets if s}
        """What no request to another origin may carry (the password; the booking form's
        hold number once a form is loaded)."""
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

    def allows(self, url: str, page_load: bool, body: str | None = None) -> bool:
        """The allowed origins for anything; any other for what a page loads, unless the
        request (its address or its body) carries a secret or the form's fields."""
        if url.startswith(LOCAL_SCHEMES):
            return True
        if origin_of(url) in self.allowed:
            return True
        return not page_load and not self.carries_secrets(url, body)

    def carries_secrets(self, url: str, body: str | None) -> bool:
        texts = [url, unquote_plus(url)]
        if body:
            texts += [body, unquote_plus(body)]
        lowered = [t.lower() for t in texts]
        return (any(secret in text for secret in self.secrets for text in texts)
                or any(marker in text for marker in FORM_MARKERS for text in lowered))

    def serve(self, url: str, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        """The next load of the page `url` (on an allowed origin) is answered with this,
        as the site answered the session, and nothing is asked of the site."""
        self._served[_page_key(url)] = (status, headers, body)

    def _paused(self, event: dict[str, Any]) -> None:
        url = event["request"]["url"]
        page_load = (event.get("resourceType") == "Document"
                     and event.get("frameId") == self._main_frame)
        allowed = self.allows(url, page_load, _body(event["request"]))
        answer = self._served.pop(_page_key(url), None) if allowed and page_load else None
        if answer is not None:
            self._settle(self._fulfil(event["requestId"], *answer))
            return
        if not allowed:
            if page_load and self.left_for is None:
                self.left_for = url
            log.debug("blocked a request off the club's origins: %s", url.split("?")[0])
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


def _body(request: dict[str, Any]) -> str | None:
    """A paused request's body as text: what the page sends with it; a body the event
    doesn't hold counts as a form's (it is not let off the allowed origins)."""
    if "postData" in request:
        return str(request["postData"])
    entries = request.get("postDataEntries")
    if entries:
        parts = []
        for entry in entries:
            with contextlib.suppress(ValueError, TypeError):
                parts.append(base64.b64decode(entry.get("bytes", "")).decode("utf-8", "replace"))
        return "".join(parts)
    return FORM_MARKERS[0] if request.get("hasPostData") else None
