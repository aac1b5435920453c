"""The password appears nowhere but its store: not in files, output, arguments or env."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import gametime_executable

PASSWORD = "Unmistakable-Okapi-7731#"


def process_tree_texts(root: int) -> list[bytes]:
    """Command lines and environments of a process and its children, from /proc."""
    texts = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if int(entry.name) == root or ppid == root:
                texts.append((entry / "cmdline").read_bytes())
                texts.append((entry / "environ").read_bytes())
        except (OSError, ValueError, IndexError):
            continue
    return texts


@pytest.mark.slow
def test_the_password_never_leaks(home, tmp_path):
    exe = gametime_executable()
    env = {k: v for k, v in os.environ.items() if k != "DBUS_SESSION_BUS_ADDRESS"}
    env.update(GAMETIME_HOME=str(home), XDG_RUNTIME_DIR=str(tmp_path / "none"))
    outputs: list[str] = []

    def run(*args: str, stdin: str | None = None, expect: int | None = 0) -> None:
        result = subprocess.run([exe, *args], input=stdin, capture_output=True, text=True,
                                env=env, timeout=120)
        outputs.extend([result.stdout, result.stderr])
        if expect is not None:
            assert result.returncode == expect, (args, result.stderr)

    run("club", "add", "ok", "--url", "simulate:?success=1&delay=0.3", "--timezone", "UTC",
        "--window-days", "7", "--opens-at", "00:00")
    run("club", "add", "down", "--url", "simulate:?success=0", "--timezone", "UTC",
        "--window-days", "7", "--opens-at", "00:00")
    for club in ("ok", "down"):
        run("login", "--club", club, "--username", "jo", "--password-stdin",
            stdin=PASSWORD + "\n")
        run("book", "tomorrow", "19:00", "--club", club)
        run("book", "tomorrow", "20:00", "--club", club)
    run("config", "set", "retry_base", "0.1")

    # While bookings run, look at the process's arguments and environment.
    proc = subprocess.Popen([exe, "run-pending"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    seen: list[bytes] = []
    deadline = time.monotonic() + 60
    while proc.poll() is None and time.monotonic() < deadline:
        seen.extend(process_tree_texts(proc.pid))
        time.sleep(0.05)
    out, err = proc.communicate(timeout=60)
    outputs.extend([out, err])
    assert proc.returncode == 1, err  # the 'down' club's bookings failed
    assert seen, "the run was observed while it worked"

    for args in (["list"], ["list", "--json"], ["show", "1"], ["show", "3", "--json"],
                 ["accounts"], ["accounts", "--json"], ["credentials", "check"],
                 ["run-pending", "--json"]):
        run(*args, expect=None)
    run("logout", "--club", "down")

    assert all(PASSWORD not in text for text in outputs)
    assert all(PASSWORD.encode() not in blob for blob in seen)
    files = [p for p in Path(home).rglob("*") if p.is_file()]
    assert any(p.name == "gametime.db" for p in files)
    for path in files:
        assert PASSWORD.encode() not in path.read_bytes(), path
