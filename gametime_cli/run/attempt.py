"""One attempt at a booking, in named steps: check the site when an earlier submit went
unanswered, hold the form, submit (fenced by the lease), settle the outcome."""

from __future__ import annotations

import contextlib
import logging
from datetime import time, timedelta
from typing import TYPE_CHECKING

from gametime_cli.errors import GametimeError, LeaseLost
from gametime_cli.models import Booking, Status
from gametime_cli.run.courts_asked import attempt_courts, remember_offer
from gametime_cli.run.keep_trying_read import keep_watching, read_while_watching
from gametime_cli.run.next_step import PARK_SECONDS, PARKED, Decision, decide
from gametime_cli.run.result import BookingResult, RunOutcome
from gametime_cli.run.waiting import wait_until
from gametime_cli.sites.base import (
    AttemptFailed,
    Outcome,
    OutcomeKind,
    SiteDriver,
    SlotRequest,
)

if TYPE_CHECKING:
    from gametime_cli.run.lane import Lane

log = logging.getLogger("gametime")
HANDOFF_SECONDS = 0.05
"""A lane hands its first form load to the browser's loop this long before the firing
instant; the loop releases every account's at the instant itself (no thread spins)."""
READY_SECONDS = 2.0
"""This long before the firing instant the driver readies its request (a connection of
its own, opened fresh: a site closes one left idle long)."""


class BookingAttempt:
    """One attempt at one claimed booking, for the account lane (`Lane`) that holds it."""

    def __init__(self, lane: Lane, booking: Booking):
        self.lane = lane
        self.booking = booking
        self.store = lane.store
        self.owner = lane.owner
        self.clock = lane.clock
        self.lease = lane.lease
        self.settings = lane.settings
        self.stop = lane.stop

    def run(self, fire_at: float | None = None) -> BookingResult | None:
        """Check the site if an earlier submit went unanswered, hold the form, submit,
        settle. With `fire_at` (a local epoch), everything that can be done beforehand
        is, and the attempt starts at that instant; None if the run stopped while
        waiting for it. A lost lease (another run, or a cancel) raises LeaseLost, which
        ends this booking's part in the run quietly."""
        booking = self.booking
        if self.clock() >= booking.slot_start:
            return self._missed(booking)
        try:
            driver = self.lane.driver_for(booking)
        except GametimeError as exc:
            self.store.release(booking, self.owner, self.clock(), str(exc))
            return BookingResult(
                self.store.get_booking(booking.id), RunOutcome.ENVIRONMENT, str(exc),
                needs_attention=True
            )
        check_first = self.store.needs_check(booking.id)
        if booking.watching_since is not None and not check_first:
            watched = read_while_watching(self.lane, booking, driver)
            if watched is not None:
                return watched
        attempt_id, number = self.store.start_attempt(booking, self.owner, self.clock(),
                                                      self.lease)
        request = self._slot_request(booking, driver, attempt_id, number, fire_at)
        needs_attention = False
        booked_at = booking.time
        try:
            if fire_at is not None and not self._await_firing(driver, booking, fire_at):
                self._finish_interrupted(booking, attempt_id)
                return None
            outcome = self._check_site(driver, booking) if check_first else None
            if outcome is None and self.store.get_booking(booking.id).cancel_requested:
                return self._cancelled_before_booking(booking, attempt_id)
            if outcome is None:
                outcome, booked_at = attempt_courts(
                    driver, request, booking.or_times, self.store.club_offer(booking.club_id),
                    self.store.club_by_id(booking.club_id).name)
            decision = decide(outcome, self.store.failures(booking.id) + 1, self.settings,
                              self.clock(), booking.execute_at, booking.slot_start,
                              held_since=self.store.held_since(booking.id))
            if (booking.keep_trying and decision.status == Status.FAILED
                    and outcome.kind in (OutcomeKind.TAKEN, OutcomeKind.HELD)):
                decision = keep_watching(self.lane, booking, outcome.message)
        except (KeyboardInterrupt, SystemExit):
            self._finish_interrupted(booking, attempt_id)
            raise
        except LeaseLost:
            raise
        except GametimeError as exc:  # e.g. the browser would not start: the player must act
            outcome = Outcome(OutcomeKind.TRANSIENT, message=str(exc))
            decision = Decision(Status.PENDING, self.clock() + timedelta(seconds=PARK_SECONDS),
                                str(exc))
            needs_attention = True
        except Exception as exc:  # a driver bug must not lose the booking
            # One line on stderr; its trace in the log, and on stderr with -vv.
            log.warning("booking %s: the site driver failed: %s", booking.id, exc,
                        exc_info=True)
            outcome = Outcome(OutcomeKind.TRANSIENT, message=f"driver error: {exc}")
            decision = decide(outcome, self.store.failures(booking.id) + 1, self.settings,
                              self.clock(), booking.execute_at, booking.slot_start)
        self._remember_user_id(booking, driver)
        remember_offer(self.store, booking.club_id, driver, self.clock())
        self.lane.opening_from(booking, driver)
        self._settle(booking, attempt_id, number, outcome, decision, booked_at, needs_attention)
        if outcome.kind is OutcomeKind.CONFIRMED and (
                self.store.get_booking(booking.id).cancel_requested):
            self._cancel_confirmed(booking, driver, outcome.confirmation)
        return BookingResult(
            self.store.get_booking(booking.id),
            RunOutcome.CANCELLED if self.store.get_booking(booking.id).status == Status.CANCELLED
            else RunOutcome.WATCHING if decision.watching else outcome.kind.value,
            decision.error,
            needs_attention=needs_attention or outcome.kind in PARKED,
            artifacts=outcome.artifacts,
        )

    def _await_firing(self, driver: SiteDriver, booking: Booking, fire_at: float) -> bool:
        """Wait for the instant to fire, the driver readying its request a little before;
        False if the run stopped meanwhile."""
        if not wait_until(fire_at - READY_SECONDS, now=self.lane.epoch, stop=self.stop):
            return False
        try:
            driver.ready_to_fire()
        except AttemptFailed as failed:  # the form's load meets it again, and says so
            log.warning("booking %s: readying the opening's request failed: %s", booking.id,
                        failed.outcome.message)
        return wait_until(fire_at - HANDOFF_SECONDS, now=self.lane.epoch, stop=self.stop)


    def _missed(self, booking: Booking) -> BookingResult:
        reason = "the slot began before it could be booked"
        if booking.last_error:
            reason += f" (last error: {booking.last_error})"
        self.store.settle_without_attempt(booking, self.owner, Status.MISSED, reason,
                                         self.clock())
        return BookingResult(self.store.get_booking(booking.id), RunOutcome.MISSED, reason)

    def _slot_request(self, booking: Booking, driver: SiteDriver, attempt_id: int,
                      number: int, fire_at: float | None) -> SlotRequest:
        """The booking as the driver sees it, with the fences it calls back: before
        loading a form (the lease still ours, not cancelled), and before submitting."""
        return SlotRequest(
            booking_id=booking.id,
            attempt=number,
            day=booking.day,
            time=booking.time,
            duration=booking.duration,
            courts=booking.courts,
            partners=booking.partners,
            guests=booking.guests,
            type=booking.type,
            account=booking.account,
            any_court=booking.any_court,
            fire_at=fire_at,
            too_early_until=(fire_at + self.settings.fire_retry_seconds
                             if fire_at is not None else None),
            before_hold=lambda court: self.store.check_lease(booking, self.owner),
            before_submit=lambda court: self._submitting(booking, attempt_id, driver, court),
        )

    def _settle(self, booking: Booking, attempt_id: int, number: int, outcome: Outcome,
                decision: Decision, booked_at: time, needs_attention: bool) -> None:
        """Record the attempt's outcome and the booking's next state (fenced)."""
        log.info("booking %s attempt %s: %s%s", booking.id, number,
                 "reconciled" if outcome.reconciled else outcome.kind.value,
                 f" court {outcome.court} #{outcome.confirmation or '?'}"
                 f"{f' ({outcome.message})' if outcome.message else ''}"
                 if outcome.kind is OutcomeKind.CONFIRMED
                 else f" ({decision.error})" if decision.error else "")
        confirmed = outcome.kind is OutcomeKind.CONFIRMED
        self.store.finish(
            booking,
            attempt_id,
            self.owner,
            outcome=(RunOutcome.ENVIRONMENT if needs_attention
                     else RunOutcome.RECONCILED if outcome.reconciled else outcome.kind.value),
            status=decision.status,
            now=self.clock(),
            due_at=decision.due_at,
            court=outcome.court if confirmed else None,
            confirmation=outcome.confirmation,
            error=decision.error,
            artifacts=list(outcome.artifacts),
            booked_time=booked_at.strftime("%H:%M") if confirmed else None,
            watching_since=self.clock() if decision.watching else None,
            site_id=outcome.site_id if confirmed else None,
            booked_minutes=outcome.booked_minutes if confirmed else None,
        )

    def _cancelled_before_booking(self, booking: Booking, attempt_id: int) -> BookingResult:
        """A cancel came while an earlier submit was unanswered, and the site turned out
        not to hold the booking: nothing to undo there."""
        self.store.finish(booking, attempt_id, self.owner, outcome=RunOutcome.CANCELLED,
                          status=Status.CANCELLED, now=self.clock(),
                          error="cancelled by the player; the site did not hold it")
        return BookingResult(self.store.get_booking(booking.id), RunOutcome.CANCELLED)

    def _cancel_confirmed(self, booking: Booking, driver: SiteDriver,
                          confirmation: str | None) -> None:
        """The player cancelled while this run was submitting: now that the club has
        confirmed it, cancel it on the site."""
        from gametime_cli.booking.cancel import cancel_on_site

        try:
            _, account = self.lane.club_and_account(booking)
            cancel_on_site(self.store, self.store.get_booking(booking.id), driver, self.clock(),
                           (account.user_id if account else None) or driver.user_id)
            log.info("booking %s: cancelled on the site, as asked during the booking",
                     booking.id)
        except GametimeError as exc:
            log.warning("booking %s: %s", booking.id, exc)

    def _submitting(self, booking: Booking, attempt_id: int, driver: SiteDriver,
                    court: int) -> None:
        """Just before a driver submits: record it, fenced by the lease (LeaseLost stops
        the submit), with the member's id so a later run can find the booking."""
        self._remember_user_id(booking, driver)
        self.store.mark_submitting(booking, attempt_id, self.owner, court, self.clock(),
                                   self.lease)

    def _check_site(self, driver: SiteDriver, booking: Booking) -> Outcome | None:
        """An earlier attempt submitted without seeing the answer: does the site hold the
        booking for this account? Confirmed if so; None (book again) if it surely
        doesn't. By the member's id in the day's JSON where it is known, else by the
        booking ids the member's own page lists; when neither can be read, never book
        again blind: the booking waits for the player."""
        _, account = self.lane.club_and_account(booking)
        user_id = (account.user_id if account else None) or driver.user_id
        starts = {t.hour * 60 + t.minute for t in [booking.time, *booking.or_times]}
        try:
            courts = driver.day_courts(booking.day)
            mine = None if user_id is not None else driver.my_booking_ids()
        except AttemptFailed as failed:
            return Outcome(OutcomeKind.UNCHECKED, message=(
                f"an earlier attempt sent the booking without an answer, and the site "
                f"can't be checked now ({failed.outcome.message}); it is not sent again "
                f"until the site shows whether it went through"))
        for court in courts:
            for held in court.bookings:
                if held.start not in starts or not held.is_ours(user_id, mine):
                    continue
                if user_id is None and held.players and held.players[0][1]:
                    driver.user_id = int(held.players[0][1])  # learnt: the holder
                return Outcome(OutcomeKind.CONFIRMED, court.number,
                               confirmation=held.confirmation, reconciled=True,
                               site_id=held.booking_id or None, booked_minutes=held.duration)
        self.store.mark_checked(booking, self.owner, self.clock())
        return None

    def _remember_user_id(self, booking: Booking, driver: SiteDriver) -> None:
        user_id = getattr(driver, "user_id", None)
        if user_id is None:
            return
        _, account = self.lane.club_and_account(booking)
        if account is not None and account.user_id != user_id:
            self.store.set_user_id(account, user_id)

    def _finish_interrupted(self, booking: Booking, attempt_id: int) -> None:
        with contextlib.suppress(LeaseLost):
            self.store.finish(
                booking, attempt_id, self.owner, outcome=RunOutcome.INTERRUPTED,
                status=Status.PENDING,
                now=self.clock(), error="interrupted before the attempt finished",
            )


