"""What happens to a booking after an attempt: confirmed, retried later, or failed."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from gametime_cli.settings import Settings
from gametime_cli.sites.base import Outcome, OutcomeKind

RETRYABLE = (OutcomeKind.TRANSIENT, OutcomeKind.NOT_OPEN)
PARKED = (OutcomeKind.LOGIN_REFUSED,)
"""Outcomes the player must fix: the booking stays pending, the run exits 3."""
PARK_SECONDS = 30.0


@dataclass(frozen=True)
class Decision:
    status: str
    due_at: datetime | None = None
    error: str | None = None


def backoff(attempt: int, settings: Settings, rng: random.Random | None = None) -> float:
    """Seconds before retry number `attempt`: doubling from `retry_base`, capped, jittered.

    The jitter keeps half the delay and draws the rest, so runs that failed together
    don't retry together.
    """
    delay = min(settings.retry_cap, settings.retry_base * 2 ** (attempt - 1))
    return delay / 2 + (rng or random).uniform(0, delay / 2)


def decide(outcome: Outcome, attempt: int, settings: Settings, now: datetime) -> Decision:
    if outcome.kind is OutcomeKind.CONFIRMED:
        return Decision("confirmed")
    if outcome.kind in PARKED:
        return Decision("pending", now + timedelta(seconds=PARK_SECONDS), outcome.message)
    if outcome.kind in RETRYABLE:
        if attempt >= settings.max_attempts:
            return Decision(
                "failed", error=f"gave up after {attempt} attempts: {outcome.message}"
            )
        return Decision(
            "pending", now + timedelta(seconds=backoff(attempt, settings)), outcome.message
        )
    return Decision("failed", error=outcome.message or "the site refused the booking")
