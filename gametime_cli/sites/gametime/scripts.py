"""The driver's JavaScript, kept in `js/` as files of their own: each one function that
`page.evaluate` calls, after a comment saying what it does."""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def script(name: str) -> str:
    """`js/NAME.js` as the function expression Playwright evaluates (its leading comment
    lines left out)."""
    text = resources.files(__package__).joinpath("js", f"{name}.js").read_text("utf-8")
    lines = text.splitlines()
    while lines and lines[0].lstrip().startswith("//"):
        lines.pop(0)
    return "\n".join(lines).strip()
