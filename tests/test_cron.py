"""`gametime cron install|show|remove` on a real crontab, and a real cron daemon running
`run-pending` against the sandbox site."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from dataclasses import replace
from datetime import time as clock_time
from datetime import timedelta

import pytest

from gametime_cli.sandbox import SandboxConfig, SandboxSite, SandboxUser
from tests.conftest import gametime_executable

USER = SandboxUser("cron.player", "cron-pass", 4411, "Player, Cron")


@pytest.fixture
def crontab_saved():
    """The user's real crontab, restored afterwards whatever the test did."""
    if shutil.which("crontab") is None:
        pytest.skip("needs crontab (Debian: cron)")
    before = subprocess.run(["crontab", "-l"], capture_output=True, text=True)
    saved = before.stdout if before.returncode == 0 else None
    try:
        yield
    finally:
        if saved is None:
            subprocess.run(["crontab", "-r"], capture_output=True)
        else:
            subprocess.run(["crontab", "-"], input=saved, text=True, check=True)


def crontab_lines() -> list[str]:
    result = subprocess.run(["crontab", "-l"], capture_output=True, text=True)
    return result.stdout.splitlines() if result.returncode == 0 else []


def test_install_twice_leaves_one_entry_and_keeps_the_rest(gametime, home, crontab_saved):
    subprocess.run(["crontab", "-"], input="# mine\n0 3 * * * /usr/bin/true\n", text=True,
                   check=True)
    assert gametime("cron", "install").returncode == 0
    result = gametime("cron", "install")
    assert result.returncode == 0, result.stderr
    lines = crontab_lines()
    ours = [line for line in lines if line.endswith("# gametime-cli")]
    assert len(ours) == 1
    [entry] = ours
    assert entry.startswith("* * * * * ")
    assert f"GAMETIME_HOME={home}" in entry
    assert f"{gametime_executable()} run-pending" in entry
    assert f">> {home}/cron.log 2>&1" in entry
    assert "0 3 * * * /usr/bin/true" in lines and "# mine" in lines
    shown = json.loads(gametime("cron", "show", "--json").stdout)
    assert shown == {"installed": True, "entries": [entry]}
    assert gametime("cron", "remove").returncode == 0
    assert crontab_lines() == ["# mine", "0 3 * * * /usr/bin/true"]
    assert json.loads(gametime("cron", "show", "--json").stdout)["installed"] is False


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.usefixtures("needs_browser")
def test_a_real_cron_daemon_books_at_the_next_minute(gametime, home, crontab_saved, now):
    cron = shutil.which("cron")
    if cron is None or os.geteuid() != 0:
        pytest.skip("needs root and Debian's cron daemon")
    if subprocess.run(["pgrep", "-x", "cron"], capture_output=True).returncode == 0:
        pytest.skip("a cron daemon already runs here; not starting a second one")
    config = SandboxConfig(users=[replace(USER)], timezone="UTC", window_days=6,
                           opens_at=clock_time(9), seed=4)
    with SandboxSite(config) as site:
        assert gametime("club", "add", "sb", "--url", site.base_url, "--timezone", "UTC",
                        "--window-days", "6", "--opens-at", "09:00").returncode == 0
        assert gametime("login", "--club", "sb", "--username", USER.username,
                        "--password-stdin", "--store", "file", input=USER.password + "\n",
                        timeout=120).returncode == 0
        day = (now + timedelta(days=1)).date().isoformat()  # open since days ago
        booking = json.loads(gametime("book", day, "19:00", "--club", "sb", "--json").stdout)
        assert gametime("cron", "install").returncode == 0
        daemon = subprocess.Popen([cron, "-f"], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 150
            while not site.bookings() and time.monotonic() < deadline:
                time.sleep(1)
            while time.monotonic() < deadline and json.loads(gametime(
                    "show", str(booking["id"]), "--json").stdout)["status"] != "confirmed":
                time.sleep(1)
        finally:
            daemon.terminate()
            daemon.wait(timeout=30)
        shown = json.loads(gametime("show", str(booking["id"]), "--json").stdout)
        assert shown["status"] == "confirmed", (home / "cron.log").read_text()
        assert [str(b["id"]) for b in site.bookings()] == [shown["confirmation"]]
        assert (home / "cron.log").exists()
