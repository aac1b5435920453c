"""Turning what a player types into a booking: validation and the window instant."""

from __future__ import annotations

import unicodedata
from datetime import datetime

from gametime_cli.errors import BadInput
from gametime_cli.models import Booking
from gametime_cli.store import Store
from gametime_cli.windows import local_instant, parse_day, parse_slot_time, window_opens_at

BOOKING_TYPES = ("singles", "doubles")
MAX_DURATION = 480
MAX_PARTNERS = 3


def _clean_text(value: str, what: str, limit: int = 60) -> str:
    cleaned = value.strip()
    if not cleaned or len(cleaned) > limit:
        raise BadInput(f"{what} must be 1 to {limit} characters")
    if any(unicodedata.category(ch)[0] == "C" for ch in cleaned):
        raise BadInput(f"{what} {cleaned!r} contains control characters")
    return cleaned


def create_booking(
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
) -> Booking:
    """Validate a booking request and store it as pending; nothing is written on error."""
    club = store.get_club(club_name)
    chosen = store.account_for(club, account)
    zone = club.zone
    slot = parse_slot_time(time_text)
    day = parse_day(day_text, slot, now.astimezone(zone))
    if duration <= 0 or duration % 30 or duration > MAX_DURATION:
        raise BadInput(
            f"--duration {duration} is not allowed; use a positive multiple of 30 minutes "
            f"up to {MAX_DURATION} (30, 60, 90, ...)"
        )
    bad_courts = [c for c in courts if not 1 <= c <= 99]
    if bad_courts:
        raise BadInput(f"--court {bad_courts[0]} is not a court number; courts are 1 to 99")
    courts = list(dict.fromkeys(courts))
    if len(partners) > MAX_PARTNERS:
        raise BadInput(f"at most {MAX_PARTNERS} partners fit on a booking")
    partners = [_clean_text(p, "a partner's name") for p in partners]
    if booking_type is not None and booking_type not in BOOKING_TYPES:
        raise BadInput(f"--type {booking_type!r} is not known; use singles or doubles")
    start = local_instant(day, slot, zone)
    if start <= now:
        raise BadInput(
            f"{day.isoformat()} {slot.strftime('%H:%M')} at {club.name} has already begun; "
            "pick a later date or time"
        )
    opens = window_opens_at(day, club.window_days, club.opens_at, zone)
    return store.add_booking(
        club=club,
        account=chosen.username if chosen else None,
        day=day.isoformat(),
        time=slot.strftime("%H:%M"),
        duration=duration,
        courts=courts,
        partners=partners,
        type=booking_type,
        execute_at=max(opens, now),
        slot_start=start,
        now=now,
    )
