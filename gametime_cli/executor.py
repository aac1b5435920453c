"""`run-pending`: claim the due bookings, attempt each through its club's driver, record."""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import socket
import threading
import time as time_module
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from pathlib import Path

from gametime_cli import credentials
from gametime_cli.clock import utcnow
from gametime_cli.credentials import CredentialsUnavailable
from gametime_cli.errors import ExitCode, GametimeError, LeaseLost
from gametime_cli.models import Account, Booking, Club
from gametime_cli.notify import Announcer
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
from gametime_cli.timing import wait_until

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
    artifacts: tuple[str, ...] = ()
    """The screenshot and page kept from a failed last attempt."""


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


def attempt_courts(driver: SiteDriver, request: SlotRequest,
                   or_times: list[time] | None = None) -> tuple[Outcome, time]:
    """Try the candidate courts in order until one is booked or something other than
    'taken' happens, at the first time, then at each alternative time; all taken means
    the slot is not available. Returns the outcome and the time it concerns."""
    tried: list[str] = []
    for at in [request.time, *(or_times or [])]:
        asked = replace(request, time=at)
        try:
            candidates = driver.candidate_courts(asked)
            for court in candidates:
                outcome = driver.book_court(asked, court)
                if outcome.kind is not OutcomeKind.TAKEN:
                    return outcome, at
        except AttemptFailed as failed:
            return failed.outcome, at
        except LoginRefused as refused:
            return Outcome(OutcomeKind.LOGIN_REFUSED, message=str(refused)), at
        courts = ", ".join(str(c) for c in candidates) or "none free"
        tried.append(f"courts tried {courts}" if not or_times else
                     f"{at.strftime('%H:%M')} courts tried {courts}")
    return (Outcome(OutcomeKind.PERMANENT, message=f"not available: {'; '.join(tried)}"),
            request.time)


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
    """Runs the bookings one run has claimed. One Executor works in one thread with its
    own database connection; bookings of other accounts opening at the same time are
    handed to Executors of their own, in threads, with one browser each."""

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
            on_result_command if on_result_command is not None else self.settings.on_result)
        self.lease = timedelta(seconds=self.settings.lease_seconds)
        self._drivers: dict[tuple[int, str | None], SiteDriver] = {}

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
        the retries this run schedules, so a failure is retried in seconds."""
        wait = self.settings.max_wait if max_wait is None else max_wait
        ahead = timedelta(seconds=self._lookahead(lookahead))
        deadline = self.clock() + timedelta(seconds=wait)
        results: dict[int, BookingResult] = {}
        parked: set[int] = set()
        prune_artifacts(self.home / ARTIFACTS_DIR, self.settings.artifacts_days)
        from gametime_cli.series import materialize_due

        materialize_due(self.store, self.clock())
        try:
            while not self.stop.is_set():
                # Due now: one claim at a time, so overlapping runs share the work.
                while not self.stop.is_set() and (booking := self.store.claim_next_due(
                        self.owner, self.clock(), self.lease, exclude=parked | set(results))):
                    self._collect(self._run_claimed([booking]), results, parked)
                # Opening within the lookahead: all of them, to fire together.
                claimed = []
                while booking := self.store.claim_next_due(
                    self.owner, self.clock(), self.lease, exclude=parked | set(results),
                    horizon=self.clock() + ahead,
                ):
                    claimed.append(booking)
                if not claimed:
                    claimed = self._claim_retries(results, parked, deadline)
                    if not claimed:
                        break
                self._collect(self._run_claimed(claimed), results, parked)
        except BaseException:
            self.stop.set()
            raise
        finally:
            if self.stop.is_set():
                self._release_all()
            self.close()
        return RunReport(list(results.values()))

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

    def _claim_retries(self, results: dict[int, BookingResult], parked: set[int],
                       deadline: datetime) -> list[Booking]:
        """Wait for the earliest retry this run scheduled, if it falls before the
        deadline, and claim it again."""
        retry_at = min((r.booking.due_at for r in results.values()
                        if r.booking.status == "pending" and r.booking.id not in parked),
                       default=None)
        if retry_at is None or retry_at > deadline:
            return []
        if not wait_until(retry_at.timestamp(), stop=self.stop):
            return []
        claimed = []
        while booking := self.store.claim_next_due(self.owner, self.clock(), self.lease,
                                                   exclude=parked):
            claimed.append(booking)
        return claimed

    def _run_claimed(self, claimed: list[Booking]) -> list[BookingResult]:
        """Per account, in order of due time; several accounts in parallel threads."""
        groups: dict[tuple[int, str | None], list[Booking]] = {}
        for booking in sorted(claimed, key=lambda b: (b.due_at, b.id)):
            groups.setdefault((booking.club_id, booking.account), []).append(booking)
        if len(groups) == 1:
            return self._run_group(next(iter(groups.values())))
        results: list[BookingResult] = []
        errors: list[BaseException] = []

        def work(bookings: list[Booking]) -> None:
            worker = Executor(Store.open(self.home), clock=self.clock, headed=self.headed,
                              owner=self.owner, stop=self.stop, on_result=self.on_result,
                              announcer=self.announcer)
            try:
                results.extend(worker._run_group(bookings))
            except BaseException as exc:
                errors.append(exc)
                self.stop.set()
            finally:
                worker.close()
                worker.store.close()

        threads = [threading.Thread(target=work, args=(group,), name=f"account-{key[1]}")
                   for key, group in groups.items()]
        for thread in threads:
            thread.start()
        try:
            for thread in threads:
                while thread.is_alive():
                    thread.join(0.2)
        except BaseException:
            self.stop.set()
            for thread in threads:
                thread.join(60)
            raise
        if errors:
            raise errors[0]
        return results

    def _run_group(self, bookings: list[Booking]) -> list[BookingResult]:
        results = []
        for booking in bookings:
            if self.stop.is_set():
                break
            if booking.due_at > self.clock():
                result = self._at_its_time(booking)
            else:
                result = self._execute(booking)
            if result is not None:
                results.append(result)
                self.announcer.announce(result)
                if self.on_result:
                    self.on_result(result)
        return results

    def _at_its_time(self, booking: Booking) -> BookingResult | None:
        """Wait for a booking that falls due soon. At its window's opening: prepare
        `lead_seconds` ahead (browser, login, courts, the site's clock), then fire at the
        opening by the site's clock. None if the run is stopping."""
        opening = booking.attempts == 0 and booking.due_at == booking.execute_at
        if opening:
            lead = timedelta(seconds=self.settings.lead_seconds)
            if not wait_until((booking.due_at - lead).timestamp(), stop=self.stop):
                return None
            try:
                driver = self._driver_for(booking)
                driver.prepare(booking.day)
            except AttemptFailed as failed:
                log.warning("booking %s: preparing failed (%s); firing anyway", booking.id,
                            failed.outcome.message)
            except GametimeError:
                pass  # _execute meets it again and reports it
            offset = getattr(self._drivers.get(self._driver_key(booking)), "clock_offset", 0.0)
            log.info("booking %s: prepared; the site's clock is %+.3f s from ours; firing "
                     "at its opening %s", booking.id, offset, booking.due_at.isoformat())
            return self._execute(booking, fire_at=booking.due_at.timestamp() - offset)
        if not wait_until(booking.due_at.timestamp(), stop=self.stop):
            return None
        return self._execute(booking)

    def _club_and_account(self, booking: Booking) -> tuple[Club, Account | None]:
        club = self.store.club_by_id(booking.club_id)
        try:
            return club, self.store.account_for(club, booking.account)
        except GametimeError as exc:
            raise CredentialsUnavailable(str(exc)) from None

    def _driver_key(self, booking: Booking) -> tuple[int, str | None]:
        club, account = self._club_and_account(booking)
        return (club.id, account.username if account else None)

    def _driver_for(self, booking: Booking) -> SiteDriver:
        """The club's driver, logged in as the booking's account (one per account)."""
        club, account = self._club_and_account(booking)
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

    def _execute(self, booking: Booking, fire_at: float | None = None) -> BookingResult | None:
        """One attempt. With `fire_at` (a local epoch), everything that can be done
        beforehand is, and the attempt starts at that instant; None if the run stopped
        while waiting for it."""
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
            any_court=booking.any_court,
            too_early_until=(fire_at + self.settings.fire_retry_seconds
                             if fire_at is not None else None),
            before_submit=lambda court: self._submitting(booking, attempt_id, driver, court),
        )
        needs_attention = False
        booked_at = booking.time
        try:
            if fire_at is not None and not wait_until(fire_at, stop=self.stop):
                self._finish_interrupted(booking, attempt_id)
                return None
            outcome = self._check_site(driver, booking) if check_first else None
            if outcome is None:
                outcome, booked_at = attempt_courts(driver, request, booking.or_times)
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
        log.info("booking %s attempt %s: %s%s", booking.id, number,
                 "reconciled" if outcome.reconciled else outcome.kind.value,
                 f" court {outcome.court} #{outcome.confirmation}" if outcome.confirmation
                 else f" ({decision.error})" if decision.error else "")
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
                booked_time=(booked_at.strftime("%H:%M")
                             if outcome.kind is OutcomeKind.CONFIRMED else None),
            )
        except LeaseLost:
            log.warning("booking %s: another run took it over; leaving it to that run", booking.id)
            return BookingResult(self.store.get_booking(booking.id), "lost", "lease lost")
        return BookingResult(
            self.store.get_booking(booking.id),
            outcome.kind.value,
            decision.error,
            needs_attention=needs_attention or outcome.kind in PARKED,
            artifacts=outcome.artifacts,
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
        _, account = self._club_and_account(booking)
        user_id = account.user_id if account else None
        if user_id is not None:
            try:
                courts = driver.day_courts(booking.day)
            except AttemptFailed as failed:
                return failed.outcome
            starts = {t.hour * 60 + t.minute for t in [booking.time, *booking.or_times]}
            for court in courts:
                for held in court.bookings:
                    if held.start in starts and any(u == user_id for _, u in held.players):
                        return Outcome(OutcomeKind.CONFIRMED, court.number,
                                       confirmation=held.booking_id, reconciled=True)
        self.store.mark_checked(booking, self.owner, self.clock())
        return None

    def _remember_user_id(self, booking: Booking, driver: SiteDriver) -> None:
        user_id = getattr(driver, "user_id", None)
        if user_id is None:
            return
        _, account = self._club_and_account(booking)
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
