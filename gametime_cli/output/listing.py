"""The one shape of every listing: JSON for scripts, else a table, else a note on
stderr saying there is nothing to list."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")


def json_or_table(
    as_json: bool,
    rows: Callable[[], Sequence[T]],
    *,
    table: Callable[[Sequence[T]], Any],
    empty: str | Callable[[], str],
    quiet: bool,
    to_json: Callable[[Sequence[T]], Any] | None = None,
    json_texts: Callable[[], Iterable[str]] | None = None,
) -> Sequence[T]:
    """Print `rows()` as JSON (`to_json` of them; or, given `json_texts`, those texts
    streamed as an array without reading `rows`), or as `table` of them, or, when there
    are none, the `empty` note on stderr (not when `quiet`). Returns the rows shown in
    the table (none for JSON)."""
    from gametime_cli.output import streams

    if as_json and json_texts is not None:
        streams.stream_json(json_texts())
        return []
    found = rows()
    if as_json:
        assert to_json is not None
        streams.print_json(to_json(found))
        return []
    if found:
        streams.console().print(table(found))
    elif not quiet:
        sys.stderr.write((empty if isinstance(empty, str) else empty()) + "\n")
    return found
