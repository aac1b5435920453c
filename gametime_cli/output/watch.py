"""`watch`'s screen and its event lines."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from gametime_cli.clock import to_iso
from gametime_cli.models import Booking
from gametime_cli.output.json_shapes import run_json_entry
from gametime_cli.output.tables import add_row, new_table, status_cell
from gametime_cli.output.words import confirmed_words, relative, relative_changes_in, slot_label

WATCH_ROWS = 8
"""The bookings `watch` shows coming next."""


def watch_rows(pending: list[Booking], results: list[Any], zones: dict[str, ZoneInfo],
               now: datetime) -> tuple[tuple[tuple[str, ...], ...], tuple[tuple[str, ...], ...]]:
    """What `watch`'s screen says now, as text: the next bookings (soonest due first) with
    countdowns, and the last results. Cheap to compute, so the screen is redrawn only
    when it changes."""
    upcoming = []
    for b in sorted(pending, key=lambda b: b.due_at)[:WATCH_ROWS]:
        zone = zones.get(b.club)
        opens = b.due_at.astimezone(zone).strftime("%a %d %b %H:%M:%S") if zone else ""
        upcoming.append((str(b.id), b.club, slot_label(b), opens, relative(b.due_at - now)))
    done = tuple((str(r.booking.id), r.booking.club, slot_label(r.booking), r.booking.status,
                  confirmed_words(r.booking) or r.error or "") for r in results)
    return tuple(upcoming), done


def watch_redraw_in(pending: list[Booking], now: datetime) -> float:
    """Seconds until a countdown of `watch_rows` reads differently (at most a minute)."""
    return min([60.0, *(relative_changes_in(b.due_at - now)
                        for b in pending[:WATCH_ROWS] if b.due_at > now)])


def watch_view(rows: tuple[tuple[tuple[str, ...], ...], tuple[tuple[str, ...], ...]]) -> Any:
    """The live screen of `watch` (see `watch_rows`)."""
    from rich.console import Group

    upcoming, done = rows
    coming = new_table("ID", "Club", "Slot", "Opens", "In", title="Next bookings")
    for row in upcoming:
        add_row(coming, *row)
    results = new_table("ID", "Club", "Slot", "Status", "Confirmation / error",
                     title="Last results")
    for ident, club, slot, status, detail in done:
        add_row(results, ident, club, slot, status_cell(status), detail)
    return Group(coming, results)


def watch_event(event: Any, as_json: bool) -> str | None:
    """One line for a log, or one JSON object, per event of `watch`."""
    at = to_iso(event.at)
    if as_json:
        data: dict[str, Any] = {"event": event.kind, "at": at}
        if event.result is not None:
            data["booking"] = run_json_entry(event.result)
        if event.next_due is not None:
            data["next_due"] = to_iso(event.next_due)
        return json.dumps(data)
    if event.kind == "result" and event.result is not None:
        b = event.result.booking
        detail = (f"court {b.court}, {confirmed_words(b, 'confirmation ')}" if b.number
                  else event.result.error or "")
        return f"{at} booking {b.id} ({b.club} {slot_label(b)}): {b.status} {detail}".rstrip()
    if event.kind == "waiting":
        nxt = f"next due {to_iso(event.next_due)}" if event.next_due else "nothing pending"
        return f"{at} waiting: {nxt}"
    if event.kind in ("started", "stopped", "changed"):
        return f"{at} watch {event.kind}"
    return None
