"""`gametime watch`: one long-lived process that wakes when the next booking needs
preparing, and notices new, changed or cancelled bookings within a second."""

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
from gametime_cli.executor import BookingResult, Executor
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
    """Run until `stop` is set: book what falls due, at the openings, and sleep between."""
    on_event(WatchEvent("started", utcnow(), next_due=store.next_due()))
    version = store.data_version()
    while not stop.is_set():
        settings = Settings(store.settings())
        ahead = timedelta(seconds=settings.lead_seconds) + MARGIN
        now = utcnow()
        if store.has_due(now, now + ahead):
            executor = Executor(store, headed=headed, stop=stop,
                                on_result=lambda r: on_event(WatchEvent("result", utcnow(), r)),
                                on_result_command=on_result_command)
            executor.run_pending(max_wait=settings.max_wait,
                                 lookahead=ahead.total_seconds())
            version = store.data_version()
            continue
        next_due = store.next_due()
        on_event(WatchEvent("waiting", now, next_due=next_due))
        wake = next_due - ahead if next_due else None
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
                on_event(WatchEvent("changed", utcnow(), next_due=store.next_due()))
                break
    on_event(WatchEvent("stopped", utcnow()))
