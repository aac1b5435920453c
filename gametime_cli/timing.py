"""Clocks and waiting: the site's clock from its Date headers, and waking on time.

The site decides when a window opens by its own clock, which may run ahead of or
behind ours. Its `Date` header has whole seconds only; timing many requests around the
moment that second changes, each bounded by when it was sent and received, pins the
offset far below a second (and so corrects for the round trip).
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

from gametime_cli.clock import epoch

SPIN_SECONDS = 0.003
"""The last few milliseconds before firing are busy-waited, not slept."""
COARSE_SLEEP = 0.25
"""Sleeps are at most this long, so a clock step or a sleeping machine is noticed."""


@dataclass(frozen=True)
class ClockSample:
    sent: float
    received: float
    server_second: float
    """The Date header as epoch seconds: the server's clock read somewhere in
    [server_second, server_second + 1) while the request was in flight."""

    @property
    def low(self) -> float:
        """The least the offset (server minus local) can be, given this sample."""
        return self.server_second - self.received

    @property
    def high(self) -> float:
        return self.server_second + 1 - self.sent


@dataclass(frozen=True)
class ClockEstimate:
    offset: float
    """Seconds the site's clock runs ahead of ours (negative: behind)."""
    uncertainty: float
    """Half the width of the interval the samples leave."""
    samples: int


def parse_date_header(value: str) -> float:
    return parsedate_to_datetime(value).timestamp()


def estimate_offset(samples: list[ClockSample]) -> ClockEstimate:
    """Intersect what each sample allows; with inconsistent samples (a clock step),
    fall back on the median of their midpoints."""
    if not samples:
        raise ValueError("no samples")
    low = max(s.low for s in samples)
    high = min(s.high for s in samples)
    if low <= high:
        return ClockEstimate((low + high) / 2, (high - low) / 2, len(samples))
    middle = statistics.median((s.low + s.high) / 2 for s in samples)
    return ClockEstimate(middle, 0.5, len(samples))


def measure_offset(probe: Callable[[], str], *, now: Callable[[], float] = epoch,
                   sleep: Callable[[float], None] = time.sleep,
                   coarse: int = 12, spacing: float = 0.09, fine: int = 24,
                   fine_spacing: float = 0.004) -> ClockEstimate:
    """Sample `probe` (a request returning the Date header) across a change of the
    server's second, then densely around the next change, which the first pass
    predicts. About 2 s on a nearby site."""
    samples: list[ClockSample] = []

    def take() -> None:
        sent = now()
        header = probe()
        samples.append(ClockSample(sent, now(), parse_date_header(header)))

    for _ in range(coarse):
        take()
        sleep(spacing)
    first = estimate_offset(samples)
    # The server's next whole second, in local time; straddle it with dense samples.
    server_now = now() + first.offset
    boundary = int(server_now) + 1 - first.offset
    if boundary - now() < 0.15:
        boundary += 1
    wait_until(boundary - fine * fine_spacing / 2, now=now, sleep=sleep)
    for _ in range(fine):
        take()
        sleep(fine_spacing)
    return estimate_offset(samples)


def wait_until(target: float, *, now: Callable[[], float] = epoch,
               sleep: Callable[[float], None] = time.sleep,
               stop: threading.Event | None = None) -> bool:
    """Wait for the wall-clock instant `target` (epoch seconds by `clock.utcnow()`, so
    GAMETIME_NOW moves it too), recomputing as it nears; busy-wait the last few
    milliseconds. False if `stop` was set first."""
    while True:
        if stop is not None and stop.is_set():
            return False
        remaining = target - now()
        if remaining <= 0:
            return True
        if remaining > SPIN_SECONDS:
            pause = min(remaining - SPIN_SECONDS, COARSE_SLEEP)
            if stop is not None:
                if stop.wait(pause):
                    return False
            else:
                sleep(pause)
        # else: spin, re-reading the clock


async def wait_until_async(target: float, *, now: Callable[[], float] = epoch) -> None:
    """`wait_until` on an event loop: sleep while far, spin the last few milliseconds
    (the loop's other work waits those, which is what firing together wants)."""
    import asyncio

    while (remaining := target - now()) > SPIN_SECONDS:
        await asyncio.sleep(min(remaining - SPIN_SECONDS, COARSE_SLEEP))
    while now() < target:
        pass


class DateProbe:
    """GETs of a site's login page on one kept-alive connection, straight from this
    process, so the send and receive times bracket the server's tightly. Calling it
    returns the Date header; close() when done."""

    def __init__(self, base_url: str, timeout: float = 15.0):
        from urllib.parse import urlsplit

        self.parts = urlsplit(base_url.rstrip("/"))
        self.timeout = timeout
        self._conn: object | None = None

    def __call__(self) -> str:
        import http.client

        if self._conn is None:
            kind = (http.client.HTTPSConnection if self.parts.scheme == "https"
                    else http.client.HTTPConnection)
            self._conn = kind(self.parts.hostname, self.parts.port, timeout=self.timeout)
        conn = self._conn
        try:
            conn.request("GET", f"{self.parts.path}/auth",  # type: ignore[attr-defined]
                         headers={"Connection": "keep-alive"})
            response = conn.getresponse()  # type: ignore[attr-defined]
            response.read()
        except (OSError, http.client.HTTPException):
            self.close()
            raise
        header = response.getheader("Date")
        if not header:
            raise OSError("the site sends no Date header")
        return header

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()  # type: ignore[attr-defined]
            self._conn = None
