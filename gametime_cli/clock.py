"""UTC instants as the store keeps them: fixed-width ISO 8601 text that sorts as time does.

`utcnow()` is the one clock that decides dates, countdowns and what is due. For tests
only, `GAMETIME_NOW` (an ISO 8601 UTC instant, `2026-12-31T23:59:30Z`) starts that clock
at the given instant when the process first reads it; from there it advances in real
time, so waits and leases behave as usual.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta

from gametime_cli.errors import BadInput

_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
NOW_VARIABLE = "GAMETIME_NOW"
PINNED_YEARS = (2000, 9000)
"""The years GAMETIME_NOW may pin: far enough inside the calendar for every instant
computed from now (ten years of bookings, their windows, leases) to exist."""

_pinned: tuple[str, datetime, float] | None = None
"""The GAMETIME_NOW text last read, the instant it names, and time.monotonic() then.
(Replaced in one assignment: threads that race on the very first read start it within
microseconds of each other, and `main` reads it first, before any thread starts.)"""


def parse_pinned(text: str) -> datetime:
    """The instant a GAMETIME_NOW value names; BadInput when it isn't an ISO 8601 instant
    with its UTC offset (`Z` or `+00:00`)."""
    example = "e.g. 2026-12-31T23:59:30Z"
    try:
        instant = datetime.fromisoformat(text.strip())
    except ValueError:
        raise BadInput(f"{NOW_VARIABLE}={text!r} is not an ISO 8601 instant; write it in UTC, "
                       f"{example}, or unset it (it is a testing aid)") from None
    if instant.utcoffset() is None:
        raise BadInput(f"{NOW_VARIABLE}={text!r} has no time zone; end it with Z for UTC, "
                       f"{example}")
    if instant.utcoffset() != timedelta(0):
        raise BadInput(f"{NOW_VARIABLE}={text!r} is not in UTC; write it with Z, {example}")
    if not PINNED_YEARS[0] <= instant.year <= PINNED_YEARS[1]:
        raise BadInput(f"{NOW_VARIABLE}={text!r} is out of range; pin an instant in the years "
                       f"{PINNED_YEARS[0]} to {PINNED_YEARS[1]}, {example}")
    return instant.astimezone(UTC)


def _pinned_now(text: str) -> datetime:
    global _pinned
    pinned = _pinned
    if pinned is None or pinned[0] != text:
        pinned = _pinned = (text, parse_pinned(text), time.monotonic())
    _, start, origin = pinned
    return start + timedelta(seconds=time.monotonic() - origin)


def utcnow() -> datetime:
    """Now, in UTC: the system clock, or GAMETIME_NOW's instant plus the time since this
    process first read it."""
    text = os.environ.get(NOW_VARIABLE)
    if not text:
        return datetime.now(UTC)
    return _pinned_now(text)


def epoch() -> float:
    """`utcnow()` as epoch seconds, for waits against the wall clock (time.time())."""
    if not os.environ.get(NOW_VARIABLE):
        return time.time()
    return utcnow().timestamp()


def restart_pinned() -> None:
    """Forget when GAMETIME_NOW was first read: the next read starts its clock afresh
    (for tests that pin the same instant more than once in one process)."""
    global _pinned
    _pinned = None


def to_iso(instant: datetime) -> str:
    """`2026-11-27T14:00:00.000Z`: milliseconds, always the same width."""
    text = instant.astimezone(UTC).strftime(_FORMAT)
    return text[:-4] + "Z"


def from_iso(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)
