"""`gametime list`'s work, without Typer: the Typer command calls `show_list`, and
`list_form` answers `list`'s forms in FAST_FORMS (`gametime_cli/cli/__init__.py`) before
Typer loads (its start-up costs more than listing 100,000 bookings)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gametime_cli.cli import Options
    from gametime_cli.models import Booking
    from gametime_cli.store import Store

LIST_LIMIT = 50
"""The rows `list` shows unless told otherwise."""


def show_list(store: Store, status: str | None, everything: bool, limit: int | None,
              as_json: bool, quiet: bool) -> None:
    """Print the bookings `list` shows (see its --help), and the line saying how many
    more there are."""
    from gametime_cli.clock import utcnow
    from gametime_cli.output import tables, words
    from gametime_cli.output.listing import json_or_table
    from gametime_cli.store.bookings import BookingView

    now = utcnow()
    view = BookingView(now, status, everything,
                       limit if limit is not None or everything else LIST_LIMIT)
    more = ""
    total = 0

    def rows() -> list[Booking]:
        nonlocal more, total
        counts = store.count_view(view)
        bookings = list(store.iter_view(view)) if counts.in_view else []
        more = words.more_bookings(len(bookings), counts.in_view, counts.total, everything,
                                   status)
        total = counts.total
        return bookings

    def empty() -> str:
        what = "bookings" if status is None else f"{status} bookings"
        return (f"No {what}." if not total or not more else
                f"No {what} to come or from the last week; {more[2:]}.")

    shown = json_or_table(as_json, rows, table=lambda found: tables.bookings_table(found, now),
                          empty=empty, quiet=quiet,
                          json_texts=lambda: store.iter_view_json(view))
    if shown and more and not quiet:
        sys.stdout.write(more + "\n")


def is_status(value: str) -> bool:
    """A `--status` the fast path answers: one of the statuses (the app says why not)."""
    from gametime_cli.models import STATUSES

    return value in STATUSES


def is_count(value: str) -> bool:
    """A `--limit` the fast path answers: a whole number of at least 1."""
    return value.isascii() and value.isdigit() and int(value) > 0


def list_form(options: Options) -> int | None:
    """Run `[-q] list [--status S] [--all] [--limit N] [--json]` and return its exit
    code; None when the store won't open, for the Typer app to report."""
    from gametime_cli.errors import GametimeError
    from gametime_cli.output.streams import error_line
    from gametime_cli.store import Store

    try:
        store = Store.open()
    except GametimeError:
        return None  # the Typer app reports it
    status, limit = options.get("--status"), options.get("--limit")
    try:
        show_list(store, status if isinstance(status, str) else None, "--all" in options,
                  int(limit) if isinstance(limit, str) else None, "--json" in options,
                  "--quiet" in options)
    except GametimeError as exc:
        error_line(str(exc))
        return int(exc.exit_code)
    return 0
