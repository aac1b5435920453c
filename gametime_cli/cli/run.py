"""`gametime run-pending`: what cron calls every minute."""

from __future__ import annotations

import typer

from gametime_cli.cli.common import JSON_OPTION, open_store


def _sigterm_as_interrupt() -> None:
    import signal

    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)


def run_pending(
    as_json: bool = JSON_OPTION,
    dry_run: bool = typer.Option(False, "--dry-run", help="Show what would run; change nothing."),
    max_wait: float | None = typer.Option(
        None, "--max-wait", metavar="NUMBER", min=0, max=3600,
        help="Seconds to stay for retries of bookings tried in this run "
        "(default: the max_wait setting).",
    ),
    lookahead: float | None = typer.Option(
        None, "--lookahead", metavar="NUMBER", min=0, max=3600,
        help="Also take bookings whose window opens within this many seconds, and book "
        "them at the opening (default: the lookahead setting, 90).",
    ),
    headed: bool = typer.Option(False, "--headed", help="Show the browser while booking."),
    on_result: str | None = typer.Option(
        None, "--on-result", metavar="CMD",
        help="Run CMD after each confirmed, failed or missed booking, with GAMETIME_STATUS, "
        "GAMETIME_CLUB, GAMETIME_DATE, … set (default: the on_result setting).",
    ),
) -> None:
    """Book what is due, and what opens within the lookahead at the very opening.
    Prints nothing when nothing is due."""
    from gametime_cli.clock import utcnow
    from gametime_cli.run.due import has_work

    store = open_store()
    if not has_work(store, utcnow(), lookahead):
        if as_json:
            from gametime_cli.output import json_shapes, streams

            streams.print_json(json_shapes.empty_run_json(dry_run))
        return

    from gametime_cli.output import json_shapes, streams, tables
    from gametime_cli.run.runner import Runner

    _sigterm_as_interrupt()
    runner = Runner(store, headed=headed, on_result_command=on_result)
    report = runner.dry_run(lookahead) if dry_run else runner.run_pending(max_wait, lookahead)
    from gametime_cli.cli.common import OUTPUT

    if as_json:
        streams.print_json(json_shapes.run_json(report))
    elif report.results and not OUTPUT.quiet:
        streams.console().print(tables.run_table(report))
    for problem in dict.fromkeys(r.error for r in report.results if r.needs_attention):
        streams.error_line(problem or "a booking needs attention")
    raise typer.Exit(int(report.exit_code))


def register(app: typer.Typer) -> None:
    app.command("run-pending")(run_pending)
