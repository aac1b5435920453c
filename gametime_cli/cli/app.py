"""The Typer app: one group whose commands parse, call the core, and render.

Command modules import the core inside their functions, so a command loads only what
it uses.
"""

from __future__ import annotations

import sys
from typing import Any

import typer

from gametime_cli import __version__
from gametime_cli.cli import helpstyle
from gametime_cli.errors import ExitCode, GametimeError
from gametime_cli.output.streams import error_line, reader_gone

# Typer vendors click in recent releases and used the real one before: take the
# exception classes from wherever its BadParameter lives.
_click_exceptions = sys.modules[typer.BadParameter.__module__]
_ClickException = _click_exceptions.ClickException
_Abort = typer.Abort
_NO_ARGS_IS_HELP = getattr(_click_exceptions, "NoArgsIsHelpError", ())


class GametimeGroup(helpstyle.HelpGroup):
    """Turns every failure into one line on stderr and a documented exit code."""

    def main(self, args: Any = None, prog_name: str | None = None, complete_var: Any = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        import sqlite3

        code: int
        try:
            rv = super().main(args, prog_name or "gametime", complete_var,
                              standalone_mode=False, **extra)
            code = rv if isinstance(rv, int) else ExitCode.OK
        except _NO_ARGS_IS_HELP as exc:
            typer.echo(exc.ctx.get_help() if exc.ctx else str(exc))
            code = ExitCode.BAD_INPUT
        except _ClickException as exc:
            hint = ""
            ctx = getattr(exc, "ctx", None)
            if ctx is not None:
                hint = f" (see '{ctx.command_path} --help')"
            error_line(f"{exc.format_message()}{hint}")
            code = ExitCode.BAD_INPUT if exc.exit_code == 2 else exc.exit_code
        except _Abort:
            error_line("interrupted")
            code = ExitCode.INTERRUPTED
        except GametimeError as exc:
            error_line(str(exc))
            code = exc.exit_code
        except sqlite3.Error as exc:
            from gametime_cli.paths import db_path
            from gametime_cli.store import database_error

            problem = database_error(db_path(), exc)
            error_line(str(problem))
            code = problem.exit_code
        except KeyboardInterrupt:
            error_line("interrupted")
            code = ExitCode.INTERRUPTED
        except Exception as exc:  # a bug: say so in one line, keep the trace for -v
            import logging
            import os

            logging.getLogger("gametime").debug("internal error", exc_info=True)
            if os.environ.get("GAMETIME_DEBUG"):
                raise
            error_line(f"internal error ({type(exc).__name__}); rerun with GAMETIME_DEBUG=1 "
                       "and report it")
            code = ExitCode.INTERNAL
        if standalone_mode:
            sys.exit(int(code))
        return int(code)

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except BrokenPipeError:  # the reader stopped reading: nothing failed here
            reader_gone()
            return ExitCode.OK


app = typer.Typer(
    cls=GametimeGroup,
    name="gametime",
    help="Book GameTime courts the moment the club's booking window opens.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help, laid out by cli/helpstyle.py
    add_completion=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"gametime-cli {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
    verbose: int = typer.Option(0, "--verbose", "-v", count=True,
                                help="More on stderr (-vv for everything)."),
    quiet: bool = typer.Option(False, "--quiet", "-q",
                               help="Errors only: no tables or notes."),
) -> None:
    """Book GameTime courts the moment the club's booking window opens.

    Everything is kept in $GAMETIME_HOME (default: the user data folder), with a
    rotating log, gametime.log. NO_COLOR turns colours off.
    """
    from gametime_cli import paths
    from gametime_cli.cli import common
    from gametime_cli.system import logs

    common.OUTPUT.quiet = quiet
    logs.configure(paths.data_home(), verbose, quiet)


def _register() -> None:
    from gametime_cli.cli import (
        accounts,
        bookings,
        calendar_cmd,
        clubs,
        config,
        courts,
        cron,
        demo,
        doctor,
        notify,
        run,
        sandbox,
        systemd,
        watch,
    )

    app.add_typer(clubs.app, name="club")
    app.add_typer(config.app, name="config")
    app.add_typer(cron.app, name="cron")
    app.add_typer(notify.app, name="notify")
    app.add_typer(systemd.app, name="systemd")
    bookings.register(app)
    accounts.register(app)
    run.register(app)
    watch.register(app)
    doctor.register(app)
    courts.register(app)
    sandbox.register(app)
    demo.register(app)
    calendar_cmd.register(app)


_register()
helpstyle.apply(app)


def run(argv: list[str] | None = None, standalone: bool = True) -> int:
    return typer.main.get_command(app).main(argv, prog_name="gametime",
                                            standalone_mode=standalone)
