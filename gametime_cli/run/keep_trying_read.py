"""A booking that keeps trying, in its lane: read the day's courts (one read serves the
lane's bookings watching that day), and either book at once when a wanted court is free
or hand the booking back, due for the next read or failed at its cut-off."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from gametime_cli.models import Booking, Status
from gametime_cli.run.keep_trying import JITTER, WATCHING, checked, cutoff, free_wanted, next_read
from gametime_cli.run.next_step import Decision
from gametime_cli.run.result import BookingResult, RunOutcome
from gametime_cli.sites.base import AttemptFailed, LoginRefused, OutcomeKind, SiteDriver

if TYPE_CHECKING:
    from gametime_cli.run.lane import Lane

log = logging.getLogger("gametime")


def read_while_watching(lane: Lane, booking: Booking,
                        driver: SiteDriver) -> BookingResult | None:
    """Every court the booking wants was taken: read the day's courts (`Lane.read_day`).
    None when a wanted court is free now: the attempt goes ahead the usual way, at once."""
    try:
        courts = lane.read_day(driver, booking)
    except LoginRefused:
        return None  # the attempt meets it again, and the player is told
    except AttemptFailed as failed:  # a site that is down for a while: read again later
        log.info("booking %s: reading the day's courts failed: %s", booking.id,
                 failed.outcome.message)
        return _still_taken(lane, booking, keep_watching(
            lane, booking, failed.outcome.message), counted=False)
    if free_wanted(courts, booking):
        log.info("booking %s: a wanted court came free; booking it", booking.id)
        lane.store.count_read(booking.id)
        return None
    return _still_taken(lane, booking, keep_watching(lane, booking, None, read=True),
                        counted=True)


def _still_taken(lane: Lane, booking: Booking, decision: Decision,
                 counted: bool) -> BookingResult:
    """Record a read that found no wanted court free (`counted`), or couldn't be made,
    and hand the booking back: due for the next read, or failed at the cut-off."""
    lane.store.note_read(booking, lane.owner, lane.clock(), status=decision.status,
                         due_at=decision.due_at, error=decision.error or "",
                         counted=counted)
    return BookingResult(lane.store.get_booking(booking.id),
                         RunOutcome.WATCHING if decision.watching
                         else OutcomeKind.TAKEN.value, decision.error)


def keep_watching(lane: Lane, booking: Booking, reason: str | None,
                  read: bool = False) -> Decision:
    """Pending again, to read the day's courts at the next interval (with the other
    bookings watching that day); failed, saying so, once that is past the cut-off."""
    now = lane.clock()
    club = lane.store.club_by_id(booking.club_id)
    until = min(cutoff(booking.keep_trying or "", booking.slot_start, club.zone),
                booking.slot_start)
    every = lane.settings.keep_trying_every
    due = next_read(now, every)
    partner = lane.store.watch_partner_due(booking, now)
    if partner is not None and partner <= now + timedelta(seconds=every * (1 + JITTER)):
        due = partner  # the read another booking of that day makes serves this one too
    checks = booking.checks + (1 if read else 0)
    if due >= until:
        stop = until.astimezone(club.zone).strftime("%H:%M")
        return Decision(Status.FAILED, error=(
            f"no court came free by {stop}, the cut-off for keeping trying "
            f"({checked(checks)})" + (f": {reason}" if reason else "")))
    return Decision(Status.PENDING, due, f"{WATCHING} ({checked(checks)})", watching=True)
