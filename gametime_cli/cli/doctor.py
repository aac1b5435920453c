"""`gametime doctor`."""

from __future__ import annotations

import typer

from gametime_cli.cli.common import JSON_OPTION, open_store


def doctor(
    as_json: bool = JSON_OPTION,
    club: str | None = typer.Option(None, "--club", metavar="NAME",
                                    help="Only this club's checks."),
) -> None:
    """Check everything a booking depends on, and what each club's site sees of the
    browser (its login page, opened without logging in); one line each, with the fix.
    Exit 0 only if all pass (3 otherwise)."""
    from rich.text import Text

    from gametime_cli import paths
    from gametime_cli.errors import EnvironmentProblem, ExitCode
    from gametime_cli.output import streams
    from gametime_cli.system.doctor import refused_home_checks, run_checks

    try:
        found = run_checks(open_store(), club=club)
    except EnvironmentProblem as refusal:  # an unsafe home: say everything wrong with it
        found = refused_home_checks(paths.data_home(), refusal)
    checks = []
    out = streams.console()
    for check in found:
        checks.append(check)
        if not as_json:
            mark = Text("✓ ", style="green") if check.ok else Text("✗ ", style="bold red")
            line = Text.assemble(mark, (check.name, "bold"), f": {check.detail}")
            if check.fix:
                line.append(f" — fix: {check.fix}", style="yellow")
            out.print(line)
    if as_json:
        streams.print_json([{"check": c.name, "ok": c.ok, "detail": c.detail, "fix": c.fix}
                           for c in checks])
    raise typer.Exit(int(ExitCode.OK if all(c.ok for c in checks) else ExitCode.ENVIRONMENT))


def register(app: typer.Typer) -> None:
    app.command("doctor")(doctor)
