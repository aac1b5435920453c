"""Every command's --help read in 80 columns: each option's description gets at least 40
of them, and no line breaks inside a sentence (a docstring's hard line breaks reflow).

The help is rendered in-process for every command and group of the app, found by
walking its Click command tree, and read as text: rows of a definition list (an option,
an argument, a command) and paragraphs, with or without box-drawing borders.
"""

from __future__ import annotations

import re
from itertools import pairwise

import pytest

from tests.support import invoke_app

WIDTH = 80
MARGIN = 2
"""Columns the help keeps free on the right of text that has no border (Click's)."""
MIN_DESCRIPTION = 40
SENTENCE_END = re.compile(r"[.?!:][)\"']*$")
TYPE_LABEL = re.compile(r"<[a-z][^>]*>")
"""`<int>`, `<float range>`: what Typer shows for an option that declares no metavar."""


def _commands(command, path=()):
    yield path, command
    for name, sub in getattr(command, "commands", {}).items():
        yield from _commands(sub, (*path, name))


def _every_command():
    import typer

    from gametime_cli.cli.app import app

    return list(_commands(typer.main.get_command(app)))


def _unboxed(line: str) -> tuple[str, int]:
    """The line with any panel border blanked, and the column its text must end by."""
    if line.startswith(("╭", "╰")):
        return "", WIDTH
    if line.startswith("│") and line.rstrip().endswith("│"):
        right = len(line.rstrip()) - 1
        return " " + line[1:right] + " ", right - 1
    return line, WIDTH - MARGIN


def _render(path: tuple[str, ...]) -> list[tuple[str, int]]:
    result = invoke_app([*path, "--help"], env={"COLUMNS": str(WIDTH)})
    assert result.exit_code == 0, (path, result.stderr)
    lines = result.stdout.splitlines()
    assert all(len(line) <= WIDTH for line in lines), path
    return [_unboxed(line) for line in lines]


def _names(param) -> set[str]:
    if param.param_type_name == "argument":
        return {(param.metavar or param.name or "").upper()}
    return {*param.opts, *param.secondary_opts}


def _row_name(text: str) -> str:
    words = [w for w in text.split() if w != "*"]
    return words[0].rstrip(",") if words else ""


def _is_row_of(text: str, names: set[str]) -> bool:
    first = _row_name(text)
    return first in names or (first.endswith("…") and any(
        name.startswith(first[:-1]) for name in names))


def _description_column(lines, param, path) -> tuple[int, int]:
    """Where the row of `param` starts its description, and where that column ends."""
    words = param.help.split()
    probes = [" ".join(words[:2]), words[0]] if len(words) > 1 else [words[0]]
    names = _names(param)
    for i, (text, end) in enumerate(lines):
        if not _is_row_of(text, names):
            continue
        name_end = text.index(_row_name(text)) + len(_row_name(text))
        for line, line_end, start in ((text, end, name_end), *(
                (t, e, 0) for t, e in lines[i + 1:i + 2])):
            for probe in probes:
                found = line.find(probe, start)
                if found > 0:
                    return found, line_end
    pytest.fail(f"no row for {sorted(names)} in 'gametime {' '.join(path)} --help'")


def _first_word(text: str) -> str:
    text = text.strip()
    if text.startswith("["):  # a bracketed note ([default: 6]) is kept whole
        return text[:text.index("]") + 1] if "]" in text else text
    return text.split()[0]


def _hard_breaks(lines, row_names: set[str]) -> list[str]:
    """Lines that end before a word of the next line that would have fitted on them,
    and not at the end of a sentence: where the source had a line break."""
    found = []
    for (above, end), (below, _) in pairwise(lines):
        column = len(below) - len(below.lstrip())
        starts_there = 0 < column < len(above) and above[column - 1] == " " != above[column]
        if not below.strip() or not starts_there or _is_row_of(below, row_names):
            continue
        text = above[column:end].rstrip()
        fits = column + len(text) + 1 + len(_first_word(below)) <= end
        if fits and not SENTENCE_END.search(text):
            found.append(f"{text!r} then {below.strip()!r}")
    return found


COMMANDS = _every_command()


@pytest.mark.usefixtures("home")
@pytest.mark.parametrize(("path", "command"), COMMANDS,
                         ids=[" ".join(path) or "gametime" for path, _ in COMMANDS])
def test_help_in_80_columns(path, command):
    lines = _render(path)
    params = [p for p in command.params if p.help and not getattr(p, "hidden", False)]
    narrow = {}
    for param in params:
        column, end = _description_column(lines, param, path)
        if end - column < MIN_DESCRIPTION:
            narrow[param.name] = end - column
    assert not narrow, f"descriptions narrower than {MIN_DESCRIPTION} columns: {narrow}"
    row_names = {name for p in command.params for name in _names(p)}
    row_names |= set(getattr(command, "commands", {}))
    assert not _hard_breaks(lines, row_names)
    typed = [text for text, _ in lines if TYPE_LABEL.search(text)]
    assert not typed, f"a value named by its type, not a metavar: {typed}"


def test_the_walk_reaches_every_command():
    paths = {path for path, _ in COMMANDS}
    assert {(), ("book",), ("club", "add"), ("club", "set"), ("config", "set"),
            ("cron", "install")} <= paths
