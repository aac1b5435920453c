"""Pieces every command shares: opening the store, the --json option."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from gametime_cli.store import Store

JSON_OPTION = typer.Option(False, "--json", help="Print JSON for scripts instead of a table.")


class Output:
    """What the global options asked of the output (-q)."""

    quiet = False


OUTPUT = Output()


def open_store() -> Store:
    from gametime_cli.store import Store

    return Store.open()


def subapp(help_text: str) -> typer.Typer:
    return typer.Typer(help=help_text, no_args_is_help=True)
