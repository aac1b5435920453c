"""The `gametime` command.

`main` answers a few forms of `run-pending` and `list` before loading Typer, whose start-up
alone costs more than the rest of those commands (benchmarks/startup.py has the figures):
`FAST_FORMS` is the one table of what it answers, and tests/test_cli_misc.py holds each
form to the full command's stdout, stderr and exit code. Everything else, and anything
unusual on the way, goes to the Typer app in `cli/app.py`.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

from gametime_cli.cli.listing import is_count, is_status, list_form

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    Options = dict[str, str | bool]
    """What a fast form was given: each flag as True, each option with a value as its text."""

QUIET = ("-q", "--quiet")
"""The global option a fast form may start with, recorded as `--quiet`."""


class Form:
    """The arguments one command answers without Typer: each flag and option at most
    once, in any order, an option's value only when `values` accepts it. Its handler
    returns the exit code, or None to leave the arguments to the Typer app."""

    __slots__ = ("flags", "handler", "quiet", "values")

    def __init__(self, handler: Callable[[Options], int | None], flags: tuple[str, ...] = (),
                 values: Mapping[str, Callable[[str], bool]] | None = None,
                 quiet: bool = False):
        self.handler = handler
        self.flags = flags
        self.values = values or {}
        self.quiet = quiet
        """Whether a leading -q/--quiet is answered too."""


def idle_tick(options: Options) -> int | None:
    """Exit 0 silently (or print the empty JSON report) when `run-pending` has nothing
    due; None when there is work or anything is unusual, for the full command to handle."""
    from gametime_cli.clock import utcnow
    from gametime_cli.run.due import has_work
    from gametime_cli.store import Store

    try:
        store = Store.open()
        try:
            if has_work(store, utcnow()):
                return None
        finally:
            store.close()
    except Exception:
        return None  # the full command reports it properly
    if "--json" in options:
        from gametime_cli.output import json_shapes, streams

        streams.print_json(json_shapes.empty_run_json())
    return 0


FAST_FORMS: dict[str, Form] = {
    "run-pending": Form(idle_tick, flags=("--json",)),
    "list": Form(list_form, flags=("--all", "--json"),
                 values={"--status": is_status, "--limit": is_count}, quiet=True),
}
"""The forms answered before Typer loads, by command: `run-pending [--json]` and
`[-q] list [--status S] [--all] [--limit N] [--json]`."""


def fast_form(argv: list[str]) -> tuple[Form, Options] | None:
    """The form in FAST_FORMS that `argv` is, with what it was given; None for any
    other arguments."""
    args = list(argv)
    options: Options = {}
    if args[:1] and args[0] in QUIET:
        options["--quiet"] = True
        args.pop(0)
    form = FAST_FORMS.get(args[0]) if args else None
    if form is None or (options and not form.quiet):
        return None
    rest = args[1:]
    while rest:
        name = rest.pop(0)
        if name in options:
            return None
        if name in form.flags:
            options[name] = True
        elif (name in form.values and rest and not rest[0].startswith("-")
              and form.values[name](rest[0])):
            options[name] = rest.pop(0)
        else:
            return None
    return form, options


def answer_fast(argv: list[str]) -> int | None:
    """The exit code of `argv` answered without Typer, when it is a fast form and its
    handler can; None otherwise."""
    found = fast_form(argv)
    if found is None:
        return None
    form, options = found
    return form.handler(options)


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
    try:
        code = answer_fast(args)
    except BrokenPipeError:  # the reader stopped reading: nothing failed here
        from gametime_cli.output.streams import reader_gone

        reader_gone()
        code = 0
    if code is not None:
        sys.exit(code)
    from gametime_cli.cli.app import run

    return run(args)
