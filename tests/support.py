"""Plain helpers the tests share: the missing-part policy, the installed command, the
notice catcher. Fixtures and hooks live in conftest.py; tests import these from here."""

from __future__ import annotations

import base64
import json
import os
import shutil
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import pytest

if TYPE_CHECKING:
    from gametime_cli.sandbox import SandboxSite

BIN_DIR = Path(sys.executable).parent
SETUP_TEST = "bash scripts/setup.sh --test"


def in_ci() -> bool:
    """CI sets CI=true; there every real part the tests use must be present."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def missing_part(what: str, install_hint: str) -> NoReturn:
    """A real part a test needs is missing: under CI=true the test fails (pytest.fail),
    elsewhere it is skipped; either way the message names the part and how to get it.
    Works at module level too (a failure there stops the collection, loudly)."""
    message = f"missing {what}; {install_hint}"
    if in_ci():
        pytest.fail(f"{message} (CI=true: a missing real part fails the run)", pytrace=False)
    pytest.skip(message, allow_module_level=True)


def debian(*packages: str) -> str:
    """The install hint for Debian packages that `scripts/setup.sh --test` installs."""
    them = "them" if len(packages) > 1 else "it"
    return f"install Debian's {' '.join(packages)} ('{SETUP_TEST}' installs {them})"


def import_or_missing(module: str, install_hint: str = f"run '{SETUP_TEST}'") -> object:
    """pytest.importorskip that goes through missing_part: a test dependency that is not
    installed fails the run under CI=true."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        missing_part(f"the Python package {module} ({exc})", install_hint)


def gametime_executable() -> str:
    """The installed console script beside this Python, else the one on PATH."""
    candidate = BIN_DIR / "gametime"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("gametime")
    if not found:
        pytest.fail("the gametime command is not installed; run pip install -e '.[test]'")
    return found


class Hook:
    """What apprise's json:// notifier POSTed to the test's own loopback server."""

    def __init__(self, port: int):
        self.port = port
        self.received: list[tuple[str, dict]] = []
        self.lock = threading.Lock()

    def url(self, path: str) -> str:
        return f"json://127.0.0.1:{self.port}/{path}"

    def posts(self) -> list[tuple[str, dict]]:
        with self.lock:
            return list(self.received)

    def attachments(self, body: dict) -> list[tuple[str, str, bytes]]:
        """(filename, mimetype, bytes) of each attachment a notice carried."""
        return [(a["filename"], a["mimetype"], base64.b64decode(a["base64"]))
                for a in body.get("attachments") or []]


Gametime = Callable[..., Any]
"""The `gametime` fixture: runs the installed command, gives a CompletedProcess."""


def add_club(gametime: Gametime, name: str, url: str, *, window_days: int | str,
             opens_at: str, timezone: str = "UTC", accept_waiver: bool = True) -> None:
    """`gametime club add NAME --url URL [--accept-waiver --yes] --timezone ...
    --window-days ... --opens-at ...`, which must succeed."""
    waiver = ["--accept-waiver", "--yes"] if accept_waiver else []
    result = gametime("club", "add", name, "--url", url, *waiver, "--timezone", timezone,
                      "--window-days", str(window_days), "--opens-at", opens_at)
    assert result.returncode == 0, result.stderr


def login(gametime: Gametime, club: str, username: str, password: str, *,
          verify: bool = True, timeout: float | None = None) -> Any:
    """`gametime login --club CLUB --username U --password-stdin --store file
    [--no-verify]`, the password on stdin, which must succeed; the CompletedProcess."""
    no_verify = [] if verify else ["--no-verify"]
    waits = {} if timeout is None else {"timeout": timeout}
    result = gametime("login", "--club", club, "--username", username, "--password-stdin",
                      "--store", "file", *no_verify, input=password + "\n", **waits)
    assert result.returncode == 0, result.stderr
    return result


def book(gametime: Gametime, day: date | str, at: str, *extra: str, club: str = "sb",
         account: str | None = None) -> int:
    """`gametime book DAY AT --club CLUB [--account A] --json EXTRA...`, which must succeed;
    the new booking's id."""
    chosen = [] if account is None else ["--account", account]
    day_text = day.isoformat() if isinstance(day, date) else day
    result = gametime("book", day_text, at, "--club", club, *chosen, "--json", *extra)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["id"]


def show(gametime: Gametime, booking: int) -> dict[str, Any]:
    """`gametime show ID --json`, parsed."""
    return json.loads(gametime("show", str(booking), "--json").stdout)


@dataclass(frozen=True)
class ClubSite:
    """What the `club_site` fixture made: the running sandbox site, the club's name on it,
    and the member's `gametime login` (its CompletedProcess)."""

    site: SandboxSite
    club: str
    login: Any
