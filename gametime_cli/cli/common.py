"""Pieces every command shares: opening the store, the --json option."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from gametime_cli.store import Store

JSON_OPTION = typer.Option(False, "--json", help="Print JSON for scripts instead of a table.")


def id_argument(shown_by: str, help_text: str | None = None) -> Any:
    """The ID argument of a command: a whole number, said so in a player's words when
    it isn't (`shown_by`: the command that lists the ids)."""

    def parse(text: str) -> int:
        try:
            return int(text.strip())
        except ValueError:
            raise typer.BadParameter(
                f"{text!r} is not an id; ids are the numbers '{shown_by}' shows") from None

    return typer.Argument(..., metavar="ID", help=help_text, parser=parse)


class Output:
    """What the global options asked of the output (-q)."""

    quiet = False


OUTPUT = Output()


def say(message: str, err: bool = False) -> None:
    """A message for the player (done, nothing to list): not with -q, which leaves
    errors, warnings and what was asked for (JSON, listings)."""
    if not OUTPUT.quiet:
        typer.echo(message, err=err)


def open_store() -> Store:
    from gametime_cli.store import Store

    return Store.open()


def subapp(help_text: str) -> typer.Typer:
    return typer.Typer(help=help_text, no_args_is_help=True)
