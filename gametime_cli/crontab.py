"""The one crontab entry that runs `gametime run-pending` every minute."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from gametime_cli.errors import EnvironmentProblem

MARKER = "# gametime-cli"
CRON_LOG = "cron.log"


def gametime_command() -> list[str]:
    """The absolute command that is running now: the console script, else python -m."""
    script = Path(sys.argv[0])
    if script.name == "gametime" and script.exists():
        return [str(script.resolve())]
    return [sys.executable, "-m", "gametime_cli"]


def scheduler_path(browser: str | None) -> str:
    """A PATH for cron or systemd that finds the browser and the usual tools."""
    dirs = [str(Path(browser).parent)] if browser else []
    return ":".join(dict.fromkeys([*dirs, "/usr/local/bin", "/usr/bin", "/bin"]))


def entry(home: Path, browser: str | None) -> str:
    """`* * * * *`, the data home, a PATH that finds the browser, output to the log."""
    path = scheduler_path(browser)
    command = " ".join(shlex.quote(part) for part in gametime_command())
    log = shlex.quote(str(home / CRON_LOG))
    return (f"* * * * * GAMETIME_HOME={shlex.quote(str(home))} PATH={shlex.quote(path)} "
            f"{command} run-pending >> {log} 2>&1 {MARKER}")


def _crontab() -> str:
    found = shutil.which("crontab")
    if not found:
        raise EnvironmentProblem("crontab is not installed; apt-get install cron "
                                 "(or use 'gametime systemd install')")
    return found


def read() -> list[str]:
    result = subprocess.run([_crontab(), "-l"], capture_output=True, text=True, timeout=30)
    if result.returncode != 0:
        if "no crontab" in result.stderr.lower():
            return []
        raise EnvironmentProblem(f"crontab -l failed: {result.stderr.strip()}")
    return result.stdout.splitlines()


def write(lines: list[str]) -> None:
    text = "".join(f"{line}\n" for line in lines)
    result = subprocess.run([_crontab(), "-"], input=text, capture_output=True, text=True,
                            timeout=30, env={**os.environ})
    if result.returncode != 0:
        raise EnvironmentProblem(f"crontab - failed: {result.stderr.strip()}")


def ours(lines: list[str]) -> list[str]:
    return [line for line in lines if line.rstrip().endswith(MARKER)]


def install(home: Path, browser: str | None) -> str:
    """Add the entry, replacing one installed before: installing twice leaves one."""
    line = entry(home, browser)
    lines = [existing for existing in read() if not existing.rstrip().endswith(MARKER)]
    write([*lines, line])
    return line


def remove() -> int:
    lines = read()
    kept = [line for line in lines if not line.rstrip().endswith(MARKER)]
    if len(kept) != len(lines):
        write(kept)
    return len(lines) - len(kept)
