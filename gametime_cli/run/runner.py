"""`run-pending`: claim the due bookings, hand each to its account's lane, stay for the
retries the run schedules."""

from __future__ import annotations

import logging
import os
import queue
import secrets
import socket
import threading
import time as time_module
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from gametime_cli.clock import utcnow
from gametime_cli.errors import GametimeError
from gametime_cli.models import Booking, Status
from gametime_cli.output.notify import Announcer
from gametime_cli.run.lane import AccountLane, club_and_account
from gametime_cli.run.result import BookingResult, RunOutcome, RunReport
from gametime_cli.run.waiting import wait_until
from gametime_cli.settings import Settings
from gametime_cli.sites import ARTIFACTS_DIR, browser_host
from gametime_cli.sites.base import OutcomeKind
from gametime_cli.store import Store

if TYPE_CHECKING:
    from gametime_cli.sites.browser import BrowserHost

log = logging.getLogger("gametime")


def new_owner() -> str:
    """A lease owner token: unguessable, with the host and pid for whoever reads the db."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(8)}"


def prune_artifacts(folder: Path, days: int, now: float | None = None) -> int:
    """Delete kept screenshots and pages older than `days`; returns how many."""
    if folder.is_symlink() or not folder.is_dir():
        return 0  # a link is refused where the home is opened, never followed
    cutoff = (now or time_module.time()) - days * 86400
    removed = 0
    for path in folder.iterdir():
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except OSError:
            continue
    return removed


LANE_POLL = 0.5
"""While lanes work, the run looks for newly due bookings this often."""


class AccountLanes:
    """The run's lanes: one thread per club account, each an `AccountLane` with a store
    connection of its own, booking its account's bookings one after the other (one
    booking form per session) on the run's shared browser."""

    def __init__(self, parent: Runner):
        self.parent = parent
        self._queues: dict[tuple[int, str | None], queue.Queue[Booking | None]] = {}
        self._threads: list[threading.Thread] = []
        self._done: queue.Queue[tuple[int, BookingResult | BaseException | None]] = (
            queue.Queue())
        self._in_flight: dict[int, bool] = {}
        """Booking ids handed to a lane and not yet back, with whether each was due now."""

    def in_flight(self) -> set[int]:
        return set(self._in_flight)

    def running_due_now(self) -> bool:
        return any(self._in_flight.values())

    def dispatch(self, booking: Booking, due_now: bool = False) -> None:
        key = (booking.club_id, booking.account or self._account_of(booking))
        if key not in self._queues:
            lane: queue.Queue[Booking | None] = queue.Queue()
            thread = threading.Thread(target=self._work, args=(lane,), daemon=True,
                                      name=f"lane-{key[0]}-{key[1]}")
            self._queues[key] = lane
            self._threads.append(thread)
            thread.start()
        self._in_flight[booking.id] = due_now
        self._queues[key].put(booking)

    def _account_of(self, booking: Booking) -> str | None:
        """The account a booking with none named books with (the club's only one)."""
        try:
            _, account = club_and_account(self.parent.store, booking)
        except GametimeError:
            return None
        return account.username if account else None

    def _work(self, lane: queue.Queue[Booking | None]) -> None:
        parent = self.parent
        worker: AccountLane | None = None
        try:
            worker = AccountLane(Store.open(parent.home), clock=parent.clock,
                                 headed=parent.headed, owner=parent.owner, stop=parent.stop,
                                 on_result=parent.on_result, announcer=parent.announcer,
                                 browser=parent.browser)
            while (booking := lane.get()) is not None:
                try:
                    result: BookingResult | BaseException | None = worker.run_one(booking)
                except BaseException as exc:
                    result = exc
                    parent.stop.set()
                self._done.put((booking.id, result))
        except BaseException as exc:  # the lane could not start: its bookings come back
            parent.stop.set()
            self._done.put((-1, exc))
        finally:
            if worker is not None:
                worker.close()
                worker.store.close()

    def wait(self, timeout: float) -> None:
        """Until a lane finishes a booking, or `timeout` seconds."""
        try:
            item = self._done.get(timeout=timeout)
        except queue.Empty:
            return
        self._done.put(item)

    def finished(self) -> list[BookingResult]:
        """What the lanes finished since the last call; a lane's error is raised here."""
        found: list[BookingResult] = []
        while True:
            try:
                booking_id, result = self._done.get_nowait()
            except queue.Empty:
                return found
            self._in_flight.pop(booking_id, None)
            if isinstance(result, BaseException):
                raise result
            if result is not None:
                found.append(result)

    def close(self) -> None:
        """Let each lane finish what it holds (at once when the run is stopping)."""
        for lane in self._queues.values():
            lane.put(None)
        for thread in self._threads:
            while thread.is_alive():
                thread.join(0.2)


class Runner:
    """One run of `run-pending` (or one turn of `watch`): claims what is due, hands each
    account's bookings to a lane of its own (`AccountLanes`), all on the run's one
    browser, and stays for the retries it schedules."""

    def __init__(
        self,
        store: Store,
        *,
        clock: Callable[[], datetime] = utcnow,
        headed: bool = False,
        owner: str | None = None,
        stop: threading.Event | None = None,
        on_result: Callable[[BookingResult], None] | None = None,
        on_result_command: str | None = None,
        announcer: Announcer | None = None,
        browser: BrowserHost | None = None,
    ):
        self.store = store
        self.headed = headed
        self.home = store.path.parent
        self.settings = Settings(store.settings())
        self.clock = clock
        self.owner = owner or new_owner()
        self.stop = stop or threading.Event()
        self.on_result = on_result
        self.announcer = announcer or Announcer.for_store(store, self.settings,
                                                          on_result_command)
        self.lease = timedelta(seconds=self.settings.lease_seconds)
        self._owns_browser = browser is None
        self.browser = browser or browser_host(self.settings, headed)

    def epoch(self) -> float:
        """The run's clock as epoch seconds, for waits."""
        return self.clock().timestamp()

    def dry_run(self, lookahead: float | None = None) -> RunReport:
        now = self.clock()
        horizon = now + timedelta(seconds=self._lookahead(lookahead))
        return RunReport([BookingResult(b, RunOutcome.WOULD_RUN)
                          for b in self.store.due_bookings(now, horizon)], dry_run=True)

    def _lookahead(self, lookahead: float | None) -> float:
        return self.settings.lookahead if lookahead is None else lookahead

    def run_pending(self, max_wait: float | None = None,
                    lookahead: float | None = None) -> RunReport:
        """Run every booking that is due, or whose window opens within `lookahead`
        seconds (waiting for the opening in-process); stay up to `max_wait` seconds for
        the retries this run schedules, so a failure is retried in seconds.

        Each account books in a lane of its own (a thread, one booking after another),
        all lanes sharing the run's one browser, so accounts opening at the same
        instant fire together and one account's slow attempt never delays another's
        opening. Bookings due now are claimed one at a time, so overlapping runs share
        them; openings within the lookahead are all claimed, to be prepared ahead."""
        wait = timedelta(seconds=self.settings.max_wait if max_wait is None else max_wait)
        ahead = timedelta(seconds=self._lookahead(lookahead))
        results: dict[int, BookingResult] = {}
        stay: dict[int, datetime] = {}
        """How long the run stays for each booking's next retry."""
        parked: set[int] = set()
        prune_artifacts(self.home / ARTIFACTS_DIR, self.settings.artifacts_days)
        from gametime_cli.booking.series import materialize_due

        materialize_due(self.store, self.clock())
        lanes = AccountLanes(self)
        try:
            while not self.stop.is_set():
                for result in lanes.finished():
                    self._collect([result], results, parked)
                    if result.outcome != RunOutcome.WATCHING or result.booking.id not in stay:
                        stay[result.booking.id] = self._stay_for(result, wait)
                busy = lanes.in_flight()
                if not lanes.running_due_now() and (booking := self.store.claim_next_due(
                        self.owner, self.clock(), self.lease, exclude=parked | busy)):
                    lanes.dispatch(booking, due_now=True)
                    continue
                while booking := self.store.claim_next_due(
                    self.owner, self.clock(), self.lease,
                    exclude=parked | set(results) | lanes.in_flight(),
                    horizon=self.clock() + ahead, later_only=True,
                ):
                    lanes.dispatch(booking)
                if lanes.in_flight():
                    lanes.wait(LANE_POLL)
                    continue
                retry_at = min((r.booking.due_at for r in results.values()
                                if r.booking.status == Status.PENDING and r.booking.id not in parked
                                and r.booking.due_at <= stay[r.booking.id]), default=None)
                if retry_at is None:
                    break
                if retry_at <= self.clock():
                    # Due, yet not claimed above: another run holds it or finished it.
                    # It is that run's now; looking again at once would spin.
                    self._leave_to_others(results, parked)
                    continue
                if not wait_until(retry_at.timestamp(), now=self.epoch, stop=self.stop):
                    break
            for result in lanes.finished():
                self._collect([result], results, parked)
        except BaseException:
            self.stop.set()
            raise
        finally:
            lanes.close()
            if self.stop.is_set():
                self._release_all()
            self.close()
        return RunReport(list(results.values()))

    def _leave_to_others(self, results: dict[int, BookingResult], parked: set[int]) -> None:
        """Stop staying for the retries this run scheduled that another run has taken
        (leased, or already finished): park them here. Whatever is still pending and
        free is claimed at the next turn; a short pause keeps this from spinning."""
        now = self.clock()
        for result in results.values():
            booking = result.booking
            if booking.id in parked or booking.status != Status.PENDING or booking.due_at > now:
                continue
            current = self.store.get_booking(booking.id)
            if current.status != Status.PENDING or current.lease_owner not in (None, self.owner):
                parked.add(booking.id)
        self.stop.wait(LANE_POLL / 5)

    def _release_all(self) -> None:
        """Hand back what this run holds; if the database won't take the write (it is
        the database that failed), the leases run out by themselves."""
        import sqlite3

        try:
            self.store.release_all(self.owner, self.clock(), "the run stopped before it")
        except sqlite3.Error as exc:
            log.debug("could not hand back this run's bookings (%s); their leases will "
                      "run out", exc)

    @staticmethod
    def _collect(found: list[BookingResult], results: dict[int, BookingResult],
                 parked: set[int]) -> None:
        for result in found:
            results[result.booking.id] = result
            if result.needs_attention:
                parked.add(result.booking.id)

    def _stay_for(self, result: BookingResult, wait: timedelta) -> datetime:
        """Until when the run stays to retry this booking: `max_wait` from its result,
        and while the site still says 'too early' at an opening, at least to the end
        of its `fire_retry_seconds` after the rule's opening, whatever `max_wait` is
        (each retry's result extends the stay again by `max_wait`)."""
        until = self.clock() + wait
        booking = result.booking
        at_an_opening = booking.execute_at > booking.created_at  # not open when booked
        if result.outcome == OutcomeKind.NOT_OPEN.value and at_an_opening:
            fired = timedelta(seconds=self.settings.fire_retry_seconds)
            until = max(until, result.booking.execute_at + fired)
        return until

    def close(self) -> None:
        """Close the run's browser, when the run started it."""
        if self._owns_browser:
            self.browser.close()
