"""`gametime calendar`: the games as an iCalendar file, to import or subscribe to."""

from __future__ import annotations

from pathlib import Path

import typer

from gametime_cli.cli.common import open_store, say


def calendar(
    output: Path | None = typer.Option(
        None, "--output", "-o", metavar="FILE",
        help="Write the .ics here (replaced whole, never half-written); default: stdout."),
    pending: bool = typer.Option(False, "--pending",
                                 help="Add the games still to book, as tentative."),
) -> None:
    """Write your confirmed games as iCalendar (RFC 5545): one event a game, in the
    club's time zone, with court, partners and confirmation. Importing it again
    updates the events; a game cancelled after it was booked is marked cancelled."""
    import os
    import sys
    import tempfile

    from gametime_cli.clock import utcnow
    from gametime_cli.errors import BadInput
    from gametime_cli.output.calendar import build
    from gametime_cli.store.bookings import BookingView

    store = open_store()
    now = utcnow()
    clubs = {club.name: club for club in store.list_clubs()}
    data = build(store.iter_view(BookingView(now, everything=True)), clubs, now, pending)
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    folder = output.parent if str(output.parent) else Path(".")
    if not folder.is_dir():
        raise BadInput(f"--output {output}: there is no folder {folder}")
    temporary = None
    try:
        fd, temporary = tempfile.mkstemp(prefix=".gametime-", suffix=".ics", dir=folder)
        with os.fdopen(fd, "wb") as file:
            file.write(data)
        os.replace(temporary, output)
    except OSError as exc:
        if temporary is not None:  # nothing half-written is left beside it
            Path(temporary).unlink(missing_ok=True)
        raise BadInput(f"--output {output}: {exc.strerror or exc}") from None
    say(f"Wrote {data.count(b'BEGIN:VEVENT')} game(s) to {output}.")


def register(app: typer.Typer) -> None:
    app.command("calendar")(calendar)
