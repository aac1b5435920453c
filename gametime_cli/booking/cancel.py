"""Cancelling a booking: here while it is still to run, on the club's site once the club
has confirmed it, or, while a run is submitting it, by waiting for that run to settle it."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from gametime_cli.errors import BadInput, EnvironmentProblem
from gametime_cli.models import Booking, CancelAnswer, Club, Status
from gametime_cli.settings import Settings
from gametime_cli.sites import driver_for
from gametime_cli.sites.base import AttemptFailed, HeldBooking, LoginRefused, SiteDriver
from gametime_cli.store import Store


def cancel_on_site(store: Store, booking: Booking, driver: SiteDriver, now: datetime,
                   user_id: int | None = None) -> str:
    """Cancel a confirmed booking through the driver and record it `cancelled`.
    Returns a note for the player; EnvironmentProblem (exit 3), with the booking left
    as it was, when the site can't be reached or won't cancel it."""
    if booking.court is None or not booking.number:
        raise BadInput(f"booking {booking.id} has no court or number to cancel on the site by")
    held = HeldBooking(booking.day, booking.court,
                       booking.played_time.hour * 60 + booking.played_time.minute,
                       booking.confirmation, booking.site_id, user_id)
    try:
        had_it = driver.cancel_booking(held)
    except (AttemptFailed, LoginRefused) as exc:
        reason = exc.outcome.message if isinstance(exc, AttemptFailed) else str(exc)
        store.note_error(booking.id, f"cancelling on the site failed: {reason}", now)
        raise EnvironmentProblem(
            f"could not cancel booking {booking.id} on {booking.club}'s site ({reason}); it "
            f"is still booked there ({held.label()}): try again, or "
            f"cancel it on the site and run 'gametime cancel {booking.id} --local-only'"
        ) from None
    note = None if had_it else "the site no longer had it (cancelled by hand?)"
    store.mark_cancelled(booking.id, now, note)
    return note or f"cancelled on {booking.club}'s site ({held.label()})"


def _no_account(club: Club) -> EnvironmentProblem:
    return EnvironmentProblem(
        f"no account at {club.name} to cancel with; run 'gametime login --club {club.name}'")


def cancel_confirmed(store: Store, booking: Booking, home: Path, now: datetime,
                     headed: bool = False) -> str:
    """Log in as the booking's account and cancel it on the club's site."""
    club = store.club_by_id(booking.club_id)
    account = store.account_for(club, booking.account)
    driver = driver_for(club, account, Settings(store.settings()), home, _no_account, headed)
    try:
        return cancel_on_site(store, booking, driver, now,
                              account.user_id if account is not None else None)
    finally:
        driver.close()


CANCEL_WAIT = 60.0
"""How long `cancel` waits for a run that is submitting the booking to settle it."""


@dataclass(frozen=True)
class CancelResult:
    """What `cancel` did: the booking as it is now, and the note for the player."""

    booking: Booking
    message: str

    @property
    def cancelled(self) -> bool:
        return self.booking.status == Status.CANCELLED


def cancel(store: Store, booking_id: int, clock: Callable[[], datetime], *,
           local_only: bool = False, wait: float = CANCEL_WAIT) -> CancelResult:
    """Cancel a booking wherever it is (see `CancelAnswer`): on the club's site when it
    is confirmed (or, `local_only`, forget it here only), else here; while a run is
    submitting it, wait up to `wait` seconds for that run to settle it."""
    before = store.get_booking(booking_id)
    what = store.cancel_booking(booking_id, clock())
    if what == CancelAnswer.ALREADY:
        note = f"Booking {booking_id} was already cancelled."
    elif what == CancelAnswer.ENDED:
        note = (f"Booking {booking_id} had already ended as "
                f"{store.get_booking(booking_id).status}; nothing was booked to cancel.")
    elif what == CancelAnswer.CANCELLED:
        note = f"Cancelled booking {booking_id}." + (
            " The run that held it stops before booking it."
            if before.status == Status.RUNNING else "")
    elif what == CancelAnswer.ON_SITE and local_only:
        store.mark_cancelled(booking_id, clock(), "forgotten here only (--local-only); "
                             "cancelled on the site by hand")
        note = (f"Forgot booking {booking_id} here; make sure it is cancelled on "
                f"{before.club}'s site ({before.number_label}).")
    elif what == CancelAnswer.ON_SITE:
        done = cancel_confirmed(store, before, store.path.parent, clock())
        note = f"Cancelled booking {booking_id}: {done}."
    else:
        note = await_the_run(store, booking_id, wait)
    return CancelResult(store.get_booking(booking_id), note)


def await_the_run(store: Store, booking_id: int, wait: float = CANCEL_WAIT) -> str:
    """A run is submitting the booking: wait (up to `wait` seconds) for it to settle and
    cancel it on the site once the club confirms it. Returns the note for the player."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        booking = store.get_booking(booking_id)
        if booking.status == Status.CANCELLED:
            return (f"Cancelled booking {booking_id}: it was being submitted; "
                    f"{booking.last_error or 'the club did not keep it'}."
                    if booking.number is None else
                    f"Cancelled booking {booking_id}: the club had just confirmed it "
                    f"({booking.number_label}); it was cancelled on the site.")
        if booking.status == Status.CONFIRMED and (booking.last_error or "").startswith(
                "cancelling on the site failed"):
            raise EnvironmentProblem(
                f"booking {booking_id} was confirmed as the cancel came, and {booking.last_error}; "
                f"run 'gametime cancel {booking_id}' again")
        if booking.status in (Status.FAILED, Status.MISSED):
            return f"Booking {booking_id} ended as {booking.status}; nothing was booked."
        if booking.status == Status.PENDING:
            return (f"Cancel recorded for booking {booking_id}: an earlier attempt sent the "
                    "form without an answer, so the next run checks the club's site first "
                    "and cancels it there if it went through.")
        time.sleep(0.2)
    return (f"Cancel recorded for booking {booking_id}: it was being submitted, so the "
            "site may hold it; the run booking it cancels it there as soon as the club "
            f"confirms it (see 'gametime show {booking_id}').")
