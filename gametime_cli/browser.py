"""Finding and launching the Chromium that Playwright drives."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gametime_cli.errors import EnvironmentProblem

BROWSER_ENV = "GAMETIME_BROWSER"
PATH_CANDIDATES = ("chromium", "chromium-browser", "google-chrome")
QUIET_FLAGS = (
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--no-first-run",
    "--no-default-browser-check",
    "--metrics-recording-only",
    "--disable-quic",
)
"""Flags that keep a headless, offline server quiet: no calls home, no first-run UI."""

NO_BROWSER = (
    "no Chromium found for booking; install one with 'apt-get install chromium' or "
    "'playwright install chromium', or name one with GAMETIME_BROWSER"
)


@dataclass(frozen=True)
class BrowserOptions:
    executable: str
    headed: bool = False
    navigation_timeout: float = 15.0
    action_timeout: float = 5.0


def _playwright_chromium() -> str | None:
    """Playwright's own Chromium, if `playwright install` has put it on this machine."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    try:
        with sync_playwright() as pw:
            path = pw.chromium.executable_path
    except Exception:
        return None
    return path if path and Path(path).is_file() else None


def find_browser(configured: str = "") -> str:
    """GAMETIME_BROWSER, then the `browser` setting, then Playwright's Chromium, then
    chromium, chromium-browser, google-chrome on PATH."""
    for source, value in ((BROWSER_ENV, os.environ.get(BROWSER_ENV, "")),
                          ("the browser setting", configured)):
        if value:
            found = value if os.path.isfile(value) and os.access(value, os.X_OK) else None
            found = found or shutil.which(value)
            if not found:
                raise EnvironmentProblem(f"{source} names {value!r}, which is not an executable")
            return found
    own = _playwright_chromium()
    if own:
        return own
    for name in PATH_CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    raise EnvironmentProblem(NO_BROWSER)


def launch_arguments(headed: bool) -> list[str]:
    args = list(QUIET_FLAGS)
    if os.geteuid() == 0:
        args.append("--no-sandbox")  # Chromium refuses to sandbox as root
    if not headed:
        args.append("--hide-scrollbars")
    return args


def launch(playwright: Any, options: BrowserOptions) -> Any:
    """Start Chromium; a browser that won't start is an environment problem (exit 3)."""
    try:
        return playwright.chromium.launch(
            executable_path=options.executable,
            headless=not options.headed,
            args=launch_arguments(options.headed),
            timeout=30_000,
        )
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise EnvironmentProblem(
            f"the browser {options.executable} did not start: {first}"
        ) from None
