"""The site's clock and the path to it, from the same probes.

The site decides when a window opens by its own clock, and by when a request *arrives*.
Its `Date` header has whole seconds only. Each probe is a GET of the login page, timed
when it was sent and when the first bytes of the answer (status line and headers) came
back, so a body held back by Nagle's algorithm or a slow server doesn't skew it. Half
the fastest round trip is the one-way latency; the server read its clock about half a
round trip after the probe was sent. Probes sent across the moment the site's second
changes, first one after another and then several at once on connections of their own
at staggered instants, pin the offset to a few milliseconds whatever the latency.

One measurement serves every account at a club: it is kept per site for
`FRESH_SECONDS`, and accounts preparing together wait for the one being made.
"""

from __future__ import annotations

import contextlib
import http.client
import statistics
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from gametime_cli.clock import epoch

FRESH_SECONDS = 600.0
"""A measurement of a site's clock is trusted this long."""
ROUGH = 0.010
ROUGH_FRESH_SECONDS = 60.0
"""A measurement less sure than `ROUGH` seconds (cut short by a near opening) is
trusted only this long."""
CONNECTIONS = 8
"""Probes sent together around a change of the site's second, each on its own connection."""
ROUNDS = 4
"""At most this many seconds' changes straddled by a volley of probes."""
GOOD_ENOUGH = 0.0015
"""A volley stops being sent once the offset is known this closely (seconds)."""
OUTLIER_SECONDS = 0.010
"""A probe whose round trip exceeds the fastest by more than this (and twice the usual
spread) was delayed on the way, by the machine or the network, and is set aside."""


@dataclass(frozen=True)
class ClockSample:
    sent: float
    received: float
    """When the answer's status line and headers arrived (local epoch seconds)."""
    server_second: float
    """The Date header as epoch seconds: the server's clock read somewhere in
    [server_second, server_second + 1) while the request was in flight."""

    @property
    def round_trip(self) -> float:
        return self.received - self.sent

    @property
    def handled(self) -> float:
        """When the server most likely read its clock: half way through the round trip."""
        return self.sent + self.round_trip / 2


@dataclass(frozen=True)
class ClockEstimate:
    offset: float
    """Seconds the site's clock runs ahead of ours (negative: behind)."""
    uncertainty: float
    """How far the offset may be off, either way (seconds)."""
    samples: int
    latency: float = 0.0
    """One way to the site: half the fastest round trip (seconds)."""
    spread: float = 0.0
    """How much more than `latency` one way usually takes (half the round trips' spread)."""


def parse_date_header(value: str) -> float:
    return parsedate_to_datetime(value).timestamp()


def _usual(samples: list[ClockSample]) -> list[ClockSample]:
    """The samples whose round trip was not held up on the way."""
    trips = sorted(s.round_trip for s in samples)
    fastest, median = trips[0], statistics.median(trips)
    limit = fastest + max(OUTLIER_SECONDS, 2 * (median - fastest))
    return [s for s in samples if s.round_trip <= limit]


def estimate_offset(samples: list[ClockSample]) -> ClockEstimate:
    """What the samples say of the offset and the latency.

    Each sample puts the server's clock at `handled` in [second, second + 1): the
    intersection of those intervals, its middle the estimate. Jitter can make the
    intervals miss each other by a little (the middle is still the best guess, and the
    miss the uncertainty); by more than a round trip means the clock stepped, and then
    the median of the samples' middles, uncertain by half a second.
    """
    if not samples:
        raise ValueError("no samples")
    usual = _usual(samples)
    trips = [s.round_trip for s in usual]
    latency = max(0.0, min(trips) / 2)
    spread = (statistics.median(trips) - min(trips)) / 2
    low = max(s.server_second - s.handled for s in usual)
    high = min(s.server_second + 1 - s.handled for s in usual)
    if low - high > max(trips):  # inconsistent beyond any path: a clock step
        middle = statistics.median(s.server_second + 0.5 - s.handled for s in usual)
        return ClockEstimate(middle, 0.5, len(samples), latency, spread)
    return ClockEstimate((low + high) / 2, abs(high - low) / 2, len(samples), latency, spread)


class DateProbes:
    """Kept-alive connections to a site straight from this process, so the send and
    receive times bracket the server's tightly. `probe(n)` GETs the login page on
    connection `n` and returns its sample; close() when done."""

    def __init__(self, base_url: str, timeout: float = 15.0,
                 now: Callable[[], float] = epoch, headers: Mapping[str, str] | None = None):
        self.parts = urlsplit(base_url.rstrip("/"))
        self.timeout = timeout
        self.now = now
        self.headers = {**(headers or {}), "Connection": "keep-alive"}
        """The browser's own headers (its User-Agent, languages), as its pages carry."""
        self._connections: dict[int, http.client.HTTPConnection] = {}

    def _connection(self, number: int) -> http.client.HTTPConnection:
        conn = self._connections.get(number)
        if conn is None:
            kind = (http.client.HTTPSConnection if self.parts.scheme == "https"
                    else http.client.HTTPConnection)
            conn = kind(self.parts.hostname or "", self.parts.port, timeout=self.timeout)
            self._connections[number] = conn
        return conn

    def probe(self, number: int = 0) -> ClockSample:
        """One sample; OSError when the site can't be reached or sends no Date."""
        conn = self._connection(number)
        if conn.sock is None:
            conn.connect()  # the handshake is not part of the round trip
        try:
            sent = self.now()
            conn.request("GET", f"{self.parts.path}/auth", headers=self.headers)
            response = conn.getresponse()  # returns once the status line and headers are in
            received = self.now()
            response.read()
        except (OSError, http.client.HTTPException) as exc:
            self._drop(number)
            raise OSError(str(exc) or type(exc).__name__) from None
        if response.will_close:
            self._drop(number)
        header = response.getheader("Date")
        if not header:
            raise OSError("the site sends no Date header")
        try:
            return ClockSample(sent, received, parse_date_header(header))
        except (TypeError, ValueError):
            raise OSError(f"the site's Date header is not a date: {header[:60]!r}") from None

    def _drop(self, number: int) -> None:
        conn = self._connections.pop(number, None)
        if conn is not None:
            conn.close()

    def close(self) -> None:
        for number in list(self._connections):
            self._drop(number)


def measure(probes: DateProbes, *, sleep: Callable[[float], None] = time.sleep,
            before: float | None = None, sequential: int = 12, spacing: float = 0.09,
            rounds: int = ROUNDS, connections: int = CONNECTIONS) -> ClockEstimate:
    """Probe one after another across a change of the site's second (about a second),
    then send volleys of `connections` probes at once, staggered so that the server
    handles them across the next changes, each volley narrower than the last. Volleys
    stop when the offset is known within `GOOD_ENOUGH`, or when one would end after
    `before` (an instant by the site's clock: the opening, less a margin)."""
    now = probes.now
    samples: list[ClockSample] = []
    for _ in range(sequential):
        samples.append(probes.probe(0))
        sleep(spacing)
    estimate = estimate_offset(samples)
    with ThreadPoolExecutor(connections, thread_name_prefix="clock-probe") as pool:
        try:  # connect them all first
            samples += pool.map(probes.probe, range(1, connections))
        except OSError:  # a site that refuses more connections: the first pass it is
            return estimate
        for _ in range(rounds):
            if estimate.uncertainty <= GOOD_ENOUGH:
                break
            # The next change of the site's second, by our clock, at least 0.2 s off.
            change = int(now() + estimate.offset) + 1 - estimate.offset
            if change - now() < 0.2:
                change += 1
            if before is not None and change + estimate.offset + 0.3 > before:
                break
            half = min(estimate.uncertainty, 0.3) + estimate.spread + 0.001
            step = 2 * half / (connections - 1)
            sends = [change - half + n * step - estimate.latency for n in range(connections)]

            def send_at(number: int, at: float) -> ClockSample:
                pause = at - now()
                if pause > 0:
                    sleep(pause)  # not a spin: the others' answers need the interpreter
                return probes.probe(number)

            try:
                samples += pool.map(send_at, range(connections), sends)
            except OSError:  # a volley that failed leaves the estimate as it was
                break
            estimate = estimate_offset(samples)
    return estimate


AIM_AFTER = 0.002
"""A form's request is aimed to arrive at least this long after the opening."""


def send_ahead(estimate: ClockEstimate, send_delay: float) -> float:
    """How long before the opening (by the site's clock) to send the form's request, so
    that it arrives just after: ahead by the way there (its fastest) and our own delay
    in sending it, less what the clock may be off by and some of the path's jitter.
    Arriving a few ms early costs a round trip; a few ms late costs those ms."""
    margin = estimate.uncertainty + max(AIM_AFTER, estimate.spread / 2)
    return max(0.0, estimate.latency + send_delay - margin)


_cache: dict[str, tuple[float, ClockEstimate]] = {}
_cache_lock = threading.Lock()
_site_locks: dict[str, threading.Lock] = {}


@contextlib.contextmanager
def _site_lock(base_url: str) -> Iterator[None]:
    with _cache_lock:
        lock = _site_locks.setdefault(base_url, threading.Lock())
    with lock:
        yield


def site_clock(base_url: str, timeout: float, before: float | None = None,
               headers: Mapping[str, str] | None = None) -> ClockEstimate:
    """The site's clock and latency, measured at most every `FRESH_SECONDS` per site;
    callers for the same site while it is measured wait for that measurement."""
    with _site_lock(base_url):
        kept = _cache.get(base_url)
        if kept is not None:
            age, estimate = time.monotonic() - kept[0], kept[1]
            # One cut short by a near opening is measured again at the next.
            if age < (FRESH_SECONDS if estimate.uncertainty <= ROUGH else ROUGH_FRESH_SECONDS):
                return estimate
        probes = DateProbes(base_url, timeout, headers=headers)
        try:
            estimate = measure(probes, before=before)
        finally:
            probes.close()
        _cache[base_url] = (time.monotonic(), estimate)
        return estimate


def forget() -> None:
    """Drop every kept measurement (for tests)."""
    with _cache_lock:
        _cache.clear()
