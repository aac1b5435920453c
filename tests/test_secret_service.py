"""A real Secret Service (gnome-keyring in its own D-Bus session), and cron's bare
environment, through the installed command."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support import debian, gametime_executable, missing_part

PASSWORD = "Keyring-Narwhal-5521?"

# Runs inside `dbus-run-session`: unlock a fresh keyring, then drive the command.
DRIVER = r"""
import json, os, subprocess, sys
gametime, password = sys.argv[1], sys.argv[2]
unlock = subprocess.run(["gnome-keyring-daemon", "--unlock", "--components=secrets"],
                        input="session-unlock", capture_output=True, text=True, timeout=30)
def run(*args, stdin=None, env=None):
    r = subprocess.run([gametime, *args], input=stdin, capture_output=True, text=True,
                       timeout=120, env=env)
    return {"rc": r.returncode, "out": r.stdout, "err": r.stderr}
steps = {"unlock": {"rc": unlock.returncode, "out": "", "err": unlock.stderr}}
steps["club"] = run("club", "add", "sim", "--url", "simulate:?success=1&seed=2",
                    "--timezone", "UTC", "--window-days", "7", "--opens-at", "00:00")
steps["login"] = run("login", "--club", "sim", "--username", "jo", "--password-stdin",
                     stdin=password + "\n")
steps["accounts"] = run("accounts", "--json")
steps["check"] = run("credentials", "check", "--json")
steps["book1"] = run("book", "tomorrow", "19:00", "--club", "sim")
cron_env = {"HOME": os.environ["HOME"], "PATH": "/usr/bin:/bin", "SHELL": "/bin/sh",
            "GAMETIME_HOME": os.environ["GAMETIME_HOME"]}
steps["cron_run"] = run("run-pending", "--json", env=cron_env)
steps["after_cron"] = run("show", "1", "--json")
steps["run"] = run("run-pending", "--json")
print(json.dumps(steps))
"""


def session_processes(session_home: Path, name: str | None = None) -> set[int]:
    """The processes started for this session (named `name`, if given): their
    environment, as they were started, holds its HOME, which no other session has."""
    marker = f"HOME={session_home}".encode()
    found = set()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if name is not None and (proc / "comm").read_text().strip() != name:
                continue
            environ = (proc / "environ").read_bytes().split(b"\0")
        except OSError:  # gone meanwhile, or not ours to read
            continue
        if marker in environ:
            found.add(int(proc.name))
    return found


def end_processes(pids: set[int], timeout: float = 10) -> None:
    """SIGTERM, then SIGKILL what is left after `timeout` seconds."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and any(running(pid) for pid in pids):
            time.sleep(0.1)


def running(pid: int) -> bool:
    """Not gone, and not a zombie waiting for its parent."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


@pytest.mark.slow
def test_login_accounts_and_run_pending_with_a_real_secret_service(tmp_path, home):
    packages = {"dbus-run-session": "dbus", "gnome-keyring-daemon": "gnome-keyring"}
    missing = [tool for tool in packages if shutil.which(tool) is None]
    if missing:
        missing_part(f"a real Secret Service ({', '.join(missing)})",
                     debian(*(packages[tool] for tool in missing)))
    session_home = tmp_path / "user"
    (session_home / "data").mkdir(parents=True)
    env = {
        "PATH": os.environ["PATH"], "HOME": str(session_home),
        "XDG_DATA_HOME": str(session_home / "data"), "GAMETIME_HOME": str(home),
        "XDG_RUNTIME_DIR": str(tmp_path / "runtime"), "LANG": "C.UTF-8",
    }
    (tmp_path / "runtime").mkdir(mode=0o700)
    session = subprocess.Popen(
        ["dbus-run-session", "--", sys.executable, "-c", DRIVER, gametime_executable(),
         PASSWORD],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        start_new_session=True,
    )
    try:
        out, err = session.communicate(timeout=300)
    finally:
        if session.poll() is None:  # timed out: the session's group goes
            os.killpg(session.pid, signal.SIGKILL)
            session.communicate(timeout=30)
        # The keyring daemon leaves its session's group: found by its HOME, and only
        # this session's (other daemons on the machine are not ours to end).
        deadline = time.monotonic() + 10
        while (session_processes(session_home, "gnome-keyring-d")
               and time.monotonic() < deadline):
            time.sleep(0.1)
        leftover = session_processes(session_home, "gnome-keyring-d")
        end_processes(session_processes(session_home))
    assert not leftover, "the keyring daemon outlived its session"
    assert session.returncode == 0, err
    steps = json.loads(out)

    assert steps["unlock"]["rc"] == 0, steps["unlock"]["err"]
    assert steps["login"]["rc"] == 0, steps["login"]["err"]
    assert "in the OS keyring (SecretService)" in steps["login"]["out"]
    assert "cron won't be able to read it" in steps["login"]["err"]
    assert json.loads(steps["accounts"]["out"]) == [
        {"club": "sim", "username": "jo", "store": "keyring"}]
    [check] = json.loads(steps["check"]["out"])
    assert steps["check"]["rc"] == 3
    assert check["now"]["ok"] is True
    assert check["cron"]["ok"] is False and "no D-Bus session" in check["cron"]["error"]

    # Cron's environment: no D-Bus, so the booking waits and the run says how to fix it.
    assert steps["cron_run"]["rc"] == 3
    assert steps["cron_run"]["err"].strip().endswith("--store file")
    assert len(steps["cron_run"]["err"].strip().splitlines()) == 1
    assert json.loads(steps["after_cron"]["out"])["status"] == "pending"
    # In the session the keyring answers and the booking goes through.
    assert steps["run"]["rc"] == 0, steps["run"]["err"]
    assert json.loads(steps["run"]["out"])["bookings"][0]["status"] == "confirmed"

    assert PASSWORD not in out + err
    for path in Path(home).rglob("*"):
        if path.is_file():
            assert PASSWORD.encode() not in path.read_bytes(), path


@pytest.mark.slow
def test_run_pending_under_env_i_leaves_the_booking_pending(tmp_path, home):
    """Cron runs jobs with almost no environment: `env -i` is the same."""
    env_i = shutil.which("env")
    gametime = gametime_executable()
    setup_env = {**os.environ, "GAMETIME_HOME": str(home)}
    for args in (["club", "add", "sim", "--url", "simulate:?success=1", "--timezone", "UTC",
                  "--window-days", "7", "--opens-at", "00:00"],
                 ["book", "tomorrow", "19:00", "--club", "sim"]):
        assert subprocess.run([gametime, *args], env=setup_env, capture_output=True,
                              timeout=60).returncode == 0
    # An account whose password was kept in a keyring this process can't reach.
    import sqlite3

    conn = sqlite3.connect(home / "gametime.db")
    with conn:
        conn.execute("INSERT INTO accounts (club_id, username, store, created_at) "
                     "VALUES (1, 'jo', 'keyring', '2026-01-01T00:00:00.000Z')")
    conn.close()
    result = subprocess.run([env_i, "-i", f"GAMETIME_HOME={home}", gametime, "run-pending"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 3
    [line] = result.stderr.strip().splitlines()
    assert "cannot read the password of jo at sim" in line
    assert line.endswith("fix: gametime login --club sim --username jo --store file")
    shown = subprocess.run([gametime, "show", "1", "--json"], env=setup_env,
                           capture_output=True, text=True, timeout=60)
    assert json.loads(shown.stdout)["status"] == "pending"
