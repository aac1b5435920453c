"""`gametime courts DATE --club NAME`: the day's courts, free and booked, from the site."""

from __future__ import annotations

import typer

from gametime_cli.cli.common import JSON_OPTION, open_store


def courts(
    day: str = typer.Argument(..., metavar="DATE",
                              help="YYYY-MM-DD, today, tomorrow, a weekday, +Nd."),
    club: str = typer.Option(..., "--club", metavar="NAME", help="The club's name."),
    account: str | None = typer.Option(None, "--account", metavar="USERNAME",
                                       help="Log in as this username."),
    headed: bool = typer.Option(False, "--headed", help="Show the browser."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Show the day's courts and bookings (yours marked), as the club's site has them."""
    from datetime import time

    from gametime_cli import paths
    from gametime_cli.booking.windows import parse_day
    from gametime_cli.clock import utcnow
    from gametime_cli.errors import EnvironmentProblem
    from gametime_cli.output import json_shapes, streams, tables
    from gametime_cli.settings import Settings
    from gametime_cli.sites import driver_for
    from gametime_cli.sites.base import AttemptFailed

    store = open_store()
    the_club = store.get_club(club)
    when = parse_day(day, time(23, 59, 59), utcnow().astimezone(the_club.zone))
    chosen = store.account_for(the_club, account)
    driver = driver_for(
        the_club, chosen, Settings(store.settings()), paths.data_home(),
        lambda c: EnvironmentProblem(f"log in first: gametime login --club {c.name}"), headed)
    try:
        day_courts = driver.day_courts(when)
    except AttemptFailed as failed:
        raise EnvironmentProblem(f"could not read {the_club.name}'s courts: "
                                 f"{failed.outcome.message}") from None
    finally:
        driver.close()
    ours = store.confirmations(the_club)
    user_id = chosen.user_id if chosen else None
    if as_json:
        streams.print_json(json_shapes.courts_json(the_club.name, when, day_courts, ours, user_id))
    else:
        streams.console().print(tables.courts_grid(the_club.name, when, day_courts, ours, user_id))


def register(app: typer.Typer) -> None:
    app.command("courts")(courts)
