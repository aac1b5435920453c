"""`gametime watch`: one long-lived process that wakes when the next booking needs
preparing, and notices new, changed or cancelled bookings within half a second."""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from gametime_cli import paths
from gametime_cli.clock import utcnow
from gametime_cli.errors import EnvironmentProblem
from gametime_cli.run.next_step import PARK_SECONDS
from gametime_cli.run.result import BookingResult
from gametime_cli.run.runner import Runner
from gametime_cli.settings import Settings
from gametime_cli.store import Store

LOCK_NAME = "watch.lock"
MARGIN = timedelta(seconds=5)
"""Claim a booking this long before its preparation starts."""
CHANGE_POLL = 0.5
"""How often `PRAGMA data_version` is read while sleeping: changes are seen within it."""


@dataclass(frozen=True)
class WatchEvent:
    kind: str
    """'started', 'waiting', 'changed', 'result', 'stopped'."""
    at: datetime
    result: BookingResult | None = None
    next_due: datetime | None = None


class WatchLock:
    """One watch per data home: an exclusive lock on `watch.lock`, holding the pid."""

    def __init__(self, home: Path):
        self.path = home / LOCK_NAME
        self.fd: int | None = None

    def acquire(self) -> None:
        fd = paths.open_private(self.path, os.O_RDWR | os.O_CREAT)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode("ascii", "replace").strip() or "?"
            os.close(fd)
            raise EnvironmentProblem(
                f"another gametime watch is running for {self.path.parent} (pid {holder}); "
                "stop it first, or use it"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self.fd = fd

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def watch(store: Store, *, stop: threading.Event, on_event: Callable[[WatchEvent], None],
          headed: bool = False, on_result_command: str | None = None) -> None:
    """Run until `stop` is set: book what falls due, at the openings, and sleep between.

    A booking that ends needing the player's hand (a password it can't read, a site that
    sends it elsewhere) stays pending and due; the watch holds it back for PARK_SECONDS
    rather than running it again at once, while every other booking keeps its time."""
    on_event(WatchEvent("started", utcnow(), next_due=store.next_due()))
    version = store.data_version()
    held: dict[int, datetime] = {}
    """Bookings that need the player's hand, and until when the watch leaves them be."""
    while not stop.is_set():
        settings = Settings(store.settings())
        ahead = timedelta(seconds=settings.lead_seconds) + MARGIN
        now = utcnow()
        held = {i: until for i, until in held.items() if until > now}
        if _has_due(store, now, now + ahead, held):
            runner = Runner(store, headed=headed, stop=stop,
                            on_result=lambda r: on_event(WatchEvent("result", utcnow(), r)),
                            on_result_command=on_result_command)
            report = runner.run_pending(max_wait=settings.max_wait,
                                        lookahead=ahead.total_seconds())
            later = utcnow() + timedelta(seconds=PARK_SECONDS)
            held.update({r.booking.id: later for r in report.results if r.needs_attention})
            version = store.data_version()
            continue
        next_due = _next_due(store, held)
        next_read = store.next_read()  # keeping trying: no preparing, read at the time
        wake = next_due - ahead if next_due else None
        if next_read is not None:
            wake = min(wake, next_read) if wake else next_read
            next_due = min(next_due, next_read) if next_due else next_read
        on_event(WatchEvent("waiting", now, next_due=next_due))
        if held:
            wake = min([*([wake] if wake else []), *held.values()])
        while not stop.is_set():
            now = utcnow()
            if wake is not None and now >= wake:
                break
            pause = CHANGE_POLL if wake is None else min(CHANGE_POLL,
                                                         (wake - now).total_seconds())
            if stop.wait(max(pause, 0.01)):
                break
            current = store.data_version()
            if current != version:
                version = current
                held.clear()  # the player may have fixed it: try again now
                on_event(WatchEvent("changed", utcnow(), next_due=store.next_due()))
                break
    on_event(WatchEvent("stopped", utcnow()))


def _has_due(store: Store, now: datetime, horizon: datetime, held: dict[int, datetime]) -> bool:
    """Anything to run by `horizon`, leaving out the bookings held back."""
    if not store.has_due(now, horizon):
        return False
    if not held:
        return True
    if any(b.id not in held for b in store.due_bookings(now, horizon)):
        return True
    return bool(store.series_due(now))


def _next_due(store: Store, held: dict[int, datetime]) -> datetime | None:
    """When the earliest booking not held back falls due (or a lease runs out)."""
    return store.next_due(exclude=set(held))
