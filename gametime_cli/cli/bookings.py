"""`gametime book|list|show|cancel`."""

from __future__ import annotations

import typer

from gametime_cli.cli.common import JSON_OPTION, open_store


def book(
    day: str = typer.Argument(..., metavar="DATE",
                              help="YYYY-MM-DD, today, tomorrow, a weekday, or +Nd."),
    at: str = typer.Argument(..., metavar="TIME", help="19:00 or 7pm, club local time."),
    club: str = typer.Option(..., "--club", help="The club's name (gametime club list)."),
    duration: int = typer.Option(60, "--duration", help="Minutes, a multiple of 30."),
    court: list[int] = typer.Option([], "--court",
                                    help="A court number; repeat for an order of preference."),
    partner: list[str] = typer.Option([], "--partner", help="A partner's name; repeatable."),
    booking_type: str | None = typer.Option(None, "--type", help="singles or doubles."),
    account: str | None = typer.Option(None, "--account",
                                       help="The username to book with (clubs with several)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Register a booking; it runs the moment its day's window opens."""
    from gametime_cli import render
    from gametime_cli.bookings import create_booking
    from gametime_cli.clock import utcnow

    now = utcnow()
    store = open_store()
    booking = create_booking(
        store, club_name=club, day_text=day, time_text=at, duration=duration, courts=court,
        partners=partner, booking_type=booking_type, account=account, now=now,
    )
    if as_json:
        render.print_json(render.booking_json(booking))
        return
    zone = store.get_club(booking.club).zone
    courts = (f"court {render.courts_label(booking.courts)}" if booking.courts
              else "any court")
    typer.echo(
        f"Booking {booking.id}: {render.slot_label(booking)} at {booking.club}, "
        f"{courts}, {booking.duration} min."
    )
    if booking.execute_at > now:
        typer.echo(
            f"It runs when the window opens: {render.local_time(booking.execute_at, zone, True)}"
            f" ({render.relative(booking.execute_at - now)})."
        )
    else:
        typer.echo("Its window is already open: the next 'gametime run-pending' books it.")


def list_(
    status: str | None = typer.Option(None, "--status", help="Only bookings with this status."),
    as_json: bool = JSON_OPTION,
) -> None:
    """List bookings, soonest slot first."""
    from gametime_cli import render
    from gametime_cli.clock import utcnow
    from gametime_cli.errors import BadInput
    from gametime_cli.models import STATUSES

    if status is not None and status not in STATUSES:
        raise BadInput(f"--status {status!r} is not a status; use one of {', '.join(STATUSES)}")
    store = open_store()
    bookings = store.list_bookings(status)
    if as_json:
        render.print_json([render.booking_json(b) for b in bookings])
        return
    if not bookings:
        typer.echo("No bookings." if status is None else f"No {status} bookings.", err=True)
        return
    render.console().print(render.bookings_table(bookings, utcnow()))


def show(
    booking_id: int = typer.Argument(..., metavar="ID", help="The booking's id."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Show one booking and the story of its attempts."""
    from gametime_cli import render
    from gametime_cli.clock import utcnow

    store = open_store()
    booking = store.get_booking(booking_id)
    attempts = store.attempts_for(booking_id)
    if as_json:
        data = render.booking_json(booking)
        data["attempt_history"] = [render.attempt_json(a) for a in attempts]
        render.print_json(data)
        return
    render.booking_detail(booking, store.club_by_id(booking.club_id), attempts, utcnow())


def cancel(booking_id: int = typer.Argument(..., metavar="ID", help="The booking's id.")) -> None:
    """Cancel a pending booking (a confirmed one is cancelled on the club's site)."""
    from gametime_cli.clock import utcnow

    store = open_store()
    before = store.get_booking(booking_id)
    store.cancel_booking(booking_id, utcnow())
    if before.status == "cancelled":
        typer.echo(f"Booking {booking_id} was already cancelled.")
    else:
        typer.echo(f"Cancelled booking {booking_id}.")


def register(app: typer.Typer) -> None:
    app.command("book")(book)
    app.command("list")(list_)
    app.command("show")(show)
    app.command("cancel")(cancel)
