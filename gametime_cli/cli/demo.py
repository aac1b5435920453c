"""`gametime demo`: the whole path against the sandbox site, with a real browser."""

from __future__ import annotations

import typer


def demo(
    headed: bool = typer.Option(False, "--headed", help="Show the browser while booking."),
) -> None:
    """Book a busy evening on a local GameTime-like site, in a throwaway home.

    It starts the sandbox site on a free loopback port, adds the club and an account,
    books a slot whose first-choice court is already taken, runs run-pending with a
    real Chromium, shows the outcome, and stops everything it started.
    """
    import os
    import tempfile
    import time as clock
    from datetime import time, timedelta
    from pathlib import Path

    from gametime_cli.booking.request import create_booking
    from gametime_cli.clock import utcnow
    from gametime_cli.output import streams, tables, words
    from gametime_cli.paths import HOME_ENV
    from gametime_cli.run.runner import Runner
    from gametime_cli.sandbox import SandboxConfig, SandboxSite, SandboxUser
    from gametime_cli.sandbox.pages import WAIVER_WORDS
    from gametime_cli.secrets import credentials
    from gametime_cli.store import Store
    from gametime_cli.system import logs

    out = streams.console()
    user = SandboxUser("demo.player", "demo-only-password", 4411, "Player, Demo")
    config = SandboxConfig(users=[user], timezone="America/Toronto", window_days=6,
                           opens_at=time(9, 0))
    started = clock.monotonic()
    previous = os.environ.get(HOME_ENV)
    with tempfile.TemporaryDirectory(prefix="gametime-demo-") as home, SandboxSite(config) as site:
        os.environ[HOME_ENV] = home
        logs.configure(Path(home))  # the demo's log goes with its home
        try:
            store = Store.open()
            club = store.add_club(name="sandbox", url=site.base_url, timezone=config.timezone,
                                  window_days=6, opens_at="09:00:00", sport=1,
                                  settings={"accept_waiver": {"words": [WAIVER_WORDS]}})
            saved = credentials.save(store.path.parent, club.name, user.username,
                                     credentials.Secret(user.password), prefer="file")
            store.save_account(club, user.username, saved.store, utcnow())
            out.print(f"Sandbox GameTime site at {site.base_url}; club [bold]{club.name}[/] "
                      f"({config.timezone}, each day opens {words.days_ahead(club.window_days)} "
                      f"at 09:00).")
            out.print(f'Its booking form has a waiver to tick: "{WAIVER_WORDS}" The demo '
                      "agrees to it for you (yourself: gametime club set NAME --accept-waiver).")
            tomorrow = (utcnow().astimezone(club.zone) + timedelta(days=1)).date()
            site.add_booking(1, tomorrow, 19 * 60, 60)
            out.print(f"Court 1 is already taken on {tomorrow:%a %d %b} at 19:00 — "
                      "a busy evening.")
            booking = create_booking(
                store, club_name=club.name, day_text=tomorrow.isoformat(), time_text="7pm",
                duration=90, courts=[1, 2], partners=["Jane Smith"], guests=["Sam Partner"],
                booking_type="doubles", account=None, now=utcnow(),
            )
            out.print(f"Booked #{booking.id}: {words.slot_label(booking)}, 90 minutes of "
                      "doubles, court 1, else 2, with Jane Smith (a member, from the club's "
                      "roster) and Sam Partner (a guest). Its window is open, so it runs now.")
            out.print("Running [bold]gametime run-pending[/] with a headless Chromium ...")
            report = Runner(store, headed=headed).run_pending(max_wait=30)
            out.print(tables.run_table(report))
            done = store.get_booking(booking.id)
            if done.confirmation:
                on_site = [b for b in site.bookings()
                           if str(b["confirmation"]) == done.confirmation]
                out.print(f"Confirmed on court {done.court}: confirmation {done.confirmation}"
                          f" (the site holds it {len(on_site)} time(s)).")
            store.close()
        finally:
            if previous is None:
                os.environ.pop(HOME_ENV, None)
            else:
                os.environ[HOME_ENV] = previous
    out.print(f"Done in {clock.monotonic() - started:.1f} s; the sandbox and the browser "
              "have stopped and the temporary home is gone.")
    raise typer.Exit(int(report.exit_code))


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
