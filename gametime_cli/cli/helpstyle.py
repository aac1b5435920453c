"""How `--help` reads: plain text in the terminal's width (80 columns at most), as
sqlite-utils' and HTTPie's do.

Typer's Rich panels give each option's name its own column, so one long pair
(`--keep-trying/--no-keep-trying`) leaves every description a few words wide, and they
keep a docstring's hard line breaks. With `rich_markup_mode=None` Typer hands the help to
Click's formatter; the classes here give it, through Click's and Typer's public
classes:
- a description column of at least 40 of 80 columns: a name longer than 30 columns
  stands on a line of its own, its description below;
- paragraphs that reflow: a docstring's single line breaks become spaces, never splitting
  a word at a hyphen (`run-pending`, `--keep-trying`); blank lines stay as paragraph
  breaks, and a paragraph that starts with `\\b` keeps its lines;
- values named only where one is taken (`--court N`: each option declares its metavar),
  arguments as `DATE` when required and `[DATE]` when not, with no type;
- each command listed with its whole first paragraph, not a first sentence cut short.
"""

from __future__ import annotations

import re
import textwrap
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

NAME_COLUMN = 30
"""The widest name a definition list keeps beside its description."""
SPACING = 2
EXTRA = re.compile(r"(?<=  )\[[^\]\n]*\]$")
"""The `[default: 6; 0<=x<=365]` Click puts after an option's help, kept on one line."""


def reflow(text: str, width: int, first: str = "", rest: str = "") -> str:
    """`text`'s paragraphs filled to `width`, the first line starting with `first`
    and every other with `rest`; paragraphs apart by a blank line."""
    filled = []
    for paragraph in text.strip("\n").split("\n\n"):
        lines = paragraph.strip("\n").splitlines()
        if lines and lines[0].strip() == "\b":  # Click's mark: keep these lines as they are
            filled.append("\n".join(rest + line.rstrip() for line in lines[1:]))
        elif lines:
            words = " ".join(line.strip() for line in lines)
            filled.append(textwrap.fill(words, width, initial_indent=first,
                                        subsequent_indent=rest, break_long_words=False,
                                        break_on_hyphens=False))
        first = rest
    return "\n\n".join(filled)


class HelpFormatter(typer.Context.formatter_class):  # type: ignore[misc,name-defined]
    """Click's formatter, wrapping without breaking words."""

    def write_text(self, text: str) -> None:
        indent = " " * self.current_indent
        self.write(reflow(text, self.width, indent, indent) + "\n")

    def write_dl(self, rows: Any, col_max: int = NAME_COLUMN, col_spacing: int = SPACING) -> None:
        rows = [(name, EXTRA.sub(lambda m: m[0].replace(" ", "\xa0"), text))
                for name, text in rows]
        column = min(max((len(name) for name, _ in rows), default=0), col_max) + col_spacing
        margin = " " * self.current_indent
        below = margin + " " * column
        for name, text in rows:
            if not text:
                self.write(f"{margin}{name}\n")
                continue
            if len(name) <= column - col_spacing:
                shown = reflow(text, self.width, f"{margin}{name}".ljust(len(below)), below)
            else:
                shown = f"{margin}{name}\n{reflow(text, self.width, below, below)}"
            self.write(shown.replace("\xa0", " ") + "\n")


class HelpContext(typer.Context):
    formatter_class = HelpFormatter


def argument_name(param: Any) -> str:
    return (param.metavar or param.name or "").upper()


def usage_pieces(command: Any, ctx: Any) -> list[str]:
    """`[OPTIONS] DATE TIME`: each argument by name, in brackets when optional."""
    pieces = [command.options_metavar] if command.options_metavar else []
    for param in command.get_params(ctx):
        if param.param_type_name == "argument":
            name = argument_name(param) if param.required else f"[{argument_name(param)}]"
            pieces.append(name + ("..." if param.nargs != 1 else ""))
    return pieces


def format_parameters(command: Any, ctx: Any, formatter: Any) -> None:
    """The Arguments (named, without a type) and the Options, each with its help."""
    arguments, options = [], []
    for param in command.get_params(ctx):
        record = param.get_help_record(ctx)
        if record is None:
            continue
        if param.param_type_name == "argument":
            arguments.append((argument_name(param), record[1]))
        else:
            options.append(record)
    for title, rows in (("Arguments", arguments), ("Options", options)):
        if rows:
            with formatter.section(title):
                formatter.write_dl(rows)


class HelpCommand(TyperCommand):
    context_class = HelpContext

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        return usage_pieces(self, ctx)

    def format_options(self, ctx: Any, formatter: Any) -> None:
        format_parameters(self, ctx, formatter)


class HelpGroup(TyperGroup):
    context_class = HelpContext

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        return [*usage_pieces(self, ctx), self.subcommand_metavar]

    def format_options(self, ctx: Any, formatter: Any) -> None:
        format_parameters(self, ctx, formatter)
        self.format_commands(ctx, formatter)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        """Each command with its whole first paragraph."""
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                text = (command.short_help or command.help or "").split("\f")[0]
                rows.append((name, text.strip().split("\n\n")[0]))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def apply(app: typer.Typer) -> None:
    """Give every command and group registered under `app` the help above (those that
    name a class of their own keep it)."""
    for command in app.registered_commands:
        if command.cls in (None, TyperCommand):  # Typer's default
            command.cls = HelpCommand
    for group in app.registered_groups:
        own = group.typer_instance.info.cls if group.typer_instance else None
        if not isinstance(group.cls, type) and not isinstance(own, type):
            group.cls = HelpGroup  # over Typer's placeholder for "not given"
        if group.typer_instance is not None:
            apply(group.typer_instance)
