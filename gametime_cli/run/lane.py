"""What one attempt may ask of the account lane that runs it: the lane's store
connection and clock, its drivers and the day's shared reads. `BookingAttempt` knows
its lane only through `Lane`; the runner (`run/runner.py`) is one implementation."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from gametime_cli.models import Account, Booking, Club
    from gametime_cli.settings import Settings
    from gametime_cli.sites.base import CourtDay, SiteDriver
    from gametime_cli.store import Store


class Lane(Protocol):
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
        """The day's courts, one read shared by the run's bookings watching that day."""
        ...

    def opening_from(self, booking: Booking, driver: SiteDriver) -> None:
        """After an attempt that met 'too early' and then the form: note when it opened."""
        ...
