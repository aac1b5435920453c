"""`gametime club add|list|remove`."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import typer

from gametime_cli.cli.common import JSON_OPTION, OUTPUT, open_store, say, subapp

if TYPE_CHECKING:
    from gametime_cli.models import Club
    from gametime_cli.store import Store

app = subapp("Register the clubs you book at and their booking windows.")

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$"
LOGIN_URL_HELP = ("The club's own member site, when it signs in there: the one other "
                  "address the browser may go to (and type your password into).")
ALLOW_HTTP_HELP = ("Accept a plain http:// address to another machine. Unsafe: your "
                   "password would travel in clear.")
ACCEPT_WAIVER_HELP = ("Agree to the box the club's booking form asks you to tick (a "
                      "waiver), its words shown where a form was seen: the tool then ticks it.")
YES_HELP = "With --accept-waiver: agree without asking (the words are still printed)."


@app.command("add")
def add(
    name: str = typer.Argument(..., metavar="NAME", help="A short name for the club, e.g. jct."),
    url: str = typer.Option(..., "--url", metavar="URL",
                            help="https://CLUB.gametime.net, or simulate:"),
    timezone: str = typer.Option(..., "--timezone", metavar="ZONE",
                                 help="The club's IANA time zone."),
    window_days: int = typer.Option(..., "--window-days", metavar="DAYS",
                                    help="Days ahead a day opens."),
    opens_at: str = typer.Option(..., "--opens-at", metavar="HH:MM",
                                 help="Local time it opens, HH:MM[:SS]."),
    sport: int = typer.Option(1, "--sport", metavar="ID",
                              help="The club's sport id (1 is tennis)."),
    booking_type: list[str] = typer.Option(
        [], "--booking-type", metavar="singles=ID",
        help="The site's id for a booking type, when its form's labels don't say "
        "(e.g. singles=13 --booking-type doubles=1).",
    ),
    login_url: str | None = typer.Option(None, "--login-url", metavar="URL", help=LOGIN_URL_HELP),
    allow_http: bool = typer.Option(False, "--allow-http", help=ALLOW_HTTP_HELP),
    accept_waiver: bool = typer.Option(False, "--accept-waiver", help=ACCEPT_WAIVER_HELP),
    yes: bool = typer.Option(False, "--yes", help=YES_HELP),
) -> None:
    """Add a club: a day D opens for booking at --opens-at, --window-days days before D."""
    import re

    from gametime_cli.booking.windows import parse_opens_at, parse_zone
    from gametime_cli.errors import BadInput
    from gametime_cli.sites import validate_login_url, validate_url

    if not re.match(NAME_PATTERN, name):
        raise BadInput(
            f"club name {name!r} is not allowed; use up to 40 letters, digits, '.', '_' or '-'"
        )
    zone = parse_zone(timezone)
    opens = parse_opens_at(opens_at)
    if not 0 <= window_days <= 365:
        raise BadInput(f"--window-days {window_days} is out of range; use 0 to 365")
    if not 1 <= sport <= 9999:
        raise BadInput(f"--sport {sport} is not a sport id; tennis is 1")
    url = validate_url(url, allow_http)
    if login_url is not None:
        login_url = validate_login_url(login_url, url, allow_http)
    types: dict[str, int] = {}
    for item in booking_type:
        kind, _, value = item.partition("=")
        if kind not in ("singles", "doubles") or not value.isdigit():
            raise BadInput(f"--booking-type {item!r}: write singles=ID or doubles=ID")
        types[kind] = int(value)
    settings: dict[str, object] = {"booking_types": types} if types else {}
    if accept_waiver:
        _ask_to_agree(name, [], yes)
        settings["accept_waiver"] = {"words": None}
    store = open_store()
    club = store.add_club(name=name, url=url, timezone=zone.key, window_days=window_days,
                          opens_at=opens.isoformat(), sport=sport, settings=settings,
                          login_url=login_url)
    from gametime_cli.output.words import days_ahead

    say(
        f"Added club {club.name}: each day opens {days_ahead(club.window_days)} at "
        f"{club.opens_at.isoformat()} {club.timezone}."
    )
    if club.login_url:
        say(f"It signs in at {club.login_url}.")
    if accept_waiver:
        say(f"Agreed for {club.name}: the tool ticks its booking form's waiver box.")


@app.command("set")
def set_window(
    name: str = typer.Argument(..., metavar="NAME", help="The club's name."),
    opens_at: str | None = typer.Option(None, "--opens-at", metavar="HH:MM",
                                        help="Local time a day opens, HH:MM[:SS]."),
    window_days: int | None = typer.Option(None, "--window-days", metavar="DAYS",
                                           help="Days ahead a day opens."),
    login_url: str | None = typer.Option(
        None, "--login-url", metavar="TEXT",
        help=LOGIN_URL_HELP + " An empty URL ('') forgets it."),
    allow_http: bool = typer.Option(False, "--allow-http", help=ALLOW_HTTP_HELP),
    accept_waiver: bool = typer.Option(False, "--accept-waiver", help=ACCEPT_WAIVER_HELP),
    yes: bool = typer.Option(False, "--yes", help=YES_HELP),
) -> None:
    """Change a club's booking window (bookings still waiting move to the new opening),
    the member site where it signs in, or agree to its booking form's waiver."""
    from gametime_cli.booking.windows import parse_opens_at
    from gametime_cli.clock import utcnow
    from gametime_cli.errors import BadInput
    from gametime_cli.sites import validate_login_url

    if opens_at is None and window_days is None and login_url is None and not accept_waiver:
        raise BadInput("nothing to change; give --opens-at HH:MM[:SS], --window-days N, "
                       "--login-url URL or --accept-waiver")
    if window_days is not None and not 0 <= window_days <= 365:
        raise BadInput(f"--window-days {window_days} is out of range; use 0 to 365")
    store = open_store()
    club = store.get_club(name)
    checked = validate_login_url(login_url, club.url, allow_http) if login_url else None
    opens = parse_opens_at(opens_at) if opens_at is not None else club.opens_at
    if accept_waiver:
        agree_now(store, club, yes)
    if login_url is not None:
        club = store.set_club_login_url(club, checked)
        say(f"Club {club.name} signs in at {checked}." if checked else
                   f"Club {club.name} signs in on its own site.")
    if opens_at is None and window_days is None:
        return
    days = club.window_days if window_days is None else window_days
    moved = store.set_club_window(club, window_days=days, opens_at=opens.isoformat(),
                                  now=utcnow())
    say(f"Club {club.name}: a day opens {days} day{'s' if days != 1 else ''} ahead at "
               f"{opens.isoformat()} {club.timezone}; {moved} booking(s) moved to it.")


def _ask_to_agree(club: str, seen: list[str], yes: bool) -> None:
    """Show the words of the boxes the club's form asks to be ticked (or that none was
    seen yet), and ask the player to agree; BadInput if they don't, or if nobody can be
    asked and --yes wasn't given."""
    from gametime_cli.errors import BadInput

    if seen:
        say(f"{club}'s booking form asks you to agree:")
        for words in seen:
            say(f'  "{words}"')
    else:
        say(f"No booking form of {club} has been seen yet: the tool will tick the box whose "
            f"words speak of a waiver, policy or terms, and quote them in the run's log. "
            f"Read them on the club's site.")
    if yes:
        return
    if not sys.stdin.isatty():
        raise BadInput("--accept-waiver asks before it agrees; add --yes to agree without "
                       "asking (from a script)")
    if not typer.confirm("Do you agree, and let the tool tick it for you?", default=False):
        raise BadInput("not agreed: the tool won't tick the box")


def agree_now(store: Store, club: Club, yes: bool) -> None:
    """Agree to the club's boxes as last seen (or, none seen, to a waiver's), and let
    the bookings that wait for it run at the next run."""
    from gametime_cli.clock import utcnow

    offer = store.club_offer(club.id)
    seen = list(offer.boxes) if offer else []
    _ask_to_agree(club.name, seen, yes)
    waiting = store.set_club_agreement(club, seen or None, utcnow())
    say(f"Agreed for {club.name}: the tool ticks that box on its booking form."
        + (f" {waiting} booking(s) waiting for it will run at the next run." if waiting else ""))


@app.command("list")
def list_(as_json: bool = JSON_OPTION) -> None:
    """List the registered clubs."""
    from gametime_cli.output import json_shapes, tables
    from gametime_cli.output.listing import json_or_table

    json_or_table(as_json, open_store().list_clubs, table=tables.clubs_table,
                  empty="No clubs yet; add one with 'gametime club add'.", quiet=OUTPUT.quiet,
                  to_json=lambda clubs: [json_shapes.club_json(c) for c in clubs])


@app.command("remove")
def remove(
    name: str = typer.Argument(..., metavar="NAME", help="The club's name."),
    force: bool = typer.Option(False, "--force", help="Remove its bookings too."),
) -> None:
    """Remove a club, its accounts and their passwords (with --force, its bookings and
    their history too)."""
    from gametime_cli import paths
    from gametime_cli.secrets import credentials

    store = open_store()
    accounts = store.accounts(store.get_club(name))
    removed = store.remove_club(name, force=force)
    for account in accounts:
        credentials.forget(paths.data_home(), account)
    extra = f" and {removed} booking(s)" if removed else ""
    logins = f", {len(accounts)} account(s) and their passwords" if accounts else ""
    say(f"Removed club {name}{logins}{extra}.")
