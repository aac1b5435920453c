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


def error_line(message: str) -> None:
    """The one line a failing command leaves on stderr."""
    sys.stderr.write(f"gametime: error: {message}\n")
