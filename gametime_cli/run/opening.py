"""The window's opening, as one account's lane meets it: prepare ahead, find the instant
to fire by the site's clock, book at once when the site is open before the club's rule
says, and keep what the site showed of its opening against that rule."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from gametime_cli.clock import to_iso
from gametime_cli.errors import GametimeError
from gametime_cli.run.courts_asked import can_serve, remember_offer
from gametime_cli.run.waiting import wait_until
from gametime_cli.sites.base import AttemptFailed, SiteDriver, SlotRequest

if TYPE_CHECKING:
    from gametime_cli.models import Booking
    from gametime_cli.run.lane import Lane
    from gametime_cli.run.result import BookingResult
    from gametime_cli.store import Store

log = logging.getLogger("gametime")
PREPARED_BY = 1.0
"""Seconds before the opening (by the site's clock) that preparing must be done."""
PROBE_MARGIN = 2.0
"""Only a run this many seconds or more before its firing instant looks whether the
site is open already (one request); nearer the opening it just fires."""


@dataclass(frozen=True)
class Firing:
    at: float | None
    """When to fire at the opening (a local epoch); None to book at once: the site is
    open already."""


def prepare_for_opening(lane: Lane, booking: Booking) -> Firing | None:
    """Wait until `lead_seconds` before the opening, then prepare (browser, login, the form's
    day, the site's clock) and work out the firing instant: so as to arrive just after
    the opening by the site's clock, every account opening then aiming at that one
    instant. None if the run is stopping."""
    lead = timedelta(seconds=lane.settings.lead_seconds)
    if not wait_until((booking.due_at - lead).timestamp(), now=lane.epoch, stop=lane.stop):
        return None
    lane.store.check_lease(booking, lane.owner)  # cancelled while it waited?
    driver: SiteDriver | None = None
    try:
        driver = lane.driver_for(booking)
        driver.prepare(booking.day, before=booking.due_at.timestamp() - PREPARED_BY)
    except AttemptFailed as failed:
        log.warning("booking %s: preparing failed (%s); firing anyway", booking.id,
                    failed.outcome.message)
    except GametimeError:
        pass  # the attempt meets it again and reports it
    if driver is not None:  # what preparing read of the club: kept for `book`
        remember_offer(lane.store, booking.club_id, driver, lane.clock())
    offset = getattr(driver, "clock_offset", 0.0)
    ahead = getattr(driver, "send_ahead", 0.0)
    fire_at = booking.due_at.timestamp() - offset - ahead
    if driver is not None and fire_at - lane.epoch() > PROBE_MARGIN and _open_already(
            lane, booking, driver):
        return Firing(None)
    log.info("booking %s: prepared; the site's clock is %+.3f s from ours; firing "
             "%.1f ms before its opening %s, to arrive just after it", booking.id,
             offset, ahead * 1000, booking.due_at.isoformat())
    return Firing(fire_at)


def _open_already(lane: Lane, booking: Booking, driver: SiteDriver) -> bool:
    """While preparing, one request for the form: is the site open before the club's
    rule says? Then book at once, and note the disagreement."""
    lane.store.check_lease(booking, lane.owner)
    request = SlotRequest(booking.id, 0, booking.day, booking.time, booking.duration,
                          booking.courts, booking.partners, booking.type, booking.account,
                          booking.any_court, guests=booking.guests)
    if not can_serve(driver, request, lane.store.club_offer(booking.club_id)) or (
            driver.window_open(request) is not True):
        return False
    early = (booking.execute_at - lane.clock()).total_seconds() + driver.clock_offset
    log.warning("booking %s: the site is open already, %.0f s before the club's rule "
                "says; booking now", booking.id, early)
    note_opening(lane.store, booking, -early, "already open", lane.clock())
    return True


def note_late_opening(store: Store, booking: Booking, driver: SiteDriver,
                      now: datetime) -> None:
    """After an attempt that met 'too early' and then the form: note when it opened,
    between the last 'too early' and the form. A 'too early' from before the rule's
    instant (preparing's look, say) shows the site keeping the rule: nothing to note."""
    between = getattr(driver, "opened_between", None)
    if between is None:
        return
    driver.opened_between = None  # type: ignore[attr-defined]
    too_early, served = (at + driver.clock_offset for at in between)
    rule = booking.execute_at.timestamp()
    if too_early <= rule:
        return
    note_opening(store, booking, (too_early + served) / 2 - rule, "opened late", now)


def note_opening(store: Store, booking: Booking, difference: float, how: str,
                 now: datetime) -> None:
    """Keep what the site showed of its opening against the club's rule."""
    store.note_site_opening(booking.club_id, {
        "booking": booking.id, "day": booking.day.isoformat(),
        "rule": to_iso(booking.execute_at), "difference": round(difference, 1),
        "how": how, "seen": to_iso(now),
    })


def with_opening_note(store: Store, result: BookingResult) -> BookingResult:
    """The result, with the note on the site's opening when this booking saw it
    disagree with the club's rule (and the command that fixes the rule)."""
    from gametime_cli.booking.windows import opening_note

    club = store.club_by_id(result.booking.club_id)
    seen = club.settings.get("opening_seen") or {}
    note = opening_note(club)
    if note is None or seen.get("booking") != result.booking.id:
        return result
    return replace(result, note=str(note))
