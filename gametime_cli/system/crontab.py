"""The one crontab entry that runs `gametime run-pending` every minute."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from gametime_cli import paths
from gametime_cli.errors import EnvironmentProblem
from gametime_cli.secrets.environment import child_environment

MARKER = "# gametime-cli"
CRON_LOG = "cron.log"

PLAIN = re.compile(r"[A-Za-z0-9_@+=:,./-]+")
"""A word made only of these is the same to cron, sh and systemd: it is written bare."""
_UNWRITABLE = re.compile(r"[\x00-\x1f\x7f]")


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


def scheduled_values(home: Path, browser: str | None, into: str) -> tuple[str, str, list[str]]:
    """The data home (absolute), PATH and command that go into `into` (a crontab line or
    a unit file), refused before anything is written if one has a control character (a
    newline would end the line and start another) or is not UTF-8. They come from the
    environment (GAMETIME_HOME, where gametime-cli and the browser are), not from the
    command line: EnvironmentProblem, exit 3."""
    home_text, command = os.path.abspath(home), gametime_command()
    checks = [(home_text, "the data home", "set GAMETIME_HOME to another folder"),
              (str(Path(browser).parent) if browser else "", "the browser's folder",
               "set GAMETIME_BROWSER to a browser in another folder"),
              *((part, "the gametime command", "install gametime-cli in another folder")
                for part in command)]
    for value, what, fix in checks:
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            problem = "is not UTF-8"
        else:
            problem = "has a control character" if _UNWRITABLE.search(value) else ""
        if problem:
            raise EnvironmentProblem(f"{what} {value!r} {problem}, which {into} cannot "
                                     f"hold; {fix}")
    return home_text, scheduler_path(browser), command


def cron_word(value: str) -> str:
    """`value` as one word of a crontab command, which cron and then sh turn back into
    exactly `value`. Cron reads the command first (man 5 crontab): an unescaped `%` ends
    it (the rest becomes its standard input) and `\\%` is a `%`; Debian's cron also
    turns `\\\\` into `\\`. So the word is single-quoted for sh, with `%` and `'` outside
    the quotes as `\\%` and `\\'`, and the quotes closed after each backslash: a
    backslash is then always followed by `'`, or starts `\\%` or `\\'`, which every
    cron reads alike."""
    if PLAIN.fullmatch(value):
        return value
    out: list[str] = []
    quoted = False
    for char in value:
        if char in "%'":
            if quoted:
                out.append("'")
                quoted = False
            out.append("\\" + char)
            continue
        if not quoted:
            out.append("'")
            quoted = True
        out.append(char)
        if char == "\\":
            out.append("'")
            quoted = False
    if quoted:
        out.append("'")
    return "".join(out) or "''"


def entry(home: Path, browser: str | None) -> str:
    """`* * * * *`, the data home, a PATH that finds the browser, output to the log."""
    home_text, path, command = scheduled_values(home, browser, "a crontab line")
    words = " ".join(cron_word(part) for part in [*command, "run-pending"])
    log = cron_word(str(Path(home_text) / CRON_LOG))
    return (f"* * * * * GAMETIME_HOME={cron_word(home_text)} PATH={cron_word(path)} "
            f"{words} >> {log} 2>&1 {MARKER}")


def _crontab() -> str:
    found = shutil.which("crontab")
    if not found:
        raise EnvironmentProblem("crontab is not installed; apt-get install cron "
                                 "(or use 'gametime systemd install')")
    return found


def _run(*args: str, input: bytes | None = None) -> tuple[int, str, str]:
    """`crontab ARGS` as bytes: the user's other lines come back and go back exactly (no
    newline translation, any encoding)."""
    done = subprocess.run([_crontab(), *args], input=input, capture_output=True, timeout=30,
                          env=child_environment())
    err = "; ".join(line.strip() for line in done.stderr.decode("utf-8", "replace").splitlines()
                    if line.strip())
    return done.returncode, done.stdout.decode("utf-8", "surrogateescape"), err


def read() -> list[str]:
    """The crontab's lines, split at newlines only (not at the other line breaks that
    str.splitlines knows, which a path may hold)."""
    code, out, err = _run("-l")
    if code != 0:
        if "no crontab" in err.lower():
            return []
        raise EnvironmentProblem(f"crontab -l failed: {err}")
    lines = out.split("\n")
    if lines[-1] == "":
        lines.pop()
    return lines


def write(lines: list[str]) -> None:
    text = "".join(f"{line}\n" for line in lines)
    code, _, err = _run("-", input=text.encode("utf-8", "surrogateescape"))
    if code != 0:  # e.g. '"-":3: command too long': the crontab is kept
        raise EnvironmentProblem(f"crontab - failed: {err}")


def ours(lines: list[str]) -> list[str]:
    return [line for line in lines if line.rstrip().endswith(MARKER)]


def install(home: Path, browser: str | None) -> str:
    """Add the entry, replacing one installed before: installing twice leaves one. A
    data home or command the line cannot hold is refused before anything is created."""
    line = entry(home, browser)
    paths.ensure_home(Path(os.path.abspath(home)))  # the log goes there
    lines = [existing for existing in read() if not existing.rstrip().endswith(MARKER)]
    write([*lines, line])
    return line


def remove() -> int:
    lines = read()
    kept = [line for line in lines if not line.rstrip().endswith(MARKER)]
    if len(kept) != len(lines):
        write(kept)
    return len(lines) - len(kept)
