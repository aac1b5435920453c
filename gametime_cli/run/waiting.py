"""Waking on time: waits against the wall clock that notice a clock step or a sleeping
machine, and end in a short busy-wait. (The site's clock is `site_clock`'s.)"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from gametime_cli.clock import epoch

SPIN_SECONDS = 0.003
"""The last few milliseconds before firing are busy-waited, not slept."""
COARSE_SLEEP = 0.25
"""Sleeps are at most this long, so a clock step or a sleeping machine is noticed."""


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
    """`wait_until` on an event loop: sleep while far, spin the last few milliseconds,
    yielding to the loop on each turn: accounts firing a moment apart each go at their
    instant, and the pages already asked for are answered meanwhile."""
    import asyncio

    while (remaining := target - now()) > SPIN_SECONDS:
        await asyncio.sleep(min(remaining - SPIN_SECONDS, COARSE_SLEEP))
    while now() < target:
        await asyncio.sleep(0)
