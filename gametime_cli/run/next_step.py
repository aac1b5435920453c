"""What happens to a booking after an attempt: confirmed, retried later, or failed."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from gametime_cli.models import Status
from gametime_cli.settings import Settings
from gametime_cli.sites.base import Outcome, OutcomeKind

NOT_OPEN_RETRY_SECONDS = 1.0
NOT_OPEN_GRACE = timedelta(minutes=5)
"""How long after the computed opening the site may still say 'not open' before the
booking fails: longer means the club's window settings are wrong."""
PARKED = (OutcomeKind.LOGIN_REFUSED, OutcomeKind.UNCHECKED)
"""Outcomes the player must fix: the booking stays pending, the run exits 3."""
PARK_SECONDS = 30.0


@dataclass(frozen=True)
class Decision:
    status: Status
    due_at: datetime | None = None
    error: str | None = None
    watching: bool = False
    """Pending because every wanted court is taken: it keeps trying (keep_trying.py)."""


def backoff(attempt: int, settings: Settings, rng: random.Random | None = None) -> float:
    """Seconds before retry number `attempt`: doubling from `retry_base`, capped, jittered.

    The jitter keeps half the delay and draws the rest, so runs that failed together
    don't retry together.
    """
    delay = min(settings.retry_cap, settings.retry_base * 2 ** (attempt - 1))
    return delay / 2 + (rng or random).uniform(0, delay / 2)


def decide(outcome: Outcome, failures: int, settings: Settings, now: datetime,
           window_opens: datetime, slot_start: datetime,
           held_since: datetime | None = None) -> Decision:
    """`failures` counts this and earlier transient failures; 'not open yet' answers are
    retried every second without counting, for up to five minutes past the opening; a
    court another member holds is tried again every `hold_retry` seconds until its hold
    can have lapsed (`hold_wait` since it was first met, `held_since`). No retry is
    planned at or after the slot's own start: the booking is missed (or, when a hold
    was all that stood in the way, failed saying so)."""
    if outcome.kind is OutcomeKind.HELD:
        return _decide_held(outcome, settings, now, slot_start, held_since or now)
    decision = _decide(outcome, failures, settings, now, window_opens)
    if decision.status == Status.PENDING and decision.due_at and decision.due_at >= slot_start:
        return Decision(Status.MISSED, error=f"the slot began before another try: {decision.error}")
    return decision


def _decide_held(outcome: Outcome, settings: Settings, now: datetime, slot_start: datetime,
                 held_since: datetime) -> Decision:
    retry_at = now + timedelta(seconds=settings.hold_retry)
    if retry_at - held_since > timedelta(seconds=settings.hold_wait) or retry_at >= slot_start:
        waited = max(0, round((now - held_since).total_seconds()))
        return Decision(Status.FAILED, error=f"not available: {outcome.message} (tried again "
                                        f"for {waited} s; the hold did not lapse)")
    return Decision(Status.PENDING, retry_at, f"{outcome.message}; trying again")


def _decide(outcome: Outcome, failures: int, settings: Settings, now: datetime,
            window_opens: datetime) -> Decision:
    if outcome.kind is OutcomeKind.CONFIRMED:
        return Decision(Status.CONFIRMED)
    if outcome.kind in PARKED:
        return Decision(Status.PENDING, now + timedelta(seconds=PARK_SECONDS), outcome.message)
    if outcome.kind is OutcomeKind.NOT_OPEN:
        if now - window_opens > NOT_OPEN_GRACE:
            return Decision(
                Status.FAILED,
                error="the site still said booking hadn't opened 5 minutes after the window "
                "should have; check the club's --window-days and --opens-at",
            )
        return Decision(Status.PENDING, now + timedelta(seconds=NOT_OPEN_RETRY_SECONDS),
                        outcome.message)
    if outcome.kind is OutcomeKind.TRANSIENT:
        attempt = failures
        if attempt >= settings.max_attempts:
            return Decision(
                Status.FAILED, error=f"gave up after {attempt} attempts: {outcome.message}"
            )
        return Decision(
            "pending", now + timedelta(seconds=backoff(attempt, settings)), outcome.message
        )
    return Decision(Status.FAILED, error=outcome.message or "the site refused the booking")
