"""Words and times as a player reads them: countdowns, local times, slots, courts,
players, confirmations, series rules, how far ahead a window opens."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from gametime_cli.models import Booking, Series


def relative(delta: timedelta) -> str:
    """`in 3 days 14 h`, `in 5 min`, `2 h ago`: the two largest units."""
    seconds = int(delta.total_seconds())
    future = seconds >= 0
    seconds = abs(seconds)
    if seconds < 1:
        return "now"
    parts = []
    for name, size in (("day", 86400), ("h", 3600), ("min", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            label = f"{name}s" if name == "day" and count > 1 else name
            parts.append(f"{count} {label}")
        if len(parts) == 2:
            break
    text = " ".join(parts)
    return f"in {text}" if future else f"{text} ago"


def relative_changes_in(delta: timedelta) -> float:
    """Seconds until `relative(delta)` (counting down) reads differently: a countdown in
    days and hours changes on the hour, one in hours and minutes on the minute."""
    seconds = delta.total_seconds()
    unit = 3600 if seconds >= 86400 else 60 if seconds >= 3600 else 1
    return seconds % unit or unit


def local_time(instant: datetime, zone: ZoneInfo, seconds: bool = False) -> str:
    fmt = "%a %d %b %Y %H:%M:%S %Z" if seconds else "%a %d %b %Y %H:%M %Z"
    return instant.astimezone(zone).strftime(fmt)


NBSP = "\u00a0"


def players_label(members: list[str], guests: list[str]) -> str:
    """Partners as a player reads them: members by name, guests marked; `;` between
    them, as a name may hold a comma ("Lee, Sam")."""
    return "; ".join([*members, *(f"{g} (guest)" for g in guests)])


def asked_label(booking: Booking) -> str | None:
    """'(asked 19:00)' when an alternative time was booked, else None."""
    if booking.played_time == booking.time:
        return None
    return f"(asked {booking.time.strftime('%H:%M')})"


def time_label(booking: Booking) -> str:
    """The time booked, saying the time asked for when an alternative was booked."""
    return " ".join(filter(None, [booking.played_time.strftime("%H:%M"),
                                  asked_label(booking)]))


def slot_label(booking: Booking) -> str:
    return f"{booking.day.strftime('%a %d %b %Y')} {time_label(booking)}"


def asked_courts_label(courts: list[int]) -> str:
    """The courts asked for, in the order of preference: '3, 1', or 'any'."""
    return ", ".join(str(c) for c in courts) if courts else "any"


def confirmed_words(booking: Booking, label: str = "") -> str:
    """The number a booking goes by (`label` before a confirmation number), and the
    length the site holds when it isn't the one asked for; empty if it has none."""
    if not booking.number:
        return ""
    words = f"{label}{booking.confirmation}" if booking.confirmation else booking.number
    return f"{words}; {booking.length_note}" if booking.length_note else words


def more_bookings(shown: int, in_view: int, total: int, everything: bool,
                  status: str | None) -> str | None:
    """The line under `list`'s table: how many bookings it left out, and how to see them."""
    more, older = in_view - shown, total - in_view
    command = "gametime list" + (f" --status {status}" if status else "")
    if everything:
        return f"… {more:,} more: {command} --all" if more else None
    if more and older:
        return (f"… {more + older:,} more: {more:,} to come or from the last week "
                f"({command} --limit {in_view}), {older:,} older ({command} --all)")
    if more:
        return f"… {more:,} more: {command} --limit {in_view}"
    return f"… {older:,} older: {command} --all" if older else None


def series_rule(series: Series) -> str:
    every = {"day": "every day", "week": "every week", "2weeks": "every 2 weeks"}[series.freq]
    if series.freq != "day":
        every += f" on {series.first_day.strftime('%A')}"
    end = (f", until {series.until_day.isoformat()}" if series.until_day
           else f", {series.count} games" if series.count else "")
    return (f"{every} at {series.time.strftime('%H:%M')} at {series.club}, from "
            f"{series.first_day.isoformat()}{end}, {series.duration} min, "
            f"court {asked_courts_label(series.courts)}")


def days_ahead(days: int) -> str:
    """How far ahead a club's days open, in words: 'the same day', '1 day ahead', '6 days
    ahead'."""
    if days == 0:
        return "the same day"
    return f"{days} day ahead" if days == 1 else f"{days} days ahead"
