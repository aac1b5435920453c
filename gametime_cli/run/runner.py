"""`run-pending`: claim the due bookings, attempt each through its club's driver, record."""

from __future__ import annotations

import logging
import os
import queue
import secrets
import socket
import threading
import time as time_module
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from gametime_cli import paths
from gametime_cli.clock import to_iso, utcnow
from gametime_cli.errors import ExitCode, GametimeError, LeaseLost
from gametime_cli.models import Account, Booking, Club
from gametime_cli.output.notify import Announcer
from gametime_cli.run.attempt import (
    WATCHED,
    BookingAttempt,
    BookingResult,
    can_serve,
    remember_offer,
)
from gametime_cli.run.waiting import wait_until
from gametime_cli.secrets.credentials import CredentialsUnavailable
from gametime_cli.settings import Settings
from gametime_cli.sites import ARTIFACTS_DIR, browser_host, driver_for
from gametime_cli.sites.base import (
    AttemptFailed,
    CourtDay,
    OutcomeKind,
    SiteDriver,
    SlotRequest,
)
from gametime_cli.store import Store

if TYPE_CHECKING:
    from gametime_cli.sites.browser import BrowserHost

log = logging.getLogger("gametime")
SHARED_READ = 5.0
"""Seconds one read of a day's courts serves the other bookings watching that day."""


@dataclass
class RunReport:
    results: list[BookingResult]
    dry_run: bool = False

    @property
    def exit_code(self) -> ExitCode:
        if any(r.needs_attention for r in self.results):
            return ExitCode.ENVIRONMENT
        if not self.dry_run and any(r.booking.status in ("failed", "missed")
                                    for r in self.results):
            return ExitCode.BOOKING_FAILED
        return ExitCode.OK


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


PREPARED_BY = 1.0
"""Seconds before the opening (by the site's clock) that preparing must be done."""
PROBE_MARGIN = 2.0
"""Only a run this many seconds or more before its firing instant looks whether the
site is open already (one request); nearer the opening it just fires."""
LANE_POLL = 0.5
"""While lanes work, the run looks for newly due bookings this often."""


def _no_account(club: Club) -> CredentialsUnavailable:
    return CredentialsUnavailable(
        f"no account at {club.name} to book with; run 'gametime login --club {club.name}'")


class AccountLanes:
    """The run's lanes: one thread per club account, each with a store connection and
    an Executor of its own, booking its account's bookings one after the other (one
    booking form per session) on the run's shared browser."""

    def __init__(self, parent: Executor):
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
            _, account = self.parent.club_and_account(booking)
        except GametimeError:
            return None
        return account.username if account else None

    def _work(self, lane: queue.Queue[Booking | None]) -> None:
        parent = self.parent
        worker: Executor | None = None
        try:
            worker = Executor(Store.open(parent.home), clock=parent.clock, headed=parent.headed,
                              owner=parent.owner, stop=parent.stop, on_result=parent.on_result,
                              announcer=parent.announcer, browser=parent.browser)
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


class Executor:
    """Runs the bookings one run has claimed. One Executor works in one thread with its
    own database connection; each account's bookings are handed to a lane of their own
    (`AccountLanes`), all sharing the run's one browser."""

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
        self.announcer = announcer or Announcer(
            [url for _, url in store.notifiers()],
            on_result_command if on_result_command is not None else self.settings.on_result,
            clubs={club.name: club for club in store.list_clubs()},
            games=self.home / paths.GAMES_DIR)
        self.lease = timedelta(seconds=self.settings.lease_seconds)
        self._drivers: dict[tuple[int, str | None], SiteDriver] = {}
        self._day_reads: dict[tuple[int, str], tuple[float, list[CourtDay]]] = {}
        self._day_lock = threading.Lock()
        self._owns_browser = browser is None
        self.browser = browser or browser_host(self.settings, headed)

    def epoch(self) -> float:
        """The executor's clock as epoch seconds, for waits."""
        return self.clock().timestamp()

    def dry_run(self, lookahead: float | None = None) -> RunReport:
        now = self.clock()
        horizon = now + timedelta(seconds=self._lookahead(lookahead))
        return RunReport([BookingResult(b, "would_run")
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
                    if result.outcome != WATCHED or result.booking.id not in stay:
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
                                if r.booking.status == "pending" and r.booking.id not in parked
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
            if booking.id in parked or booking.status != "pending" or booking.due_at > now:
                continue
            current = self.store.get_booking(booking.id)
            if current.status != "pending" or current.lease_owner not in (None, self.owner):
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

    def _lost(self, booking: Booking) -> BookingResult:
        """This run may no longer work on the booking: cancelled, or taken over."""
        now = self.store.get_booking(booking.id)
        if now.status == "cancelled":
            log.info("booking %s: cancelled; this run stops before booking it", booking.id)
            return BookingResult(now, "cancelled")
        log.warning("booking %s: another run took it over; leaving it to that run", booking.id)
        return BookingResult(now, "lost", "lease lost")

    def _with_opening_note(self, result: BookingResult) -> BookingResult:
        from gametime_cli.booking.windows import opening_note

        club = self.store.club_by_id(result.booking.club_id)
        seen = club.settings.get("opening_seen") or {}
        note = opening_note(club)
        if note is None or seen.get("booking") != result.booking.id:
            return result
        return replace(result, note=str(note))

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

    def run_one(self, booking: Booking) -> BookingResult | None:
        """A claimed booking, at its time: waited for, prepared, attempted, announced.
        None if the run stopped first. A lease lost on the way ends only this booking."""
        try:
            if booking.due_at > self.clock():
                result = self._at_its_time(booking)
            else:
                result = self._execute(booking)
        except LeaseLost:
            result = self._lost(booking)
        if result is not None:
            result = self._with_opening_note(result)
            self.announcer.announce(result)
            if self.on_result:
                self.on_result(result)
        return result

    def _at_its_time(self, booking: Booking) -> BookingResult | None:
        """Wait for a booking that falls due soon. At its window's opening: prepare
        `lead_seconds` ahead (browser, login, courts, the site's clock), then fire at the
        opening by the site's clock. None if the run is stopping."""
        opening = booking.attempts == 0 and booking.due_at == booking.execute_at
        if opening:
            return self._at_the_opening(booking)
        if not wait_until(booking.due_at.timestamp(), now=self.epoch, stop=self.stop):
            return None
        return self._execute(booking)

    def _at_the_opening(self, booking: Booking) -> BookingResult | None:
        """Prepare `lead_seconds` ahead, then fire so as to arrive just after the opening
        by the site's clock (every account opening then aims at that one instant)."""
        lead = timedelta(seconds=self.settings.lead_seconds)
        if not wait_until((booking.due_at - lead).timestamp(), now=self.epoch,
                          stop=self.stop):
            return None
        self.store.check_lease(booking, self.owner)  # cancelled while it waited?
        try:
            driver = self.driver_for(booking)
            driver.prepare(booking.day, before=booking.due_at.timestamp() - PREPARED_BY)
        except AttemptFailed as failed:
            log.warning("booking %s: preparing failed (%s); firing anyway", booking.id,
                        failed.outcome.message)
        except GametimeError:
            pass  # _execute meets it again and reports it
        driver = self._drivers.get(self._driver_key(booking))
        if driver is not None:  # what preparing read of the club: kept for `book`
            remember_offer(self.store, booking.club_id, driver, self.clock())
        offset = getattr(driver, "clock_offset", 0.0)
        ahead = getattr(driver, "send_ahead", 0.0)
        fire_at = booking.due_at.timestamp() - offset - ahead
        if driver is not None and fire_at - self.epoch() > PROBE_MARGIN and self._open_already(
                booking, driver):
            return self._execute(booking)
        log.info("booking %s: prepared; the site's clock is %+.3f s from ours; firing "
                 "%.1f ms before its opening %s, to arrive just after it", booking.id,
                 offset, ahead * 1000, booking.due_at.isoformat())
        return self._execute(booking, fire_at=fire_at)

    def _open_already(self, booking: Booking, driver: SiteDriver) -> bool:
        """While preparing, one request for the form: is the site open before the
        club's rule says? Then book at once, and note the disagreement."""
        self.store.check_lease(booking, self.owner)
        request = SlotRequest(booking.id, 0, booking.day, booking.time, booking.duration,
                              booking.courts, booking.partners, booking.type, booking.account,
                              booking.any_court, guests=booking.guests)
        if not can_serve(driver, request, self.store.club_offer(booking.club_id)) or (
                driver.window_open(request) is not True):
            return False
        early = (booking.execute_at - self.clock()).total_seconds() + driver.clock_offset
        log.warning("booking %s: the site is open already, %.0f s before the club's rule "
                    "says; booking now", booking.id, early)
        self._note_opening(booking, -early, "already open")
        return True

    def _note_opening(self, booking: Booking, difference: float, how: str) -> None:
        """Keep what the site showed of its opening against the club's rule."""
        self.store.note_site_opening(booking.club_id, {
            "booking": booking.id, "day": booking.day.isoformat(),
            "rule": to_iso(booking.execute_at), "difference": round(difference, 1),
            "how": how, "seen": to_iso(self.clock()),
        })

    def opening_from(self, booking: Booking, driver: SiteDriver) -> None:
        """After an attempt that met 'too early' and then the form: when did it open?"""
        between = getattr(driver, "opened_between", None)
        if between is None:
            return
        driver.opened_between = None  # type: ignore[attr-defined]
        opened = (between[0] + between[1]) / 2 + driver.clock_offset
        self._note_opening(booking, opened - booking.execute_at.timestamp(), "opened late")

    def club_and_account(self, booking: Booking) -> tuple[Club, Account | None]:
        club = self.store.club_by_id(booking.club_id)
        try:
            return club, self.store.account_for(club, booking.account)
        except GametimeError as exc:
            raise CredentialsUnavailable(str(exc)) from None

    def _driver_key(self, booking: Booking) -> tuple[int, str | None]:
        club, account = self.club_and_account(booking)
        return (club.id, account.username if account else None)

    def driver_for(self, booking: Booking) -> SiteDriver:
        """The club's driver, logged in as the booking's account (one per account)."""
        club, account = self.club_and_account(booking)
        key = (club.id, account.username if account else None)
        if key not in self._drivers:
            self._drivers[key] = driver_for(club, account, self.settings, self.home,
                                            _no_account, self.headed, host=self.browser)
        return self._drivers[key]

    def read_day(self, driver: SiteDriver, booking: Booking) -> list[CourtDay]:
        """The day's courts for a booking that keeps trying: one read of the site serves
        every booking of this run watching the same club and day (within SHARED_READ)."""
        key = (booking.club_id, booking.day.isoformat())
        with self._day_lock:
            read = self._day_reads.get(key)
            if read is None or time_module.monotonic() - read[0] > SHARED_READ:
                read = (time_module.monotonic(), driver.day_courts(booking.day))
                self._day_reads[key] = read
            return read[1]

    def _execute(self, booking: Booking, fire_at: float | None = None) -> BookingResult | None:
        """One attempt at the booking (see `BookingAttempt`)."""
        return BookingAttempt(self, booking).run(fire_at)

    def close(self) -> None:
        for driver in self._drivers.values():
            try:
                driver.close()
            except Exception:
                log.exception("closing a site driver failed")
        self._drivers.clear()
        if self._owns_browser:
            self.browser.close()
