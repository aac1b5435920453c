"""Which courts an attempt asks for, and in what order, as the club serves them: the
candidate courts at the first time and then each alternative, never what the club
doesn't have (a court, a slot time, a duration)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time
from typing import TYPE_CHECKING

from gametime_cli.booking.offer import (
    ClubOffer,
    court_problem,
    duration_problem,
    request_problems,
    time_problem,
)
from gametime_cli.sites.base import (
    AttemptFailed,
    LoginRefused,
    Outcome,
    OutcomeKind,
    SiteDriver,
    SlotRequest,
)

if TYPE_CHECKING:
    from gametime_cli.store import Store


def attempt_courts(driver: SiteDriver, request: SlotRequest,
                   or_times: list[time] | None = None, known: ClubOffer | None = None,
                   club: str = "the club") -> tuple[Outcome, time]:
    """Try the candidate courts in order until one is booked or something other than
    'taken' or 'held' happens, at the first time, then at each alternative time. All
    taken means the slot is not available; some held by another member means 'held'
    (the run comes back to them). What the club doesn't have (a court, a slot time, a
    duration: as the day's courts and the `known` offer say) is never asked for: with
    nothing else to try, it fails at once. Returns the outcome and the time it concerns."""
    tried: list[str] = []
    held: list[str] = []
    cannot: list[str] = []
    for at in [request.time, *(or_times or [])]:
        asked = replace(request, time=at)
        try:
            candidates = driver.candidate_courts(asked)
            offer = offer_now(driver, known)
            whole = duration_problem(offer, club, asked.duration, asked.booking_type)
            if whole:  # no time, no court can change it
                return Outcome(OutcomeKind.PERMANENT, message=whole), at
            problem = time_problem(offer, club, asked.minutes)
            if problem is None:
                problem = court_problem(offer, club, asked.courts)
                candidates = [c for c in candidates if not offer.courts or c in offer.courts]
                if candidates and problem:
                    tried.append(problem)
                    problem = None
            if problem:
                cannot.append(problem)
                continue
            for court in candidates:
                outcome = driver.book_court(asked, court)
                if outcome.kind is OutcomeKind.HELD:
                    held.append(f"court {court}" if not or_times else
                                f"court {court} at {at.strftime('%H:%M')}")
                elif outcome.kind is not OutcomeKind.TAKEN:
                    return outcome, at
        except AttemptFailed as failed:
            return failed.outcome, at
        except LoginRefused as refused:
            return Outcome(OutcomeKind.LOGIN_REFUSED, message=str(refused)), at
        courts = ", ".join(str(c) for c in candidates) or "none free"
        tried.append(f"courts tried {courts}" if not or_times else
                     f"{at.strftime('%H:%M')} courts tried {courts}")
    if held:
        return (Outcome(OutcomeKind.HELD,
                        message=f"held by another member: {', '.join(held)}"), request.time)
    if cannot and not tried:
        return Outcome(OutcomeKind.PERMANENT, message="; ".join(cannot)), request.time
    return (Outcome(OutcomeKind.TAKEN,
                    message=f"not available: {'; '.join([*tried, *cannot])}"), request.time)


def can_serve(driver: SiteDriver, request: SlotRequest, known: ClubOffer | None) -> bool:
    """Whether the club, as the driver and the `known` offer have it, has what the
    request asks (at its first time): checked before any form is loaded."""
    return not request_problems(offer_now(driver, known), "", courts=request.courts,
                                times=[request.minutes], duration=request.duration,
                                booking_type=request.booking_type)


def offer_now(driver: SiteDriver, known: ClubOffer | None) -> ClubOffer:
    """What the club serves: the day's courts and slots as the driver just read them,
    the durations as last seen (by any run), brought up to date by this driver's."""
    seen = getattr(driver, "offer", None)
    base = known or ClubOffer()
    return base.learnt(seen) if seen is not None else base


def remember_offer(store: Store, club_id: int, driver: SiteDriver, now: datetime) -> None:
    """Keep what the driver read of the club's site (courts, slots, durations)."""
    seen = getattr(driver, "offer", None)
    if seen is not None:
        store.remember_offer(club_id, seen, now)
