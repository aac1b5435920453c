"""`run-pending`: claim the due bookings, attempt each through its club's driver, record."""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import socket
import time as time_module
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from gametime_cli import credentials
from gametime_cli.clock import utcnow
from gametime_cli.credentials import CredentialsUnavailable
from gametime_cli.errors import ExitCode, GametimeError, LeaseLost
from gametime_cli.models import Booking
from gametime_cli.retry import PARK_SECONDS, PARKED, Decision, decide
from gametime_cli.settings import Settings
from gametime_cli.sites import ARTIFACTS_DIR, needs_login, open_driver
from gametime_cli.sites.base import (
    AttemptFailed,
    Login,
    LoginRefused,
    Outcome,
    OutcomeKind,
    SiteDriver,
    SlotRequest,
)
from gametime_cli.store import Store

log = logging.getLogger("gametime")


@dataclass(frozen=True)
class BookingResult:
    """Where one booking stands after this run touched it."""

    booking: Booking
    outcome: str
    """What this run's last attempt came to (an OutcomeKind value, or 'lost', 'skipped')."""
    error: str | None = None
    needs_attention: bool = False
    """The player must fix something (login, configuration) before it can go ahead."""


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


def attempt_courts(driver: SiteDriver, request: SlotRequest) -> Outcome:
    """Try the candidate courts in order until one is booked or something other than
    'taken' happens; all taken means the slot is not available."""
    try:
        candidates = driver.candidate_courts(request)
        for court in candidates:
            outcome = driver.book_court(request, court)
            if outcome.kind is not OutcomeKind.TAKEN:
                return outcome
    except AttemptFailed as failed:
        return failed.outcome
    except LoginRefused as refused:
        return Outcome(OutcomeKind.LOGIN_REFUSED, message=str(refused))
    tried = ", ".join(str(c) for c in candidates) or "none free"
    return Outcome(OutcomeKind.PERMANENT, message=f"not available: courts tried {tried}")


def prune_artifacts(folder: Path, days: int, now: float | None = None) -> int:
    """Delete kept screenshots and pages older than `days`; returns how many."""
    if not folder.is_dir():
        return 0
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


class Executor:
    def __init__(
        self,
        store: Store,
        *,
        clock: Callable[[], datetime] = utcnow,
        sleep: Callable[[float], None] = time_module.sleep,
        headed: bool = False,
    ):
        self.store = store
        self.headed = headed
        self.home = store.path.parent
        self.settings = Settings(store.settings())
        self.clock = clock
        self.sleep = sleep
        self.owner = new_owner()
        self.lease = timedelta(seconds=self.settings.lease_seconds)
        self._drivers: dict[tuple[int, str | None], SiteDriver] = {}

    def dry_run(self) -> RunReport:
        due = self.store.due_bookings(self.clock())
        return RunReport([BookingResult(b, "would_run") for b in due], dry_run=True)

    def run_pending(self, max_wait: float | None = None) -> RunReport:
        """Execute every due booking; stay up to `max_wait` seconds for the retries this
        run schedules, so a transient failure is retried in seconds, not next minute."""
        wait = self.settings.max_wait if max_wait is None else max_wait
        deadline = self.clock() + timedelta(seconds=wait)
        results: dict[int, BookingResult] = {}
        parked: set[int] = set()
        prune_artifacts(self.home / ARTIFACTS_DIR, self.settings.artifacts_days)
        try:
            while True:
                while booking := self.store.claim_next_due(
                    self.owner, self.clock(), self.lease, exclude=parked
                ):
                    result = self._execute(booking)
                    results[booking.id] = result
                    if result.needs_attention:
                        parked.add(booking.id)
                retry_at = min(
                    (r.booking.due_at for r in results.values()
                     if r.booking.status == "pending" and r.booking.id not in parked),
                    default=None,
                )
                if retry_at is None or retry_at > deadline:
                    break
                self.sleep(max(0.0, (retry_at - self.clock()).total_seconds()))
        finally:
            self.close()
        return RunReport(list(results.values()))

    def _driver_for(self, booking: Booking) -> SiteDriver:
        """The club's driver, logged in as the booking's account (one per account)."""
        club = self.store.club_by_id(booking.club_id)
        try:
            account = self.store.account_for(club, booking.account)
        except GametimeError as exc:
            raise CredentialsUnavailable(str(exc)) from None
        key = (club.id, account.username if account else None)
        if key not in self._drivers:
            login = None
            if account is not None:
                login = Login(account.username, credentials.load(self.home, account))
            elif needs_login(club):
                raise CredentialsUnavailable(
                    f"no account at {club.name} to book with; "
                    f"run 'gametime login --club {club.name}'"
                )
            self._drivers[key] = open_driver(club, login, self.settings, self.home, self.headed)
        return self._drivers[key]

    def _execute(self, booking: Booking) -> BookingResult:
        if self.clock() >= booking.slot_start:
            reason = "the slot began before it could be booked"
            if booking.last_error:
                reason += f" (last error: {booking.last_error})"
            self.store.settle_without_attempt(booking, self.owner, "missed", reason,
                                              self.clock())
            return BookingResult(self.store.get_booking(booking.id), "missed", reason)
        try:
            driver = self._driver_for(booking)
        except GametimeError as exc:
            self.store.release(booking, self.owner, self.clock(), str(exc))
            return BookingResult(
                self.store.get_booking(booking.id), "environment", str(exc), needs_attention=True
            )
        now = self.clock()
        check_first = self.store.needs_check(booking.id)
        attempt_id, number = self.store.start_attempt(booking, self.owner, now, self.lease)
        request = SlotRequest(
            booking_id=booking.id,
            attempt=number,
            day=booking.day,
            time=booking.time,
            duration=booking.duration,
            courts=booking.courts,
            partners=booking.partners,
            type=booking.type,
            account=booking.account,
            before_submit=lambda court: self._submitting(booking, attempt_id, driver, court),
        )
        needs_attention = False
        try:
            outcome = self._check_site(driver, booking) if check_first else None
            if outcome is None:
                outcome = attempt_courts(driver, request)
            decision = decide(outcome, self.store.failures(booking.id) + 1, self.settings,
                              self.clock(), booking.execute_at, booking.slot_start)
        except LeaseLost:
            log.warning("booking %s: another run took it over; leaving it to that run", booking.id)
            return BookingResult(self.store.get_booking(booking.id), "lost", "lease lost")
        except (KeyboardInterrupt, SystemExit):
            self._finish_interrupted(booking, attempt_id)
            raise
        except GametimeError as exc:  # e.g. the browser would not start: the player must act
            outcome = Outcome(OutcomeKind.TRANSIENT, message=str(exc))
            decision = Decision("pending", self.clock() + timedelta(seconds=PARK_SECONDS),
                                str(exc))
            needs_attention = True
        except Exception as exc:  # a driver bug must not lose the booking
            log.exception("booking %s: the site driver failed", booking.id)
            outcome = Outcome(OutcomeKind.TRANSIENT, message=f"driver error: {exc}")
            decision = decide(outcome, self.store.failures(booking.id) + 1, self.settings,
                              self.clock(), booking.execute_at, booking.slot_start)
        self._remember_user_id(booking, driver)
        try:
            self.store.finish(
                booking,
                attempt_id,
                self.owner,
                outcome=("environment" if needs_attention
                         else "reconciled" if outcome.reconciled else outcome.kind.value),
                status=decision.status,
                now=self.clock(),
                due_at=decision.due_at,
                court=outcome.court if outcome.kind is OutcomeKind.CONFIRMED else None,
                confirmation=outcome.confirmation,
                error=decision.error,
                artifacts=list(outcome.artifacts),
            )
        except LeaseLost:
            log.warning("booking %s: another run took it over; leaving it to that run", booking.id)
            return BookingResult(self.store.get_booking(booking.id), "lost", "lease lost")
        return BookingResult(
            self.store.get_booking(booking.id),
            outcome.kind.value,
            decision.error,
            needs_attention=needs_attention or outcome.kind in PARKED,
        )

    def _submitting(self, booking: Booking, attempt_id: int, driver: SiteDriver,
                    court: int) -> None:
        """Just before a driver submits: record it, fenced by the lease (LeaseLost stops
        the submit), with the member's id so a later run can find the booking."""
        self._remember_user_id(booking, driver)
        self.store.mark_submitting(booking, attempt_id, self.owner, court, self.clock(),
                                   self.lease)

    def _check_site(self, driver: SiteDriver, booking: Booking) -> Outcome | None:
        """An earlier attempt submitted without seeing the answer: does the site hold the
        booking for this account? Confirmed if so; None (book again) if not."""
        club = self.store.club_by_id(booking.club_id)
        account = self.store.account_for(club, booking.account)
        user_id = account.user_id if account else None
        if user_id is not None:
            try:
                courts = driver.day_courts(booking.day)
            except AttemptFailed as failed:
                return failed.outcome
            minutes = booking.time.hour * 60 + booking.time.minute
            for court in courts:
                for held in court.bookings:
                    if held.start == minutes and any(u == user_id for _, u in held.players):
                        return Outcome(OutcomeKind.CONFIRMED, court.number,
                                       confirmation=held.booking_id, reconciled=True)
        self.store.mark_checked(booking, self.owner, self.clock())
        return None

    def _remember_user_id(self, booking: Booking, driver: SiteDriver) -> None:
        user_id = getattr(driver, "user_id", None)
        if user_id is None:
            return
        account = self.store.account_for(self.store.club_by_id(booking.club_id),
                                         booking.account)
        if account is not None and account.user_id != user_id:
            self.store.set_user_id(account, user_id)

    def _finish_interrupted(self, booking: Booking, attempt_id: int) -> None:
        with contextlib.suppress(LeaseLost):
            self.store.finish(
                booking, attempt_id, self.owner, outcome="interrupted", status="pending",
                now=self.clock(), error="interrupted before the attempt finished",
            )

    def close(self) -> None:
        for driver in self._drivers.values():
            try:
                driver.close()
            except Exception:
                log.exception("closing a site driver failed")
        self._drivers.clear()
