"""Everything shown to the user: Rich tables for people, JSON for scripts."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from gametime_cli.clock import to_iso
from gametime_cli.models import Account, Attempt, Booking, Club, Series
from gametime_cli.output.booking_json import booking_json as booking_json

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from gametime_cli.run.runner import RunReport
    from gametime_cli.sites.base import CourtDay, SiteBooking

RUN_JSON_VERSION = 1
STATUS_STYLE = {
    "pending": "yellow",
    "running": "cyan",
    "confirmed": "green",
    "failed": "red",
    "missed": "red",
    "cancelled": "dim",
}


def console(stderr: bool = False) -> Console:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def stream_json(texts: Iterable[str]) -> None:
    """A JSON array written item by item from each item's JSON text, one a line: memory
    holds one item at a time, however long the list."""
    write = sys.stdout.write
    opening = "[\n"
    for text in texts:
        write(opening + text)
        opening = ",\n"
    write("[]\n" if opening == "[\n" else "\n]\n")


def error_line(message: str) -> None:
    """The one line a failing command leaves on stderr."""
    sys.stderr.write(f"gametime: error: {message}\n")


# -- words and times ------------------------------------------------------------


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


def courts_label(courts: list[int]) -> str:
    return ", ".join(str(c) for c in courts) if courts else "any"


# -- JSON shapes ------------------------------------------------------------------


def attempt_json(attempt: Attempt) -> dict[str, Any]:
    return {
        "number": attempt.number,
        "started_at": to_iso(attempt.started_at),
        "finished_at": to_iso(attempt.finished_at) if attempt.finished_at else None,
        "submitted_at": to_iso(attempt.submitted_at) if attempt.submitted_at else None,
        "outcome": attempt.outcome,
        "court": attempt.court,
        "confirmation": attempt.confirmation,
        "error": attempt.error,
        "artifacts": attempt.artifacts,
    }


def club_json(club: Club) -> dict[str, Any]:
    return {
        "name": club.name,
        "url": club.url,
        "timezone": club.timezone,
        "window_days": club.window_days,
        "opens_at": club.opens_at.isoformat(),
        "sport": club.sport,
        "login_url": club.login_url,
    }


def empty_run_json(dry_run: bool = False) -> dict[str, Any]:
    return {"version": RUN_JSON_VERSION, "dry_run": dry_run, "exit_code": 0, "bookings": []}


def account_json(account: Account) -> dict[str, Any]:
    return {"club": account.club, "username": account.username, "store": account.store}


def check_json(account: Account, now_error: str | None, cron_error: str | None,
               cron_checked: bool) -> dict[str, Any]:
    return {
        **account_json(account),
        "now": {"ok": now_error is None, "error": now_error},
        "cron": {"ok": (cron_error is None) if cron_checked else None, "error": cron_error},
    }


def run_json(report: RunReport) -> dict[str, Any]:
    return {
        "version": RUN_JSON_VERSION,
        "dry_run": report.dry_run,
        "exit_code": int(report.exit_code),
        "bookings": [run_json_entry(r) for r in report.results],
    }


def run_json_entry(result: Any) -> dict[str, Any]:
    b = result.booking
    return {
        "id": b.id,
        "club": b.club,
        "date": b.day.isoformat(),
        "time": b.time.strftime("%H:%M"),
        "booked_time": b.booked_time.strftime("%H:%M") if b.booked_time else None,
        "court": b.court,
        "status": b.status,
        "outcome": result.outcome,
        "confirmation": b.confirmation,
        "site_id": b.site_id,
        "booked_minutes": b.booked_minutes,
        "length_note": b.length_note,
        "error": result.error,
        "attempts": b.attempts,
        "next_try_at": to_iso(b.due_at) if b.status == "pending" else None,
    }


# -- tables -------------------------------------------------------------------------


def _status(status: str) -> Text:
    from rich.text import Text

    return Text(status, style=STATUS_STYLE.get(status, "white"))


def _add_row(table: Table, *cells: str | Text) -> None:
    """Add a row whose strings are shown as they are: names and site errors may hold
    brackets that Rich would otherwise read as markup."""
    from rich.text import Text

    table.add_row(*(Text(c) if isinstance(c, str) else c for c in cells))


def _table(*columns: str, title: str | None = None) -> Table:
    from rich import box
    from rich.table import Table

    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False,
                  padding=(0, 1, 0, 0))
    for column in columns:
        table.add_column(column, no_wrap=column in ("ID", "Day", "Time"))
    return table


def bookings_table(bookings: list[Booking], now: datetime) -> Table:
    """One row a booking; exact run times are in `show`, here only how far off."""
    table = _table("ID", "Club", "Slot", "Min", "Courts", "Status", "Runs", "Result")
    for column in (*table.columns[1:2], *table.columns[3:7]):
        column.no_wrap = True
    keep = str.maketrans(" ", NBSP)  # a narrow table breaks lines only between the parts
    for b in bookings:
        runs = "" if b.status != "pending" else (
            relative(b.due_at - now) if b.due_at > now else "due now")  # not "16 s ago"
        if b.number:
            result = f"#{b.number} {f'court {b.court}'.translate(keep)}"
            if b.length_note:
                result += f"; {b.length_note}"
            if b.status == "cancelled":
                result = f"was {result}"  # booked, then cancelled at the club
        elif b.status in ("pending", "failed"):
            result = b.last_error or ""
        else:
            result = ""
        _add_row(
            table, str(b.id), b.club,
            " ".join(part.translate(keep) for part in filter(None, [
                f"{b.day.strftime('%a %d %b')} {b.played_time.strftime('%H:%M')}",
                asked_label(b)])),
            str(b.duration), courts_label(b.courts), _status(b.status), runs, result,
        )
    return table


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


def attempts_table(attempts: list[Attempt], opens: datetime | None = None) -> Table:
    """The attempts; an attempt started ahead of the window's opening `opens` (prepared,
    then waiting) took its time from the opening, not from its start."""
    table = _table("#", "Started (UTC)", "Took", "Outcome", "Court", "Confirmation / error",
                   title="Attempts")
    for a in attempts:
        began = max(a.started_at, opens) if opens is not None else a.started_at
        took = (
            f"{max(0.0, (a.finished_at - began).total_seconds()):.2f} s"
            if a.finished_at else ""
        )
        _add_row(table,
            str(a.number), to_iso(a.started_at), took, a.outcome or "in progress",
            str(a.court or ""), a.confirmation or a.error or "",
        )
    return table


def booking_detail(booking: Booking, club: Club, attempts: list[Attempt], now: datetime) -> None:
    out = console()
    zone = club.zone
    from rich.text import Text

    out.print(Text.assemble((f"Booking {booking.id}", "bold"), "  ", _status(booking.status)))
    rows = [
        ("Club", f"{club.name} ({club.url})"),
        ("Account", booking.account or "(default)"),
        ("Slot", f"{slot_label(booking)} {club.timezone}, {booking.duration} min"),
        ("Courts", courts_label(booking.courts)),
        ("Partners", players_label(booking.partners, booking.guests) or "none"),
        ("Type", booking.type or "(club default)"),
        # execute_at is the opening, or the registration when the window was open then.
        ("Window opens", local_time(booking.execute_at, zone, seconds=True))
        if booking.execute_at > booking.created_at else
        ("Window", "already open when it was registered"),
    ]
    if booking.status == "pending":
        rows.append(("Next read" if booking.watching_since else "Next try",
                     f"{local_time(booking.due_at, zone, seconds=True)} "
                     f"({relative(booking.due_at - now)})"))
    if booking.or_times or booking.any_court:
        others = ", ".join(t.strftime("%H:%M") for t in booking.or_times)
        rows.append(("Else", " then ".join(filter(None, [
            "any free court" if booking.any_court else "", f"at {others}" if others else ""]))))
    if booking.number:
        alternative = (f" at {booking.booked_time.strftime('%H:%M')}, an alternative time"
                       if booking.booked_time and booking.booked_time != booking.time else "")
        rows.append(("Was booked" if booking.status == "cancelled" else "Confirmed",
                     f"court {booking.court}{alternative}, "
                     f"{confirmed_words(booking, 'confirmation ')}"))
        if booking.site_id and booking.confirmation:
            rows.append(("Site's id", booking.site_id))
    if booking.keep_trying:
        rows.append(("Keep trying", _keep_trying_line(booking, club)))
    if booking.last_error and not (booking.status == "pending" and booking.watching_since):
        rows.append(("Last error", booking.last_error))
    from gametime_cli.booking.windows import opening_note

    note = opening_note(club)
    if note is not None:
        rows.append(("Opening", str(note)))
    for label, value in rows:
        out.print(f"  {label:<13} {value}", markup=False)
    if attempts:
        out.print(attempts_table(attempts, booking.execute_at))
    kept = [path for a in attempts for path in a.artifacts]
    if kept:
        out.print("Kept from failed attempts (screenshot, page):")
        for path in kept:
            out.print(f"  {path}", markup=False)


def _keep_trying_line(booking: Booking, club: Club) -> str:
    """`show`'s line for a booking that keeps trying while its courts are taken."""
    from gametime_cli.run.keep_trying import WATCHING, checked, cutoff

    until = local_time(cutoff(booking.keep_trying or "", booking.slot_start, club.zone),
                       club.zone)
    reads = checked(booking.checks)
    if booking.status == "pending" and booking.watching_since:
        return (f"{WATCHING} since "
                f"{local_time(booking.watching_since, club.zone, seconds=True)}, {reads}; "
                f"until {until}")
    if booking.watching_since:
        return f"{reads} while every court was taken (until {until})"
    return f"if every court is taken, watch for one to free until {until}"


def confirmed_words(booking: Booking, label: str = "") -> str:
    """The number a booking goes by (`label` before a confirmation number), and the
    length the site holds when it isn't the one asked for; empty if it has none."""
    if not booking.number:
        return ""
    words = f"{label}{booking.confirmation}" if booking.confirmation else booking.number
    return f"{words}; {booking.length_note}" if booking.length_note else words


def run_table(report: RunReport) -> Table:
    title = "Would run (dry run)" if report.dry_run else None
    table = _table("ID", "Club", "Day", "Time", "Court", "Status", "Confirmation / error",
                   title=title)
    for r in report.results:
        b = r.booking
        court = str(b.court) if b.court else ""  # none booked (the wanted ones: `show`)
        detail = confirmed_words(b) or r.error or ""
        if b.status == "pending" and not report.dry_run and not r.needs_attention and (
                r.outcome != "watching"):
            detail = f"{detail} (retrying)" if detail else "retrying"
        elif report.dry_run:
            detail = _would_run(b, detail)
        _add_row(table, str(b.id), b.club, b.day.strftime("%a %d %b"), time_label(b),
                 court, _status(b.status), detail)
    return table


def _would_run(booking: Booking, detail: str) -> str:
    """When a dry run's booking would be tried: now, or at its opening in the lookahead."""
    from gametime_cli.clock import utcnow

    wait = booking.due_at - utcnow()
    when = f"at its opening, {relative(wait)}" if wait.total_seconds() >= 1 else "now"
    return f"{detail}; would run {when}" if detail else f"would run {when}"


def accounts_table(accounts: list[Account]) -> Table:
    table = _table("Club", "Username", "Password kept in")
    where = {"keyring": "the OS keyring", "file": "the encrypted file"}
    for a in accounts:
        _add_row(table, a.club, a.username, where.get(a.store, a.store))
    return table


def check_table(rows: list[dict[str, Any]]) -> Table:
    from rich.text import Text

    def verdict(result: dict[str, Any]) -> Text:
        if result["ok"] is None:
            return Text("not checked", style="dim")
        if result["ok"]:
            return Text("readable", style="green")
        return Text(f"NO: {result['error']}", style="red")

    table = _table("Club", "Username", "Store", "Now", "From cron")
    for row in rows:
        _add_row(table, row["club"], row["username"], row["store"], verdict(row["now"]),
                 verdict(row["cron"]))
    return table


def _is_ours(booking: SiteBooking, ours: set[str], user_id: int | None) -> bool:
    """The member's own: by user id, or one of its two numbers among the member's."""
    return bool(booking.numbers & ours) or booking.is_ours(user_id)


def courts_json(club: str, day: date, courts: list[CourtDay], ours: set[str],
                user_id: int | None) -> dict[str, Any]:
    return {
        "club": club,
        "date": day.isoformat(),
        "courts": [
            {
                "number": c.number, "id": c.court_id, "name": c.name,
                "bookings": [
                    {"time": f"{b.start // 60:02d}:{b.start % 60:02d}", "duration": b.duration,
                     "id": b.booking_id, "confirmation": b.confirmation,
                     "ours": _is_ours(b, ours, user_id),
                     "players": [name for name, _ in b.players]}
                    for b in c.bookings
                ],
            }
            for c in courts
        ],
    }


def courts_grid(club: str, day: date, courts: list[CourtDay], ours: set[str],
                user_id: int | None) -> Table:
    """Half-hour rows by court columns: '·' free, the players' name booked, ★ ours."""
    from rich.text import Text

    starts = [b.start for c in courts for b in c.bookings if b.start < 1440]
    first = min([360, *starts]) // 30 * 30
    last = max([1350, *(b.start + b.duration - 30 for c in courts for b in c.bookings
                        if b.start < 1440)])
    table = _table("Time", *(c.name for c in courts),
                   title=f"{club}, {day.strftime('%A %d %B %Y')}")
    for minute in range(first, min(last, 1410) + 1, 30):
        cells: list[str | Text] = [f"{minute // 60:02d}:{minute % 60:02d}"]
        for court in courts:
            booked = next((b for b in court.bookings
                           if b.start <= minute < b.start + b.duration), None)
            if booked is None:
                cells.append(Text("·", style="dim"))
            elif _is_ours(booked, ours, user_id):
                cells.append(Text("★ ours", style="bold green"))
            else:
                who = booked.players[0][0].split(",")[0] if booked.players else "booked"
                cells.append(Text(who or "booked", style="red"))
        _add_row(table, *cells)
    return table


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
    coming = _table("ID", "Club", "Slot", "Opens", "In", title="Next bookings")
    for row in upcoming:
        _add_row(coming, *row)
    results = _table("ID", "Club", "Slot", "Status", "Confirmation / error",
                     title="Last results")
    for ident, club, slot, status, detail in done:
        _add_row(results, ident, club, slot, _status(status), detail)
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


def series_rule(series: Series) -> str:
    every = {"day": "every day", "week": "every week", "2weeks": "every 2 weeks"}[series.freq]
    if series.freq != "day":
        every += f" on {series.first_day.strftime('%A')}"
    end = (f", until {series.until_day.isoformat()}" if series.until_day
           else f", {series.count} games" if series.count else "")
    return (f"{every} at {series.time.strftime('%H:%M')} at {series.club}, from "
            f"{series.first_day.isoformat()}{end}, {series.duration} min, "
            f"court {courts_label(series.courts)}")


def series_json(series: Series) -> dict[str, Any]:
    return {
        "id": series.id, "club": series.club, "account": series.account,
        "every": series.freq, "first_date": series.first_day.isoformat(),
        "until": series.until_day.isoformat() if series.until_day else None,
        "count": series.count, "time": series.time.strftime("%H:%M"),
        "duration": series.duration, "courts": series.courts, "partners": series.partners,
        "guests": series.guests,
        "type": series.type, "status": series.status, "notes": series.notes,
        "next_booking_made_at": to_iso(series.next_at) if series.next_at else None,
        "keep_trying_until": series.keep_trying,
    }


def series_table(found: list[Series]) -> Table:
    table = _table("ID", "Status", "Rule")
    for series in found:
        _add_row(table, str(series.id), series.status, series_rule(series))
    return table


def days_ahead(days: int) -> str:
    """How far ahead a club's days open, in words: 'the same day', '1 day ahead', '6 days
    ahead'."""
    if days == 0:
        return "the same day"
    return f"{days} day ahead" if days == 1 else f"{days} days ahead"


def clubs_table(clubs: list[Club]) -> Table:
    table = _table("Name", "URL", "Time zone", "Window", "Sport")
    for c in clubs:
        window = f"{days_ahead(c.window_days)} at {c.opens_at.isoformat()}"
        url = f"{c.url} (signs in at {c.login_url})" if c.login_url else c.url
        _add_row(table, c.name, url, c.timezone, window, str(c.sport))
    return table
