"""What a run comes to: each booking's result, and the report with its exit code."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from gametime_cli.errors import ExitCode
from gametime_cli.models import Booking, Status


class RunOutcome(StrEnum):
    """What a run says of a booking besides the site's own answers (`OutcomeKind`'s
    values): in a result's `outcome`, and in the attempts it records."""

    WOULD_RUN = "would_run"
    """A dry run: it is due, and a run would try it now."""
    WATCHING = "watching"
    """It keeps trying: every wanted court is taken, the day's courts are read again."""
    CANCELLED = "cancelled"
    """The player cancelled it before the run booked it."""
    LOST = "lost"
    """Another run took it over: this run leaves it alone."""
    MISSED = "missed"
    """Its slot began before a try could book it."""
    ENVIRONMENT = "environment"
    """The player must fix something here (login, browser, configuration)."""
    RECONCILED = "reconciled"
    """An attempt's row only: the site turned out to hold what an unanswered submit sent."""
    INTERRUPTED = "interrupted"
    """An attempt's row only: the run stopped before the attempt finished."""


@dataclass(frozen=True)
class BookingResult:
    """Where one booking stands after this run touched it."""

    booking: Booking
    outcome: str
    """What this run's last attempt came to: an `OutcomeKind` value or a `RunOutcome`."""
    error: str | None = None
    needs_attention: bool = False
    """The player must fix something (login, configuration) before it can go ahead."""
    artifacts: tuple[str, ...] = ()
    """The screenshot and page kept from a failed last attempt."""
    note: str | None = None
    """Something the player should know beyond the outcome (the site's opening
    disagreeing with the club's rule, and the fix)."""


@dataclass
class RunReport:
    results: list[BookingResult]
    dry_run: bool = False

    @property
    def exit_code(self) -> ExitCode:
        if any(r.needs_attention for r in self.results):
            return ExitCode.ENVIRONMENT
        if not self.dry_run and any(r.booking.status in (Status.FAILED, Status.MISSED)
                                    for r in self.results):
            return ExitCode.BOOKING_FAILED
        return ExitCode.OK
