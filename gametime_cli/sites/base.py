"""What every site driver offers the executor, and the outcomes it reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time
from enum import Enum
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from gametime_cli.credentials import Secret


class OutcomeKind(Enum):
    CONFIRMED = "confirmed"
    TAKEN = "taken"
    """This court is booked or held by someone else: try the next one."""
    NOT_OPEN = "not_open"
    """The window has not opened yet by the site's clock: retry soon."""
    TRANSIENT = "transient"
    """Timeouts, refused connections, 5xx: retry with backoff."""
    PERMANENT = "permanent"
    """The site refused the booking for a reason retrying won't change."""
    LOGIN_REFUSED = "login_refused"
    """The credentials were refused: leave the booking pending, ask for a new login."""


@dataclass(frozen=True)
class Outcome:
    kind: OutcomeKind
    court: int | None = None
    confirmation: str | None = None
    message: str | None = None


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


class SiteDriver(Protocol):
    def verify_login(self) -> None:
        """Log in; BadInput when the site refuses the credentials."""
        ...

    def candidate_courts(self, request: SlotRequest) -> list[int]:
        """The courts to try, in order: the booking's own order, or every free court."""
        ...

    def book_court(self, request: SlotRequest, court: int) -> Outcome:
        """Try to book the slot on one court."""
        ...

    def close(self) -> None: ...
