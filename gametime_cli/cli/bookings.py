"""`gametime book|list|show|cancel`."""

from __future__ import annotations

import typer

from gametime_cli.cli.common import JSON_OPTION, OUTPUT, id_argument, open_store, say


def book(
    day: str = typer.Argument(..., metavar="DATE",
                              help="YYYY-MM-DD, today, tomorrow, a weekday, or +Nd."),
    at: str = typer.Argument(..., metavar="TIME", help="19:00 or 7pm, club local time."),
    club: str = typer.Option(..., "--club", metavar="NAME",
                             help="The club's name (gametime club list)."),
    duration: int = typer.Option(60, "--duration", metavar="MINUTES",
                                 help="Minutes, a multiple of 30."),
    court: list[int] = typer.Option([], "--court", metavar="N",
                                    help="A court number; repeat for an order of preference."),
    partner: list[str] = typer.Option([], "--partner", metavar="NAME",
                                      help="A partner who is a member, chosen from the "
                                      "club's roster by this name; repeatable."),
    guest: list[str] = typer.Option([], "--guest", metavar="NAME",
                                    help="A guest, not a member; repeatable."),
    booking_type: str | None = typer.Option(None, "--type", metavar="singles|doubles",
                                            help="The booking type."),
    account: str | None = typer.Option(None, "--account", metavar="USERNAME",
                                       help="The username to book with (clubs with several)."),
    or_time: list[str] = typer.Option([], "--or-time", metavar="TIME",
                                      help="Another time to try, after every court at TIME; "
                                      "repeatable."),
    any_court: bool = typer.Option(False, "--any-court",
                                   help="After the --court choices, any free court."),
    every: str | None = typer.Option(None, "--every", metavar="week|2weeks|day",
                                     help="Repeat: a series, one booking per occurrence."),
    until: str | None = typer.Option(None, "--until", metavar="DATE",
                                     help="The series' last date."),
    count: int | None = typer.Option(None, "--count", metavar="N",
                                     help="How many games in the series."),
    keep_trying: bool | None = typer.Option(
        None, "--keep-trying/--no-keep-trying", show_default=False,
        help="With every court taken, keep watching for one to free, until the cut-off "
        "(default: the keep_trying setting)."),
    keep_trying_until: str | None = typer.Option(
        None, "--keep-trying-until", metavar="CUTOFF",
        help="When to stop trying: a time that day (17:00) or how long before the slot "
        "(3h, 90m); implies --keep-trying (default: the keep_trying_until setting, 2h)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Register a booking; it runs the moment its day's window opens."""
    from gametime_cli.booking.request import create_booking, create_series
    from gametime_cli.clock import utcnow
    from gametime_cli.errors import BadInput
    from gametime_cli.output import json_shapes, streams, words
    from gametime_cli.run.keep_trying import spec_for
    from gametime_cli.settings import Settings

    now = utcnow()
    store = open_store()
    typed = dict(club_name=club, day_text=day, time_text=at, duration=duration, courts=court,
                 partners=partner, guests=guest, booking_type=booking_type,
                 account=account,
                 or_times=or_time, any_court=any_court,
                 keep_trying=spec_for(Settings(store.settings()), keep_trying,
                                      keep_trying_until))
    if every is None:
        if until is not None or count is not None:
            raise BadInput("--until and --count go with --every")
    else:
        series, made = create_series(store, now=now, every=every, until_text=until,
                                     count=count, **typed)
        if as_json:
            streams.print_json({**json_shapes.series_json(series),
                                "bookings": [json_shapes.booking_json(b) for b in made]})
            return
        say(f"Series {series.id}: {words.series_rule(series)}. Each game becomes a "
            "booking two days before its window opens.")
        for booking in made:
            say(f"  booking {booking.id}: {words.slot_label(booking)}")
        return
    booking = create_booking(store, now=now, **typed)
    if as_json:
        streams.print_json(json_shapes.booking_json(booking))
        return
    zone = store.get_club(booking.club).zone
    courts = (f"court {words.asked_courts_label(booking.courts)}" if booking.courts
              else "any court")
    say(
        f"Booking {booking.id}: {words.slot_label(booking)} at {booking.club}, "
        f"{courts}, {booking.duration} min."
    )
    if booking.execute_at > now:
        say(
            f"It runs when the window opens: {words.local_time(booking.execute_at, zone, True)}"
            f" ({words.relative(booking.execute_at - now)})."
        )
    else:
        say("Its window is already open: the next 'gametime run-pending' books it.")


def list_(
    status: str | None = typer.Option(None, "--status", metavar="STATUS",
                                      help="Only bookings with this status."),
    everything: bool = typer.Option(False, "--all",
                                    help="Every booking, however old (no cap unless --limit)."),
    limit: int | None = typer.Option(None, "--limit", metavar="N", min=1,
                                     help="At most N rows (default 50)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """List bookings, soonest slot first: those still to run or to play, and those whose
    slot was in the last 7 days, at most 50 (what is still to come first). A line under
    the table says how many more there are; --all lists every booking."""
    from gametime_cli.cli.listing import show_list
    from gametime_cli.errors import BadInput
    from gametime_cli.models import STATUSES

    if status is not None and status not in STATUSES:
        raise BadInput(f"--status {status!r} is not a status; use one of {', '.join(STATUSES)}")
    show_list(open_store(), status, everything, limit, as_json, OUTPUT.quiet)


def show(
    booking_id: int = id_argument("gametime list", "The booking's id."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Show one booking and the story of its attempts."""
    from gametime_cli.clock import utcnow
    from gametime_cli.output import json_shapes, streams, tables

    store = open_store()
    booking = store.get_booking(booking_id)
    attempts = store.attempts_for(booking_id)
    if as_json:
        data = json_shapes.booking_json(booking)
        data["attempt_history"] = [json_shapes.attempt_json(a) for a in attempts]
        streams.print_json(data)
        return
    tables.booking_detail(booking, store.club_by_id(booking.club_id), attempts, utcnow())


def cancel(
    booking_id: int = id_argument("gametime list", "The booking's id."),
    local_only: bool = typer.Option(
        False, "--local-only",
        help="For a confirmed booking already cancelled by hand on the site: forget it "
        "here only, without asking the site."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Cancel a booking: here if it is still to run (a run holding it stops before
    booking it), on the club's site if it is confirmed."""
    from gametime_cli.booking.cancel import cancel as cancel_booking
    from gametime_cli.clock import utcnow

    done = cancel_booking(open_store(), booking_id, utcnow, local_only=local_only)
    if as_json:
        from gametime_cli.output import streams

        streams.print_json({"id": booking_id, "status": done.booking.status,
                            "cancelled": done.cancelled, "message": done.message})
    else:
        say(done.message)


series_app = typer.Typer(help="Recurring bookings made with book --every.",
                         no_args_is_help=True)


@series_app.command("list")
def series_list(as_json: bool = JSON_OPTION) -> None:
    """Every series and its rule."""
    from gametime_cli.output import json_shapes, tables
    from gametime_cli.output.listing import json_or_table

    json_or_table(as_json, open_store().list_series, table=tables.series_table,
                  empty="No series; make one with 'gametime book … --every week'.",
                  quiet=OUTPUT.quiet,
                  to_json=lambda found: [json_shapes.series_json(s) for s in found])


@series_app.command("show")
def series_show(series_id: int = id_argument("gametime series list"),
                as_json: bool = JSON_OPTION) -> None:
    """A series: its rule, notes, and the bookings made from it."""
    from gametime_cli.output import json_shapes, streams, tables, words

    store = open_store()
    series = store.get_series(series_id)
    made = store.series_bookings(series)
    if as_json:
        streams.print_json({**json_shapes.series_json(series),
                            "bookings": [json_shapes.booking_json(b) for b in made]})
        return
    typer.echo(f"Series {series.id} ({series.status}): {words.series_rule(series)}")
    for note in series.notes:
        typer.echo(f"  note: {note}")
    if made:
        from gametime_cli.clock import utcnow

        streams.console().print(tables.bookings_table(made, utcnow()))


@series_app.command("cancel")
def series_cancel(series_id: int = id_argument("gametime series list"),
                  as_json: bool = JSON_OPTION) -> None:
    """Stop a series and cancel its bookings still to run."""
    from gametime_cli.clock import utcnow
    from gametime_cli.output import json_shapes, streams

    store = open_store()
    cancelled = store.cancel_series(store.get_series(series_id), utcnow())
    if as_json:
        streams.print_json({**json_shapes.series_json(store.get_series(series_id)),
                            "cancelled_bookings": cancelled})
        return
    say(f"Cancelled series {series_id} and {cancelled} booking(s) still to run.")


def import_csv(
    path: str = typer.Argument(..., metavar="FILE.CSV",
                               help="date, time, club[, duration, courts, partners, guests, "
                               "type, account, or_times, any_court]"),
    as_json: bool = JSON_OPTION,
) -> None:
    """Book many slots from a CSV file; one bad row and none of the file is booked."""
    from pathlib import Path

    from gametime_cli.booking.csv_import import import_bookings
    from gametime_cli.clock import utcnow
    from gametime_cli.output import json_shapes, streams

    made = import_bookings(open_store(), Path(path), utcnow())
    if as_json:
        streams.print_json([json_shapes.booking_json(b) for b in made])
    else:
        say(f"Imported {len(made)} booking(s): "
                   f"{', '.join(str(b.id) for b in made) or 'none'}.")


def register(app: typer.Typer) -> None:
    app.command("import")(import_csv)
    app.add_typer(series_app, name="series")
    app.command("book")(book)
    app.command("list")(list_)
    app.command("show")(show)
    app.command("cancel")(cancel)
