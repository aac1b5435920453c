"""Cancelling a booking the club has confirmed: on the club's site, then here."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from gametime_cli.errors import BadInput, EnvironmentProblem
from gametime_cli.models import Booking, Club
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
