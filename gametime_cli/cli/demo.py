"""`gametime demo`: the whole path, from club to confirmation, in a throwaway home."""

from __future__ import annotations

import typer


def demo() -> None:
    """Add a simulated club, book a busy evening and run it, in a temporary home."""
    import os
    import tempfile
    from datetime import timedelta

    from gametime_cli import render
    from gametime_cli.bookings import create_booking
    from gametime_cli.clock import utcnow
    from gametime_cli.executor import Executor
    from gametime_cli.paths import HOME_ENV
    from gametime_cli.store import Store

    out = render.console()
    with tempfile.TemporaryDirectory(prefix="gametime-demo-") as home:
        previous = os.environ.get(HOME_ENV)
        os.environ[HOME_ENV] = home
        try:
            store = Store.open()
            club = store.add_club(
                name="demo-club", url="simulate:?success=0.8&seed=7&taken=1", timezone="UTC",
                window_days=2, opens_at="07:00:00", sport=1,
            )
            out.print(f"Club [bold]{club.name}[/]: a simulated GameTime site, court 1 "
                      "already taken, 4 in 5 requests answered.")
            now = utcnow()
            tomorrow = (now + timedelta(days=1)).date().isoformat()
            for at, courts in (("18:00", [1, 2]), ("19:00", [1, 3]), ("20:00", [])):
                booking = create_booking(
                    store, club_name=club.name, day_text=tomorrow, time_text=at, duration=60,
                    courts=courts, partners=["Sam Partner"], booking_type="singles",
                    account=None, now=now,
                )
                out.print(f"Booked #{booking.id}: {render.slot_label(booking)}, courts "
                          f"{render.courts_label(booking.courts)} (window already open).")
            out.print("Running [bold]gametime run-pending[/] ...")
            report = Executor(store).run_pending(max_wait=30)
            out.print(render.run_table(report))
            for booking in store.list_bookings():
                if booking.confirmation:
                    out.print(f"#{booking.id} confirmed on court {booking.court}: "
                              f"confirmation {booking.confirmation}")
            store.close()
        finally:
            if previous is None:
                os.environ.pop(HOME_ENV, None)
            else:
                os.environ[HOME_ENV] = previous


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
