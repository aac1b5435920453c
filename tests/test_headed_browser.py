"""A headed browser on a machine without a display: the run starts an Xvfb of its own,
no other user can connect to it, and it is gone when the run ends."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from gametime_cli.sandbox import SandboxConfig, SandboxSite, SandboxUser
from tests.support import debian, missing_part

PASSWORD = "Sandbox-Marten-5120"
USER = SandboxUser("jo.player", PASSWORD, 4411, "Player, Jo")

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("needs_browser")]


@pytest.fixture
def no_display() -> dict[str, str]:
    if shutil.which("Xvfb") is None:
        missing_part("Xvfb for a headed browser without a display", debian("xvfb"))
    return {"DISPLAY": "", "WAYLAND_DISPLAY": ""}


def our_displays() -> set[int]:
    found = subprocess.run(["pgrep", "-f", "Xvfb .*gametime-display-"], capture_output=True,
                           text=True)
    return {int(pid) for pid in found.stdout.split()}


def test_headed_runs_book_on_a_display_of_their_own(gametime, day, no_display):
    before = our_displays()
    with SandboxSite(SandboxConfig(users=[USER], timezone="UTC", seed=3)) as site:
        assert gametime("club", "add", "sb", "--url", site.base_url,
                        "--accept-waiver", "--yes", "--timezone", "UTC",
                        "--window-days", "6", "--opens-at", "00:00").returncode == 0
        login = gametime("login", "--club", "sb", "--username", USER.username, "--headed",
                         "--password-stdin", "--store", "file", input=PASSWORD + "\n",
                         env=no_display)
        assert login.returncode == 0, login.stderr
        for at, how in (("19:00", ["--headed"]), ("20:00", [])):
            if not how:  # the setting, as cron and watch would run it
                assert gametime("config", "set", "browser_mode", "headed").returncode == 0
            assert gametime("book", day.isoformat(), at, "--club", "sb", "--court", "2"
                            ).returncode == 0
            result = gametime("run-pending", "--json", *how, timeout=120, env=no_display)
            assert result.returncode == 0, result.stderr
            [entry] = json.loads(result.stdout)["bookings"]
            assert entry["status"] == "confirmed", entry
        # What the site saw: a player's browser, in a window.
        assert [s["flags"] for s in site.saves()] == [[], []]
    assert our_displays() <= before  # each run's display went with it


def test_without_xvfb_a_headed_run_says_how_to_get_one(gametime, day, tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python").symlink_to(sys.executable)
    env = {"DISPLAY": "", "WAYLAND_DISPLAY": "", "PATH": str(bin_dir),
           "GAMETIME_BROWSER": shutil.which("chromium") or "/usr/bin/chromium"}
    with SandboxSite(SandboxConfig(users=[USER], timezone="UTC")) as site:
        assert gametime("club", "add", "sb", "--url", site.base_url,
                        "--accept-waiver", "--yes", "--timezone", "UTC",
                        "--window-days", "6", "--opens-at", "00:00").returncode == 0
        result = gametime("login", "--club", "sb", "--username", USER.username, "--headed",
                          "--password-stdin", "--store", "file", input=PASSWORD + "\n",
                          env=env)
    assert result.returncode == 3
    assert result.stderr.strip().splitlines() == [
        "gametime: error: a headed browser needs a display, and there is none here (no "
        "DISPLAY) and no Xvfb to make one; install it with 'apt-get install xvfb', or "
        "book headless (gametime config set browser_mode headless)"]
