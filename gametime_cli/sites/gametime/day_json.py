"""The day's JSON (`jsoncourtdata`) as gametime-site.md records it, read into courts.

`e` holds one entry per court: `n` its name, `mn` its number, `i` its id, `b` its
bookings (`t` start and `d` length in minutes, `bkId` the site's id, `c` the
confirmation number, `p` the players with their user ids `u`), and `t` its open time
spans `{t, d, i}`. An older shape lists the day's slot times in a top-level `t`
instead. Absent keys are read as absent; a shape that can't be read is ValueError.
"""

from __future__ import annotations

from typing import Any

from gametime_cli.sites.base import CourtDay, SiteBooking

DAY_MINUTES = 24 * 60


def read_courts(data: Any) -> list[CourtDay]:
    """Every court of the day, by number; ValueError if the JSON isn't the day's."""
    try:
        return sorted((_court(entry) for entry in data["e"]), key=lambda c: c.number)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ValueError("the day's court data had an unexpected shape") from exc


def _court(entry: dict[str, Any]) -> CourtDay:
    return CourtDay(
        number=int(entry["mn"]), court_id=int(entry["i"]),
        name=str(entry.get("n", f"Court {entry['mn']}")),
        bookings=[_booking(b) for b in entry.get("b") or []],
        spans=_spans(entry.get("t")),
    )


def _booking(b: dict[str, Any]) -> SiteBooking:
    confirmation = b.get("c")
    return SiteBooking(
        start=int(b["t"]), duration=int(b["d"]), booking_id=str(b.get("bkId") or ""),
        players=[(str(p.get("n", "")), p.get("u") or None) for p in b.get("p") or []],
        confirmation=str(confirmation) if confirmation not in (None, "") else None,
    )


def _spans(listed: Any) -> tuple[tuple[int, int], ...] | None:
    """A court's open time spans (start, end) in minutes; None if absent or unread."""
    if not isinstance(listed, list) or not listed:
        return None
    spans = []
    for item in listed:
        if not isinstance(item, dict):
            return None
        start, length = _minutes(item.get("t")), _minutes(item.get("d"))
        if start is None or not length:
            return None
        spans.append((start, min(DAY_MINUTES, start + length)))
    return tuple(sorted(spans))


def _minutes(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    text = str(value).strip()
    return int(text) if text.isdigit() and 0 <= int(text) <= DAY_MINUTES else None


def slot_times(data: Any) -> tuple[int, ...] | None:
    """The day's slot times, minutes since local midnight as the booking URLs have them:
    the older top-level `t` list (numbers, or objects with a `t`); None if absent or not
    understood. (The recorded shape's per-court spans say when a court is open, not
    where its slots start.)"""
    listed = data.get("t") if isinstance(data, dict) else None
    if not isinstance(listed, list) or not listed:
        return None
    found: list[int] = []
    for item in listed:
        value = _minutes(item.get("t") if isinstance(item, dict) else item)
        if value is None or value >= DAY_MINUTES:
            return None
        found.append(value)
    return tuple(sorted(set(found)))
