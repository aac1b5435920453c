"""What every site driver offers the executor, and the outcomes it reports."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, time
from enum import Enum
from typing import TYPE_CHECKING, Protocol

from gametime_cli.booking.offer import AGREEMENT_ASKED, ClubOffer, booking_type
from gametime_cli.errors import EnvironmentProblem

if TYPE_CHECKING:
    from gametime_cli.secrets.credentials import Secret


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
    site_id: str | None = None
    """The site's own id of the booking (GameTime's `bkId`): not the confirmation
    number, which the player is given; either may be unknown."""
    booked_minutes: int | None = None
    """The length the site holds the booking for, as read back after confirming it."""


class LoginRefused(EnvironmentProblem):
    """The site refused the username or password: exit 3, as README's table says (the
    command line was fine; what the site holds differs)."""

    def __init__(self, message: str, reason: str = "refused"):
        super().__init__(message)
        self.reason = reason


class OffOrigin(EnvironmentProblem):
    """The site sent the browser to an origin the club's driver may not go to; it
    stopped before typing or sending anything there (exit 3, the booking stays pending)."""


class NeedsAgreement(EnvironmentProblem):
    """The club's booking form has a box to agree to that the player has not agreed to
    (exit 3; the booking waits for the player)."""

    def __init__(self, club: str, words: str):
        super().__init__(
            f"{club}'s booking form asks you to agree: \"{words}\"; the tool ticks it only if "
            f"you do: read it, then run 'gametime club set {club} {AGREEMENT_ASKED}'")
        self.words = words


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
    """Members: chosen from the club's roster on the form."""
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
    guests: list[str] = field(default_factory=list)
    """Players who aren't members: their rows' guest box ticked."""

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
        return booking_type(self.type, len(self.partners) + len(self.guests))


@dataclass(frozen=True)
class SiteBooking:
    start: int
    """Minutes since local midnight."""
    duration: int
    booking_id: str
    """The site's id of the booking (`bkId`)."""
    players: list[tuple[str, int | None]]
    confirmation: str | None = None
    """The confirmation number (`c`), where the site gives it: never assumed to be the
    booking id."""

    @property
    def numbers(self) -> set[str]:
        """Both numbers the site knows the booking by."""
        return {n for n in (self.booking_id, self.confirmation) if n}

    def is_ours(self, user_id: int | None, listed: set[str] | None = None) -> bool:
        """The member's own: by their user id among the players where it is known, else
        by the ids of the member's upcoming bookings (`listed`), matched against both
        numbers."""
        if user_id is not None:
            return any(u == user_id for _, u in self.players)
        return bool(listed and self.numbers & listed)

    def answers_to(self, number: str | None) -> bool:
        """Whether `number` (a confirmation number or a site id) is one of this booking's."""
        return number is not None and number in self.numbers


@dataclass(frozen=True)
class HeldBooking:
    """A booking the member holds on the site, as this tool knows it: how to find it
    there, by its slot and the member, or by either of its numbers."""

    day: date
    court: int | None
    start: int
    """Minutes since local midnight."""
    confirmation: str | None = None
    site_id: str | None = None
    user_id: int | None = None

    @property
    def numbers(self) -> set[str]:
        return {n for n in (self.confirmation, self.site_id) if n}

    def matches(self, booking: SiteBooking, court: int, user_id: int | None) -> bool:
        """Whether the site's `booking` on `court` is this one: the same slot, and the
        member's by user id, or one of its numbers."""
        return (court == self.court and booking.start == self.start
                and booking.is_ours(user_id, self.numbers))

    def label(self) -> str:
        return (f"confirmation {self.confirmation}" if self.confirmation
                else f"site id {self.site_id}" if self.site_id else "booking")


@dataclass(frozen=True)
class CourtDay:
    """One court's day, as the site's JSON tells it."""

    number: int
    court_id: int
    name: str
    bookings: list[SiteBooking]
    spans: tuple[tuple[int, int], ...] | None = None
    """When the court is open, (start, end) in minutes, where the site says."""

    def free(self, start: int, duration: int) -> bool:
        """No booking overlaps the slot, and the court is open for all of it (where the
        site gives its open spans)."""
        if self.spans is not None and not any(a <= start and start + duration <= b
                                              for a, b in self.spans):
            return False
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

    def cancel_booking(self, booking: HeldBooking) -> bool:
        """Cancel the member's booking on the site and check it is gone; False when the
        site no longer had it."""
        ...

    def close(self) -> None: ...
