"""The `gametime` command.

`main` answers the idle cron tick (`run-pending` with nothing due) and the plain forms
of `list` before loading Typer, whose option parsing alone costs more than the rest of
those commands; everything else goes to the Typer app in `cli/app.py`.
"""

from __future__ import annotations

import os
import sys

LOOKAHEAD_DEFAULT = 90.0
"""The `lookahead` setting's default (kept in settings.py, which this path doesn't load)."""
IDLE_FORMS = {("run-pending",): False, ("run-pending", "--json"): True}
"""The argument lists that can be answered without Typer, with whether they want JSON."""


def idle_tick(argv: list[str]) -> int | None:
    """Exit 0 silently (or print the empty JSON report) when `run-pending` has nothing
    due; None when there is work or anything is unusual, for the full command to handle."""
    as_json = IDLE_FORMS.get(tuple(argv))
    if as_json is None:
        return None
    from datetime import timedelta

    from gametime_cli.clock import utcnow
    from gametime_cli.store import Store

    try:
        store = Store.open()
        try:
            now = utcnow()
            lookahead = float(store.setting("lookahead") or LOOKAHEAD_DEFAULT)
            if store.has_due(now, now + timedelta(seconds=lookahead)):
                return None
        finally:
            store.close()
    except Exception:
        return None  # the full command reports it properly
    if as_json:
        from gametime_cli.output import render

        render.print_json(render.empty_run_json())
    return 0


def undecodable_argument(args: list[str]) -> str | None:
    """The first argument that isn't valid text (bytes the locale can't decode)."""
    for arg in args:
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            return ascii(arg.encode("utf-8", "surrogateescape"))[2:-1]
    return None


def start_pinned_clock() -> str | None:
    """With GAMETIME_NOW set (a testing aid), start the clock at its instant now, as the
    process starts; the error line when its value is not a UTC instant."""
    if not os.environ.get("GAMETIME_NOW"):
        return None
    from gametime_cli.clock import utcnow
    from gametime_cli.errors import BadInput

    try:
        utcnow()
    except BadInput as exc:
        return str(exc)
    return None


def main(argv: list[str] | None = None) -> int:
    from gametime_cli.secrets.environment import withhold

    withhold()  # before anything can start a child: none inherits a secret
    args = sys.argv[1:] if argv is None else list(argv)
    bad = undecodable_argument(args)
    if bad is not None:
        from gametime_cli.errors import ExitCode

        sys.stderr.write(f"gametime: error: the argument '{bad}' is not valid UTF-8 text; "
                         "retype it\n")
        sys.exit(ExitCode.BAD_INPUT)
    problem = start_pinned_clock()
    if problem is not None:
        from gametime_cli.errors import ExitCode

        sys.stderr.write(f"gametime: error: {problem}\n")
        sys.exit(ExitCode.BAD_INPUT)
    code = idle_tick(args)
    if code is None:
        from gametime_cli.cli.listing import quick_list

        code = quick_list(args)  # the plain forms of `list`, also before Typer
    if code is not None:
        sys.exit(code)
    from gametime_cli.cli.app import run

    return run(args)
