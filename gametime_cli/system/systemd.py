"""A systemd user service and timer, the alternative to the crontab entry."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from gametime_cli.paths import ensure_home, make_private_dirs
from gametime_cli.secrets.environment import child_environment
from gametime_cli.system.crontab import PLAIN, scheduled_values

UNIT = "gametime-run-pending"
UNIT_FILES = (f"{UNIT}.service", f"{UNIT}.timer")


def unit_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "systemd" / "user"


def unit_word(value: str, *, argument: bool = False) -> str:
    """`value` as one word of a unit-file setting, which systemd turns back into exactly
    `value`: bare if plain, else double-quoted with `\\` and `"` escaped (systemd.syntax,
    "Quoting"), `%` doubled (specifiers, systemd.unit) and, in an ExecStart= argument,
    `$` doubled (variable expansion, systemd.service "Command lines")."""
    if PLAIN.fullmatch(value):
        return value
    value = value.replace("%", "%%")
    if argument:
        value = value.replace("$", "$$")
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def exec_start(command: list[str]) -> str:
    """The ExecStart= value. systemd refuses a program path with a quote or a backslash
    ("Executable name contains special characters"), and a `$` there can't be escaped
    (`$$` stays `$$` in the path), so such a program is run by `/bin/sh`, which gets its
    path as an argument, where quoting works."""
    program, *arguments = command
    if set(program) & set("'\"\\$"):
        program, arguments = "/bin/sh", ["-c", 'exec "$0" "$@"', *command]
    return " ".join([unit_word(program), *(unit_word(word, argument=True)
                                           for word in arguments)])


def units(home: Path, browser: str | None) -> dict[str, str]:
    """The service and the timer; a data home or command a unit cannot hold (a control
    character) is refused here, before anything is written."""
    home_text, path, command = scheduled_values(home, browser, "a systemd unit")
    service = (
        "[Unit]\nDescription=gametime-cli: book the courts that are due\n\n"
        "[Service]\nType=oneshot\n"
        f"Environment={unit_word(f'GAMETIME_HOME={home_text}')}\n"
        f"Environment={unit_word(f'PATH={path}')}\n"
        f"ExecStart={exec_start([*command, 'run-pending'])}\n"
    )
    timer = (
        "[Unit]\nDescription=gametime-cli: run-pending every minute\n\n"
        "[Timer]\nOnCalendar=*-*-* *:*:00\nAccuracySec=1s\nPersistent=true\n\n"
        "[Install]\nWantedBy=timers.target\n"
    )
    return dict(zip(UNIT_FILES, (service, timer), strict=True))


def _systemctl(*args: str) -> str | None:
    """Run `systemctl --user ARGS`; None if it worked, else why not."""
    if shutil.which("systemctl") is None:
        return "systemctl is not installed here"
    done = subprocess.run(["systemctl", "--user", *args], capture_output=True, text=True,
                          timeout=30, env=child_environment())
    return None if done.returncode == 0 else (done.stderr.strip() or f"exit {done.returncode}")


def install(home: Path, browser: str | None, enable: bool = True) -> tuple[list[Path], str | None]:
    texts = units(home, browser)
    ensure_home(Path(os.path.abspath(home)))
    folder = unit_dir()
    make_private_dirs(folder)
    written = []
    for name, text in texts.items():
        path = folder / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    problem = None
    if enable:
        problem = _systemctl("daemon-reload") or _systemctl("enable", "--now", f"{UNIT}.timer")
    return written, problem


def remove() -> tuple[list[Path], str | None]:
    problem = _systemctl("disable", "--now", f"{UNIT}.timer")
    removed = []
    for name in UNIT_FILES:
        path = unit_dir() / name
        if path.exists():
            path.unlink()
            removed.append(path)
    _systemctl("daemon-reload")
    return removed, problem
