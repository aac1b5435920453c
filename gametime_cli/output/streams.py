"""Where output goes: the console, JSON on stdout, the error line on stderr."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console


def console(stderr: bool = False) -> Console:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def stream_json(texts: Iterable[str]) -> None:
    """A JSON array written item by item from each item's JSON text, one a line: memory
    holds one item at a time, however long the list."""
    write = sys.stdout.write
    opening = "[\n"
    for text in texts:
        write(opening + text)
        opening = ",\n"
    write("[]\n" if opening == "[\n" else "\n]\n")


def reader_gone() -> None:
    """Standard output's reader stopped reading (`gametime list --json | head`): send
    whatever is still to be written, and the last flush, to /dev/null."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    finally:
        os.close(devnull)


def error_line(message: str) -> None:
    """The one line a failing command leaves on stderr."""
    sys.stderr.write(f"gametime: error: {message}\n")
