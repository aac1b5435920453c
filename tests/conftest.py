"""Every test gets its own data home; nothing touches the real one."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gametime_cli.cli.app import app
from tests.helpers import pin_clock

BIN_DIR = Path(sys.executable).parent


def gametime_executable() -> str:
    """The installed console script beside this Python, else the one on PATH."""
    candidate = BIN_DIR / "gametime"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("gametime")
    if not found:
        pytest.fail("the gametime command is not installed; run pip install -e '.[test]'")
    return found


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "home"
    monkeypatch.setenv("GAMETIME_HOME", str(path))
    monkeypatch.delenv("GAMETIME_DEBUG", raising=False)
    monkeypatch.delenv("GAMETIME_NOW", raising=False)  # only tests that ask pin the clock
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "200")
    return path


@pytest.fixture
def now() -> datetime:
    """The test's one instant, in UTC, taken once: build the club, its window and every
    date the test expects from it, never from another reading of the clock."""
    return datetime.now(UTC)


@pytest.fixture
def pinned_now(now: datetime, monkeypatch: pytest.MonkeyPatch) -> datetime:
    """The test's instant, which is also where the clock of every command it runs
    starts (GAMETIME_NOW, in-process and installed): a command sees it plus the few
    seconds it takes. Never in the last minute of an hour, so no test crosses midnight
    (in any zone) or a whole-hour opening while it runs; test_fixed_instants.py pins the
    last seconds before midnight on purpose."""
    instant = now - timedelta(minutes=1) if now.minute == 59 else now
    pin_clock(monkeypatch, instant)
    return instant


@pytest.fixture
def gametime(home: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run the installed `gametime` command in the test's home."""
    exe = gametime_executable()

    def run(*args: str, timeout: float = 60, **kwargs) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "GAMETIME_HOME": str(home), **kwargs.pop("env", {})}
        return subprocess.run(
            [exe, *args], capture_output=True, text=True, timeout=timeout, env=env, **kwargs
        )

    return run


@pytest.fixture
def cli(home: Path) -> Callable[..., object]:
    """Invoke the Typer app in-process (CliRunner), stderr kept apart."""
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None):
        return runner.invoke(app, list(args), input=input)

    return invoke


@pytest.fixture
def needs_browser() -> None:
    """Skip, with the reason, where no Chromium can be found (CI installs one)."""
    from gametime_cli.browser import find_browser
    from gametime_cli.errors import EnvironmentProblem

    try:
        find_browser()
    except EnvironmentProblem as exc:
        pytest.skip(str(exc))
