"""The page's own background requests (fetch and XHR), as the browser reports them.

Choosing a booking type or a duration makes GameTime's page update the hold on the
server in the background; a save sent before that update lands books the hold's old
length without any error (gametime-site.md, "The hold follows the form"). The driver
counts those requests and waits for them to finish before it saves.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

BACKGROUND = frozenset({"fetch", "xhr"})
GRACE = 0.08
"""After the last input, how long a request the page's handlers started may take to be
reported: with none in that time, the page made none."""
QUIET = 0.03
"""After the last request ends, how long no new one may start (an update the page
chains on the first) before the page counts as settled."""


class PageRequests:
    """Counts one page's fetch and XHR requests, started and still in flight."""

    def __init__(self, page: Any) -> None:
        self.started = 0
        self._pending: set[Any] = set()
        self._last_change = time.monotonic()
        page.on("request", self._began)
        page.on("requestfinished", self._ended)
        page.on("requestfailed", self._ended)

    def _began(self, request: Any) -> None:
        if request.resource_type in BACKGROUND:
            self.started += 1
            self._pending.add(request)
            self._last_change = time.monotonic()

    def _ended(self, request: Any) -> None:
        if request in self._pending:
            self._pending.discard(request)
            self._last_change = time.monotonic()

    async def settled(self, since: int, limit: float, grace: float = GRACE) -> bool:
        """Wait until the requests started after the count `since` have finished and
        the page has been quiet a moment (or, none starting, `grace` has passed: how
        long the page may wait before it asks); False if still busy after `limit` s."""
        began = time.monotonic()
        deadline = began + limit
        while time.monotonic() < deadline:
            now = time.monotonic()
            if not self._pending:
                if self.started > since and now - self._last_change >= QUIET:
                    return True
                if self.started == since and now - began >= grace:
                    return True
            await asyncio.sleep(0.005)
        return False
