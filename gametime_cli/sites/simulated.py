"""The simulated site: the original design's simulation mode, behind the real interface.

`simulate:?success=0.8&seed=7&courts=6&taken=1,2&delay=0.05`
- success: chance that an attempt goes through (default 0.8); a miss is a transient
  site error, retried like a real one.
- seed: makes every attempt's result a function of (seed, booking, attempt number),
  whichever process runs it.
- courts: how many courts the club has (default 6); taken: courts already booked.
- delay: seconds each attempt takes, as a real site would.
- held: the minutes the site holds every booking for, whatever was asked (as GameTime
  books its hold's length when a save lands before the page's update of the hold).
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import date
from urllib.parse import parse_qs, urlsplit

from gametime_cli.booking.offer import ClubOffer, length_note
from gametime_cli.errors import BadInput
from gametime_cli.models import Club
from gametime_cli.sites.base import (
    CourtDay,
    HeldBooking,
    Login,
    Outcome,
    OutcomeKind,
    SiteBooking,
    SlotRequest,
    choose_courts,
)


@dataclass(frozen=True)
class SimulatedOptions:
    success: float = 0.8
    seed: int | None = None
    courts: int = 6
    taken: frozenset[int] = frozenset()
    delay: float = 0.0
    held: int | None = None

    @classmethod
    def parse(cls, url: str) -> SimulatedOptions:
        query = parse_qs(urlsplit(url).query, keep_blank_values=True)
        unknown = set(query) - {"success", "seed", "courts", "taken", "delay", "held"}
        if unknown:
            raise BadInput(
                f"unknown simulate: option {sorted(unknown)[0]!r}; "
                "known: success, seed, courts, taken, delay, held"
            )

        def one(name: str) -> str | None:
            return query[name][-1] if name in query else None

        try:
            success = float(one("success") or 0.8)
            seed = int(one("seed")) if one("seed") else None
            courts = int(one("courts") or 6)
            taken = frozenset(int(c) for c in (one("taken") or "").split(",") if c)
            delay = float(one("delay") or 0)
            held = int(one("held")) if one("held") else None
        except ValueError:
            raise BadInput(f"{url!r}: simulate: options take numbers") from None
        if not 0 <= success <= 1 or not 1 <= courts <= 99 or not 0 <= delay <= 60:
            raise BadInput(
                f"{url!r}: success must be 0..1, courts 1..99 and delay 0..60 seconds"
            )
        if held is not None and not 30 <= held <= 24 * 60:
            raise BadInput(f"{url!r}: held is minutes, 30 to 1440")
        return cls(success, seed, courts, taken, delay, held)


class SimulatedSite:
    """Accepts any login, like the issue's simulation mode; it reads the password only
    through the same path a real driver does."""

    def __init__(self, club: Club, login: Login | None = None):
        self.options = SimulatedOptions.parse(club.url)
        self.login = login
        self.user_id: int | None = None
        self.clock_offset = 0.0
        self.send_ahead = 0.0

    @property
    def offer(self) -> ClubOffer:
        """Its courts; a simulated club lists no slots and any duration goes."""
        return ClubOffer(courts={n: 100 + n for n in range(1, self.options.courts + 1)})

    def prepare(self, day: date, before: float | None = None) -> None:
        """Nothing to prepare: the simulated site shares our clock."""

    def ready_to_fire(self) -> None:
        """Nothing to ready."""

    def day_courts(self, day: date) -> list[CourtDay]:
        """Every court; the taken ones booked all day."""
        return [
            CourtDay(number, 100 + number, f"Court {number}",
                     [SiteBooking(0, 1440, f"taken-{number}", [])]
                     if number in self.options.taken else [])
            for number in range(1, self.options.courts + 1)
        ]

    def verify_login(self) -> None:
        if self.login is not None:
            self.login.password.reveal()

    def _rng(self, request: SlotRequest) -> random.Random:
        if self.options.seed is None:
            return random.Random()
        return random.Random(f"{self.options.seed}:{request.booking_id}:{request.attempt}")

    def candidate_courts(self, request: SlotRequest) -> list[int]:
        return choose_courts(self.day_courts(request.day), request)

    def book_court(self, request: SlotRequest, court: int) -> Outcome:
        if self.options.delay:
            time.sleep(self.options.delay)
        if court in self.options.taken or court > self.options.courts:
            return Outcome(OutcomeKind.TAKEN, court, message=f"court {court} is already booked")
        request.holding(court)
        rng = self._rng(request)
        request.submitting(court)
        if rng.random() >= self.options.success:
            return Outcome(
                OutcomeKind.TRANSIENT, court, message="simulated site error (HTTP 503)"
            )
        held = self.options.held or request.duration
        return Outcome(OutcomeKind.CONFIRMED, court, confirmation=str(rng.randint(100000, 999999)),
                       booked_minutes=held, message=length_note(held, request.duration))

    def window_open(self, request: SlotRequest) -> bool | None:
        return None

    def my_booking_ids(self) -> set[str]:
        return set()

    def cancel_booking(self, booking: HeldBooking) -> bool:
        """The simulated site keeps no bookings: cancelling always succeeds."""
        return True

    def close(self) -> None:
        pass
