"""A systemd user service and timer, the alternative to the crontab entry."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from pathlib import Path

from gametime_cli.crontab import gametime_command, scheduler_path

UNIT = "gametime-run-pending"


def unit_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "systemd" / "user"


def units(home: Path, browser: str | None) -> dict[str, str]:
    path = scheduler_path(browser)
    command = " ".join(shlex.quote(part) for part in gametime_command())
    service = (
        "[Unit]\nDescription=gametime-cli: book the courts that are due\n\n"
        "[Service]\nType=oneshot\n"
        f"Environment=GAMETIME_HOME={home}\nEnvironment=PATH={path}\n"
        f"ExecStart={command} run-pending\n"
    )
    timer = (
        "[Unit]\nDescription=gametime-cli: run-pending every minute\n\n"
        "[Timer]\nOnCalendar=*-*-* *:*:00\nAccuracySec=1s\nPersistent=true\n\n"
        "[Install]\nWantedBy=timers.target\n"
    )
    return {f"{UNIT}.service": service, f"{UNIT}.timer": timer}


def _systemctl(*args: str) -> str | None:
    """Run `systemctl --user ARGS`; None if it worked, else why not."""
    if shutil.which("systemctl") is None:
        return "systemctl is not installed here"
    done = subprocess.run(["systemctl", "--user", *args], capture_output=True, text=True,
                          timeout=30)
    return None if done.returncode == 0 else (done.stderr.strip() or f"exit {done.returncode}")


def install(home: Path, browser: str | None, enable: bool = True) -> tuple[list[Path], str | None]:
    folder = unit_dir()
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in units(home, browser).items():
        path = folder / name
        path.write_text(text)
        written.append(path)
    problem = None
    if enable:
        problem = _systemctl("daemon-reload") or _systemctl("enable", "--now", f"{UNIT}.timer")
    return written, problem


def remove() -> tuple[list[Path], str | None]:
    problem = _systemctl("disable", "--now", f"{UNIT}.timer")
    removed = []
    for name in units(Path("."), None):
        path = unit_dir() / name
        if path.exists():
            path.unlink()
            removed.append(path)
    _systemctl("daemon-reload")
    return removed, problem
