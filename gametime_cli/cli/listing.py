"""`gametime list`'s work, without Typer: the Typer command calls `show_list`, and
`quick_list` answers the plain forms of `list` before Typer loads (its option parsing
costs more than listing 100,000 bookings)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gametime_cli.store import Store

LIST_LIMIT = 50
"""The rows `list` shows unless told otherwise."""


def show_list(store: Store, status: str | None, everything: bool, limit: int | None,
              as_json: bool, quiet: bool) -> None:
    """Print the bookings `list` shows (see its --help), and the line saying how many
    more there are."""
    from gametime_cli.clock import utcnow
    from gametime_cli.output import render
    from gametime_cli.store.bookings import BookingView

    now = utcnow()
    view = BookingView(now, status, everything,
                       limit if limit is not None or everything else LIST_LIMIT)
    if as_json:
        render.stream_json(store.iter_view_json(view))
        return
    counts = store.count_view(view)
    bookings = list(store.iter_view(view)) if counts.in_view else []
    more = render.more_bookings(len(bookings), counts.in_view, counts.total, everything,
                                status)
    if not bookings:
        if not quiet:
            what = "bookings" if status is None else f"{status} bookings"
            sys.stderr.write(f"No {what}.\n" if not counts.total or not more else
                             f"No {what} to come or from the last week; {more[2:]}.\n")
        return
    render.console().print(render.bookings_table(bookings, now))
    if more and not quiet:
        sys.stdout.write(more + "\n")


def quick_list(argv: list[str]) -> int | None:
    """Run `[-q] list [--status S] [--all] [--limit N] [--json]` without Typer and return
    0; None for any other arguments, or anything unusual, for the Typer app to handle."""
    args = list(argv)
    quiet = args[:1] in (["-q"], ["--quiet"])
    if quiet:
        args.pop(0)
    if args[:1] != ["list"]:
        return None
    options: dict[str, str | bool] = {}
    rest = args[1:]
    while rest:
        flag = rest.pop(0)
        if flag in options:
            return None
        if flag in ("--all", "--json"):
            options[flag] = True
        elif flag in ("--status", "--limit") and rest and not rest[0].startswith("-"):
            options[flag] = rest.pop(0)
        else:
            return None
    limit, status = options.get("--limit"), options.get("--status")
    if limit is not None and not (isinstance(limit, str) and limit.isdigit() and int(limit)):
        return None
    from gametime_cli.models import STATUSES

    if status is not None and status not in STATUSES:
        return None
    from gametime_cli.errors import GametimeError
    from gametime_cli.output.render import error_line
    from gametime_cli.store import Store

    try:
        store = Store.open()
    except GametimeError:
        return None  # the Typer app reports it
    try:
        show_list(store, status if isinstance(status, str) else None, "--all" in options,
                  int(limit) if isinstance(limit, str) else None, "--json" in options, quiet)
    except GametimeError as exc:
        error_line(str(exc))
        return int(exc.exit_code)
    return 0
