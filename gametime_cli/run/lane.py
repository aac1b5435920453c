"""One account's lane: the bookings of one club account, one after the other (one
booking form per session), each waited for, prepared at its opening, attempted and
announced. `Lane` is what an attempt may ask of it; `AccountLane` is the lane itself,
with its own store connection and drivers, on the run's shared browser."""

from __future__ import annotations

import logging
import threading
import time as time_module
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from gametime_cli.clock import utcnow
from gametime_cli.errors import GametimeError, LeaseLost
from gametime_cli.models import Account, Booking, Club, Status
from gametime_cli.output.notify import Announcer
from gametime_cli.run.attempt import BookingAttempt
from gametime_cli.run.opening import note_late_opening, prepare_for_opening, with_opening_note
from gametime_cli.run.result import BookingResult, RunOutcome
from gametime_cli.run.waiting import wait_until
from gametime_cli.secrets.credentials import CredentialsUnavailable
from gametime_cli.settings import Settings
from gametime_cli.sites import browser_host, driver_for

if TYPE_CHECKING:
    from gametime_cli.sites.base import CourtDay, SiteDriver
    from gametime_cli.sites.browser import BrowserHost
    from gametime_cli.store import Store

log = logging.getLogger("gametime")
SHARED_READ = 5.0
"""Seconds one read of a day's courts serves the lane's other bookings watching that day."""


class Lane(Protocol):
    """What one attempt may ask of the lane that runs it: the lane's store connection
    and clock, its drivers and the day's shared reads."""

    store: Store
    """The lane's own database connection."""
    owner: str
    """The lease owner the run claims with."""
    clock: Callable[[], datetime]
    lease: timedelta
    settings: Settings
    stop: threading.Event
    """Set when the run is stopping: waits end early."""

    def epoch(self) -> float:
        """The lane's clock as epoch seconds, for waits."""
        ...

    def club_and_account(self, booking: Booking) -> tuple[Club, Account | None]:
        """The booking's club and the account it books with."""
        ...

    def driver_for(self, booking: Booking) -> SiteDriver:
        """The club's driver, logged in as the booking's account (one per account)."""
        ...

    def read_day(self, driver: SiteDriver, booking: Booking) -> list[CourtDay]:
        """The day's courts, one read shared by the lane's bookings watching that day."""
        ...

    def opening_from(self, booking: Booking, driver: SiteDriver) -> None:
        """After an attempt that met 'too early' and then the form: note when it opened."""
        ...


def club_and_account(store: Store, booking: Booking) -> tuple[Club, Account | None]:
    """The booking's club and the account it books with (the one it names, or the
    club's only one); CredentialsUnavailable when that can't be told."""
    club = store.club_by_id(booking.club_id)
    try:
        return club, store.account_for(club, booking.account)
    except GametimeError as exc:
        raise CredentialsUnavailable(str(exc)) from None


def _no_account(club: Club) -> CredentialsUnavailable:
    return CredentialsUnavailable(
        f"no account at {club.name} to book with; run 'gametime login --club {club.name}'")


class AccountLane:
    """One account's bookings, one after the other, in one thread with a store
    connection of its own. Implements `Lane` for the attempts it runs."""

    def __init__(
        self,
        store: Store,
        *,
        clock: Callable[[], datetime] = utcnow,
        headed: bool = False,
        owner: str,
        stop: threading.Event | None = None,
        on_result: Callable[[BookingResult], None] | None = None,
        announcer: Announcer | None = None,
        browser: BrowserHost | None = None,
    ):
        self.store = store
        self.home = store.path.parent
        self.settings = Settings(store.settings())
        self.clock = clock
        self.headed = headed
        self.owner = owner
        self.stop = stop or threading.Event()
        self.on_result = on_result
        self.announcer = announcer or Announcer.for_store(store, self.settings)
        self.lease = timedelta(seconds=self.settings.lease_seconds)
        self._drivers: dict[tuple[int, str | None], SiteDriver] = {}
        self._day_reads: dict[tuple[int, str], tuple[float, list[CourtDay]]] = {}
        self._day_lock = threading.Lock()
        self._owns_browser = browser is None
        self.browser = browser or browser_host(self.settings, headed)

    def epoch(self) -> float:
        return self.clock().timestamp()

    def run_one(self, booking: Booking) -> BookingResult | None:
        """A claimed booking, at its time: waited for, prepared, attempted, announced.
        None if the run stopped first. A lease lost on the way ends only this booking."""
        try:
            if booking.due_at > self.clock():
                result = self._at_its_time(booking)
            else:
                result = self._attempt(booking)
        except LeaseLost:
            result = self._lost(booking)
        if result is not None:
            result = with_opening_note(self.store, result)
            self.announcer.announce(result)
            if self.on_result:
                self.on_result(result)
        return result

    def _at_its_time(self, booking: Booking) -> BookingResult | None:
        """Wait for a booking that falls due soon. At its window's opening: prepare
        `lead_seconds` ahead (browser, login, courts, the site's clock), then fire at the
        opening by the site's clock. None if the run is stopping."""
        if booking.attempts == 0 and booking.due_at == booking.execute_at:
            firing = prepare_for_opening(self, booking)
            return None if firing is None else self._attempt(booking, fire_at=firing.at)
        if not wait_until(booking.due_at.timestamp(), now=self.epoch, stop=self.stop):
            return None
        return self._attempt(booking)

    def _attempt(self, booking: Booking, fire_at: float | None = None) -> BookingResult | None:
        """One attempt at the booking (see `BookingAttempt`)."""
        return BookingAttempt(self, booking).run(fire_at)

    def _lost(self, booking: Booking) -> BookingResult:
        """This run may no longer work on the booking: cancelled, or taken over."""
        now = self.store.get_booking(booking.id)
        if now.status == Status.CANCELLED:
            log.info("booking %s: cancelled; this run stops before booking it", booking.id)
            return BookingResult(now, RunOutcome.CANCELLED)
        log.warning("booking %s: another run took it over; leaving it to that run", booking.id)
        return BookingResult(now, RunOutcome.LOST, "lease lost")

    def club_and_account(self, booking: Booking) -> tuple[Club, Account | None]:
        return club_and_account(self.store, booking)

    def driver_for(self, booking: Booking) -> SiteDriver:
        club, account = self.club_and_account(booking)
        key = (club.id, account.username if account else None)
        if key not in self._drivers:
            self._drivers[key] = driver_for(club, account, self.settings, self.home,
                                            _no_account, self.headed, host=self.browser)
        return self._drivers[key]

    def read_day(self, driver: SiteDriver, booking: Booking) -> list[CourtDay]:
        """One read of the site serves every booking of this lane watching the same club
        and day (within SHARED_READ)."""
        key = (booking.club_id, booking.day.isoformat())
        with self._day_lock:
            read = self._day_reads.get(key)
            if read is None or time_module.monotonic() - read[0] > SHARED_READ:
                read = (time_module.monotonic(), driver.day_courts(booking.day))
                self._day_reads[key] = read
            return read[1]

    def opening_from(self, booking: Booking, driver: SiteDriver) -> None:
        note_late_opening(self.store, booking, driver, self.clock())

    def close(self) -> None:
        """Close the lane's drivers (and the browser, when the lane started its own)."""
        for driver in self._drivers.values():
            try:
                driver.close()
            except Exception:
                log.exception("closing a site driver failed")
        self._drivers.clear()
        if self._owns_browser:
            self.browser.close()
