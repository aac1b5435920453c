"""Turning what a player types into a booking: validation and the window instant."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from gametime_cli.booking import offer
from gametime_cli.booking.windows import local_instant, parse_day, parse_slot_time, window_opens_at
from gametime_cli.errors import BadInput
from gametime_cli.models import Booking, Club, Series
from gametime_cli.store import Store

BOOKING_TYPES = ("singles", "doubles")
MAX_DURATION = 480
MAX_PARTNERS = 3
HORIZON_DAYS = 3660
"""How far ahead a booking's day, or a series' --until, may be: ten years, which catches
a mistyped year (2062 for 2026) and keeps every instant computed from the day well
inside the calendar."""


def check_horizon(day: date, today: date, what: str) -> None:
    """BadInput when `day` is more than HORIZON_DAYS after the club's `today`."""
    if (day - today).days > HORIZON_DAYS:
        raise BadInput(f"{what} {day.isoformat()} is more than ten years ahead; check the year")


def _clean_text(value: str, what: str, limit: int = 60) -> str:
    cleaned = value.strip()
    if not cleaned or len(cleaned) > limit:
        raise BadInput(f"{what} must be 1 to {limit} characters")
    if any(unicodedata.category(ch)[0] == "C" for ch in cleaned):
        raise BadInput(f"{what} {cleaned!r} contains control characters")
    return cleaned


@dataclass(frozen=True)
class Request:
    """A booking request, checked: what `book` stores, or what a series repeats."""

    club: Club
    account: str | None
    day: date
    slot: time
    duration: int
    courts: list[int]
    partners: list[str]
    """Members, chosen from the club's roster."""
    type: str | None
    or_times: list[time]
    any_court: bool
    guests: list[str] = field(default_factory=list)


def check_request(
    store: Store,
    *,
    club_name: str,
    day_text: str,
    time_text: str,
    duration: int,
    courts: list[int],
    partners: list[str],
    booking_type: str | None,
    account: str | None,
    now: datetime,
    or_times: list[str] | None = None,
    any_court: bool = False,
    guests: list[str] | None = None,
) -> Request:
    """Validate what a player typed; BadInput with the fix when something is wrong."""
    club = store.get_club(club_name)
    chosen = store.account_for(club, account)
    zone = club.zone
    slot = parse_slot_time(time_text)
    now_local = now.astimezone(zone)
    today = now_local.date()
    day = parse_day(day_text, slot, now_local)
    check_horizon(day, today, "the date")
    if duration <= 0 or duration % 30 or duration > MAX_DURATION:
        raise BadInput(
            f"--duration {duration} is not allowed; use a positive multiple of 30 minutes "
            f"up to {MAX_DURATION} (30, 60, 90, ...)"
        )
    bad_courts = [c for c in courts if not 1 <= c <= 99]
    if bad_courts:
        raise BadInput(f"--court {bad_courts[0]} is not a court number; courts are 1 to 99")
    guests = guests or []
    if len(partners) + len(guests) > MAX_PARTNERS:
        raise BadInput(f"at most {MAX_PARTNERS} partners and guests fit on a booking")
    if booking_type is not None and booking_type not in BOOKING_TYPES:
        raise BadInput(f"--type {booking_type!r} is not known; use singles or doubles")
    if day < today or local_instant(day, slot, zone) <= now:  # day first: 0001-01-01
        raise BadInput(
            f"{day.isoformat()} {slot.strftime('%H:%M')} at {club.name} has already begun; "
            "pick a later date or time"
        )
    alternatives = []
    for text in or_times or []:
        other = parse_slot_time(text)
        local_instant(day, other, zone)  # it must exist that day
        if other != slot and other not in alternatives:
            alternatives.append(other)
    request = Request(club, chosen.username if chosen else None, day, slot, duration,
                      list(dict.fromkeys(courts)),
                      [_clean_text(p, "a partner's name") for p in partners], booking_type,
                      alternatives, any_court,
                      [_clean_text(g, "a guest's name") for g in guests])
    check_club_has(store, request)
    return request


def check_club_has(store: Store, request: Request) -> None:
    """BadInput naming what the club has, when the request asks for a court, a slot
    time or a duration its site (as last read) doesn't have; nothing read, nothing said."""
    problems = offer.request_problems(
        store.club_offer(request.club.id), request.club.name, courts=request.courts,
        times=[t.hour * 60 + t.minute for t in [request.slot, *request.or_times]],
        duration=request.duration,
        booking_type=offer.booking_type(request.type,
                                        len(request.partners) + len(request.guests)))
    if problems:
        raise BadInput("; ".join(problems))


def create_booking(store: Store, *, now: datetime, keep_trying: str | None = None,
                   **typed: Any) -> Booking:
    """Validate a booking request and store it as pending; nothing is written on error.
    `keep_trying`: the cut-off spec when it is to keep trying while every court is taken."""
    request = check_request(store, now=now, **typed)
    zone = request.club.zone
    opens = window_opens_at(request.day, request.club.window_days, request.club.opens_at, zone)
    return store.add_booking(
        club=request.club,
        account=request.account,
        day=request.day.isoformat(),
        time=request.slot.strftime("%H:%M"),
        duration=request.duration,
        courts=request.courts,
        partners=request.partners,
        type=request.type,
        execute_at=max(opens, now),
        slot_start=local_instant(request.day, request.slot, zone),
        now=now,
        or_times=[t.strftime("%H:%M") for t in request.or_times],
        any_court=request.any_court,
        keep_trying=keep_trying,
        guests=request.guests,
    )


def create_series(store: Store, *, now: datetime, every: str, until_text: str | None,
                  count: int | None, keep_trying: str | None = None,
                  **typed: Any) -> tuple[Series, list[Booking]]:
    """Store a recurring booking from its first occurrence; returns the bookings made
    at once (those whose window opens within two days)."""
    from gametime_cli.booking.series import check_rule, materialize

    request = check_request(store, now=now, **typed)
    until = None
    if until_text is not None:
        now_local = now.astimezone(request.club.zone)
        until = parse_day(until_text, request.slot, now_local)
        check_horizon(until, now_local.date(), "--until")
    check_rule(every, until, count, request.day)
    series = store.add_series(
        club=request.club, account=request.account, freq=every,
        first_day=request.day.isoformat(), until_day=until.isoformat() if until else None,
        count=count, time=request.slot.strftime("%H:%M"), duration=request.duration,
        courts=request.courts, partners=request.partners, type=request.type,
        or_times=[t.strftime("%H:%M") for t in request.or_times],
        any_court=request.any_court, now=now, keep_trying=keep_trying,
        guests=request.guests,
    )
    made = materialize(store, series, now)
    return store.get_series(series.id), made
