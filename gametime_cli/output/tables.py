"""Rich tables and views for people: bookings, a booking's detail, runs, accounts,
clubs, series, a day's courts."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from gametime_cli.clock import to_iso
from gametime_cli.models import Account, Attempt, Booking, Club, Series, Status
from gametime_cli.output.json_shapes import is_ours
from gametime_cli.output.streams import console
from gametime_cli.output.words import (
    NBSP,
    asked_courts_label,
    asked_label,
    confirmed_words,
    days_ahead,
    local_time,
    players_label,
    relative,
    series_rule,
    slot_label,
    time_label,
)
from gametime_cli.run.result import RunOutcome

if TYPE_CHECKING:
    from rich.table import Table
    from rich.text import Text

    from gametime_cli.run.result import RunReport
    from gametime_cli.sites.base import CourtDay


STATUS_STYLE = {
    Status.PENDING: "yellow",
    Status.RUNNING: "cyan",
    Status.CONFIRMED: "green",
    Status.FAILED: "red",
    Status.MISSED: "red",
    Status.CANCELLED: "dim",
}


def status_cell(status: str) -> Text:
    from rich.text import Text

    return Text(status, style=STATUS_STYLE.get(status, "white"))


def add_row(table: Table, *cells: str | Text) -> None:
    """Add a row whose strings are shown as they are: names and site errors may hold
    brackets that Rich would otherwise read as markup."""
    from rich.text import Text

    table.add_row(*(Text(c) if isinstance(c, str) else c for c in cells))


def new_table(*columns: str, title: str | None = None) -> Table:
    from rich import box
    from rich.table import Table

    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False,
                  padding=(0, 1, 0, 0))
    for column in columns:
        table.add_column(column, no_wrap=column in ("ID", "Day", "Time"))
    return table


def bookings_table(bookings: list[Booking], now: datetime) -> Table:
    """One row a booking; exact run times are in `show`, here only how far off."""
    table = new_table("ID", "Club", "Slot", "Min", "Courts", "Status", "Runs", "Result")
    for column in (*table.columns[1:2], *table.columns[3:7]):
        column.no_wrap = True
    keep = str.maketrans(" ", NBSP)  # a narrow table breaks lines only between the parts
    for b in bookings:
        runs = "" if b.status != Status.PENDING else (
            relative(b.due_at - now) if b.due_at > now else "due now")  # not "16 s ago"
        if b.number:
            result = f"#{b.number} {f'court {b.court}'.translate(keep)}"
            if b.length_note:
                result += f"; {b.length_note}"
            if b.status == Status.CANCELLED:
                result = f"was {result}"  # booked, then cancelled at the club
        elif b.status in (Status.PENDING, Status.FAILED):
            result = b.last_error or ""
        else:
            result = ""
        add_row(
            table, str(b.id), b.club,
            " ".join(part.translate(keep) for part in filter(None, [
                f"{b.day.strftime('%a %d %b')} {b.played_time.strftime('%H:%M')}",
                asked_label(b)])),
            str(b.duration), asked_courts_label(b.courts), status_cell(b.status), runs, result,
        )
    return table


def attempts_table(attempts: list[Attempt], opens: datetime | None = None) -> Table:
    """The attempts; an attempt started ahead of the window's opening `opens` (prepared,
    then waiting) took its time from the opening, not from its start."""
    table = new_table("#", "Started (UTC)", "Took", "Outcome", "Court", "Confirmation / error",
                   title="Attempts")
    for a in attempts:
        began = max(a.started_at, opens) if opens is not None else a.started_at
        took = (
            f"{max(0.0, (a.finished_at - began).total_seconds()):.2f} s"
            if a.finished_at else ""
        )
        add_row(table,
            str(a.number), to_iso(a.started_at), took, a.outcome or "in progress",
            str(a.court or ""), a.confirmation or a.error or "",
        )
    return table


def booking_detail(booking: Booking, club: Club, attempts: list[Attempt], now: datetime) -> None:
    out = console()
    zone = club.zone
    from rich.text import Text

    out.print(Text.assemble((f"Booking {booking.id}", "bold"), "  ", status_cell(booking.status)))
    rows = [
        ("Club", f"{club.name} ({club.url})"),
        ("Account", booking.account or "(default)"),
        ("Slot", f"{slot_label(booking)} {club.timezone}, {booking.duration} min"),
        ("Courts", asked_courts_label(booking.courts)),
        ("Partners", players_label(booking.partners, booking.guests) or "none"),
        ("Type", booking.type or "(club default)"),
        # execute_at is the opening, or the registration when the window was open then.
        ("Window opens", local_time(booking.execute_at, zone, seconds=True))
        if booking.execute_at > booking.created_at else
        ("Window", "already open when it was registered"),
    ]
    if booking.status == Status.PENDING:
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
        rows.append(("Was booked" if booking.status == Status.CANCELLED else "Confirmed",
                     f"court {booking.court}{alternative}, "
                     f"{confirmed_words(booking, 'confirmation ')}"))
        if booking.site_id and booking.confirmation:
            rows.append(("Site's id", booking.site_id))
    if booking.keep_trying:
        rows.append(("Keep trying", _keep_trying_line(booking, club)))
    if booking.last_error and not (booking.status == Status.PENDING and booking.watching_since):
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
    if booking.status == Status.PENDING and booking.watching_since:
        return (f"{WATCHING} since "
                f"{local_time(booking.watching_since, club.zone, seconds=True)}, {reads}; "
                f"until {until}")
    if booking.watching_since:
        return f"{reads} while every court was taken (until {until})"
    return f"if every court is taken, watch for one to free until {until}"


def run_table(report: RunReport) -> Table:
    title = "Would run (dry run)" if report.dry_run else None
    table = new_table("ID", "Club", "Day", "Time", "Court", "Status", "Confirmation / error",
                   title=title)
    for r in report.results:
        b = r.booking
        court = str(b.court) if b.court else ""  # none booked (the wanted ones: `show`)
        detail = confirmed_words(b) or r.error or ""
        if b.status == Status.PENDING and not report.dry_run and not r.needs_attention and (
                r.outcome != RunOutcome.WATCHING):
            detail = f"{detail} (retrying)" if detail else "retrying"
        elif report.dry_run:
            detail = _would_run(b, detail)
        add_row(table, str(b.id), b.club, b.day.strftime("%a %d %b"), time_label(b),
                 court, status_cell(b.status), detail)
    return table


def _would_run(booking: Booking, detail: str) -> str:
    """When a dry run's booking would be tried: now, or at its opening in the lookahead."""
    from gametime_cli.clock import utcnow

    wait = booking.due_at - utcnow()
    when = f"at its opening, {relative(wait)}" if wait.total_seconds() >= 1 else "now"
    return f"{detail}; would run {when}" if detail else f"would run {when}"


def accounts_table(accounts: list[Account]) -> Table:
    table = new_table("Club", "Username", "Password kept in")
    where = {"keyring": "the OS keyring", "file": "the encrypted file"}
    for a in accounts:
        add_row(table, a.club, a.username, where.get(a.store, a.store))
    return table


def check_table(rows: list[dict[str, Any]]) -> Table:
    from rich.text import Text

    def verdict(result: dict[str, Any]) -> Text:
        if result["ok"] is None:
            return Text("not checked", style="dim")
        if result["ok"]:
            return Text("readable", style="green")
        return Text(f"NO: {result['error']}", style="red")

    table = new_table("Club", "Username", "Store", "Now", "From cron")
    for row in rows:
        add_row(table, row["club"], row["username"], row["store"], verdict(row["now"]),
                 verdict(row["cron"]))
    return table


def courts_grid(club: str, day: date, courts: list[CourtDay], ours: set[str],
                user_id: int | None) -> Table:
    """Half-hour rows by court columns: '·' free, the players' name booked, ★ ours."""
    from rich.text import Text

    starts = [b.start for c in courts for b in c.bookings if b.start < 1440]
    first = min([360, *starts]) // 30 * 30
    last = max([1350, *(b.start + b.duration - 30 for c in courts for b in c.bookings
                        if b.start < 1440)])
    table = new_table("Time", *(c.name for c in courts),
                   title=f"{club}, {day.strftime('%A %d %B %Y')}")
    for minute in range(first, min(last, 1410) + 1, 30):
        cells: list[str | Text] = [f"{minute // 60:02d}:{minute % 60:02d}"]
        for court in courts:
            booked = next((b for b in court.bookings
                           if b.start <= minute < b.start + b.duration), None)
            if booked is None:
                cells.append(Text("·", style="dim"))
            elif is_ours(booked, ours, user_id):
                cells.append(Text("★ ours", style="bold green"))
            else:
                who = booked.players[0][0].split(",")[0] if booked.players else "booked"
                cells.append(Text(who or "booked", style="red"))
        add_row(table, *cells)
    return table


def series_table(found: list[Series]) -> Table:
    table = new_table("ID", "Status", "Rule")
    for series in found:
        add_row(table, str(series.id), series.status, series_rule(series))
    return table


def clubs_table(clubs: list[Club]) -> Table:
    table = new_table("Name", "URL", "Time zone", "Window", "Sport")
    for c in clubs:
        window = f"{days_ahead(c.window_days)} at {c.opens_at.isoformat()}"
        url = f"{c.url} (signs in at {c.login_url})" if c.login_url else c.url
        add_row(table, c.name, url, c.timezone, window, str(c.sport))
    return table
