"""What every site driver offers the executor, and the outcomes it reports."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, time
from enum import Enum
from typing import TYPE_CHECKING, Protocol

from gametime_cli.errors import EnvironmentProblem
from gametime_cli.offer import ClubOffer, booking_type

if TYPE_CHECKING:
    from gametime_cli.credentials import Secret


class OutcomeKind(Enum):
    CONFIRMED = "confirmed"
    TAKEN = "taken"
    """This court is booked by someone else: try the next one."""
    HELD = "held"
    """Another member holds this court's form right now (a hold lapses in minutes):
    try the others, then come back to it."""
    NOT_OPEN = "not_open"
    """The window has not opened yet by the site's clock: retry soon."""
    TRANSIENT = "transient"
    """Timeouts, refused connections, 5xx: retry with backoff."""
    PERMANENT = "permanent"
    """The site refused the booking for a reason retrying won't change."""
    LOGIN_REFUSED = "login_refused"
    """The credentials were refused: leave the booking pending, ask for a new login."""
    UNCHECKED = "unchecked"
    """An earlier submit went unanswered and the site can't tell whether it booked:
    never submit again blind; the booking waits for the player."""


@dataclass(frozen=True)
class Outcome:
    kind: OutcomeKind
    court: int | None = None
    confirmation: str | None = None
    message: str | None = None
    artifacts: tuple[str, ...] = ()
    """Files kept from a failed attempt: a screenshot and the page's HTML."""
    reconciled: bool = False
    """Confirmed by finding the booking on the site, not by booking it now."""


class LoginRefused(EnvironmentProblem):
    """The site refused the username or password: exit 3, as README's table says (the
    command line was fine; what the site holds differs)."""

    def __init__(self, message: str, reason: str = "refused"):
        super().__init__(message)
        self.reason = reason


class OffOrigin(EnvironmentProblem):
    """The site sent the browser to an origin the club's driver may not go to; it
    stopped before typing or sending anything there (exit 3, the booking stays pending)."""


class AttemptFailed(Exception):
    """A driver step failed in a way the outcome describes (a timeout, a 5xx)."""

    def __init__(self, outcome: Outcome):
        super().__init__(outcome.message)
        self.outcome = outcome


@dataclass(frozen=True)
class Login:
    username: str
    password: Secret


@dataclass(frozen=True)
class SlotRequest:
    """One booking as a driver sees it: the slot, the courts to try, who plays."""

    booking_id: int
    attempt: int
    day: date
    time: time
    duration: int
    courts: list[int]
    partners: list[str] = field(default_factory=list)
    type: str | None = None
    account: str | None = None
    any_court: bool = False
    """After the preferred courts, any other free court."""
    fire_at: float | None = None
    """Firing at the opening: the first booking form is loaded at this local instant
    (epoch seconds), timed by the driver itself, so that accounts firing together are
    released together."""
    too_early_until: float | None = None
    """Firing at the opening: keep asking for a form the site calls too early (at once,
    then every few ms up to 100 ms) until this local instant."""
    before_hold: Callable[[int], None] | None = field(default=None, compare=False)
    """Called with the court just before its booking form is loaded (which takes the
    site's hold); it raises when this run may no longer book, and nothing is loaded."""
    before_submit: Callable[[int], None] | None = field(default=None, compare=False)
    """Called with the court just before the form is submitted; it raises when this run
    may no longer book (its lease was lost, the booking was cancelled), and then nothing
    is submitted."""

    def holding(self, court: int) -> None:
        if self.before_hold is not None:
            self.before_hold(court)

    def submitting(self, court: int) -> None:
        if self.before_submit is not None:
            self.before_submit(court)

    @property
    def minutes(self) -> int:
        return self.time.hour * 60 + self.time.minute

    @property
    def booking_type(self) -> str:
        """singles or doubles: as asked, else by how many partners come along."""
        return booking_type(self.type, len(self.partners))


@dataclass(frozen=True)
class SiteBooking:
    start: int
    """Minutes since local midnight."""
    duration: int
    booking_id: str
    players: list[tuple[str, int | None]]


@dataclass(frozen=True)
class CourtDay:
    """One court's day, as the site's JSON tells it."""

    number: int
    court_id: int
    name: str
    bookings: list[SiteBooking]

    def free(self, start: int, duration: int) -> bool:
        return all(b.start + b.duration <= start or start + duration <= b.start
                   for b in self.bookings)


def choose_courts(courts: list[CourtDay], request: SlotRequest) -> list[int]:
    """The courts to try, in order: the booking's own order (then, with any_court, the
    other free ones), or, with no preference, every free court."""
    free = [c.number for c in sorted(courts, key=lambda c: c.number)
            if c.free(request.minutes, request.duration)]
    if not request.courts:
        return free
    extra = [n for n in free if n not in request.courts] if request.any_court else []
    return [*request.courts, *extra]


class SiteDriver(Protocol):
    user_id: int | None
    """The logged-in member's id on the site, once known."""
    clock_offset: float
    """Seconds the site's clock runs ahead of ours, as `prepare` measured it."""
    send_ahead: float
    """Seconds before the opening to send the form's request, so it arrives just after
    (the way there and the browser's own delay), as `prepare` measured it."""
    offer: ClubOffer | None
    """What this driver has read of the club's site: the last day's courts and slots,
    the durations its booking form showed; None before it read anything."""

    def prepare(self, day: date, before: float | None = None) -> None:
        """Before an opening: log in, read the day's courts, measure the site's clock and
        the path to it, done before `before` (an instant by the site's clock) if given."""
        ...

    def verify_login(self) -> None:
        """Log in; LoginRefused when the site refuses the credentials."""
        ...

    def ready_to_fire(self) -> None:
        """Seconds before firing at an opening: ready the form's request."""
        ...

    def day_courts(self, day: date) -> list[CourtDay]:
        """Every court and its bookings on `day`."""
        ...

    def candidate_courts(self, request: SlotRequest) -> list[int]:
        """The courts to try, in order: the booking's own order, or every free court."""
        ...

    def book_court(self, request: SlotRequest, court: int) -> Outcome:
        """Try to book the slot on one court."""
        ...

    def window_open(self, request: SlotRequest) -> bool | None:
        """Ahead of the opening, one look: is the window already open? None: can't tell."""
        ...

    def my_booking_ids(self) -> set[str]:
        """The ids of the member's upcoming bookings, as the site lists them."""
        ...

    def cancel_booking(self, day: date, confirmation: str) -> bool:
        """Cancel the member's booking on the site and check it is gone; False when the
        site no longer had it."""
        ...

    def close(self) -> None: ...
