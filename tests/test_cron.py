"""`gametime cron install|show|remove` on a real crontab, and a real cron daemon running
`run-pending` against the sandbox site: both on a crontab spool of the test's own in a
private mount namespace (the private_cron fixture), never the user's crontab."""

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
from gametime_cli.system.crontab import CRON_LOG, cron_word, ours
from tests.support import gametime_executable

USER = SandboxUser("cron.player", "cron-pass", 4411, "Player, Cron")


@pytest.mark.slow  # five runs of the installed command: about 3 s
def test_install_twice_leaves_one_entry_and_keeps_the_rest(gametime, home, private_cron):
    mine = private_cron.crontab("-", input="# mine\n0 3 * * * /usr/bin/true\n")
    assert mine.returncode == 0, mine.stderr
    assert gametime("cron", "install").returncode == 0
    result = gametime("cron", "install")
    assert result.returncode == 0, result.stderr
    lines = private_cron.lines()
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
    assert private_cron.lines() == ["# mine", "0 3 * * * /usr/bin/true"]
    assert json.loads(gametime("cron", "show", "--json").stdout)["installed"] is False
    assert [path.name for path in private_cron.spool.iterdir()] != []  # it went here
    private_cron.check_real_spool_unchanged()


PROBE_WORDS = ["100%", "it's", '"q"', "\\", "\\\\", "\\%", "a\\\\%b", "%%", "", " x ", "$HOME",
               "\u00e9\u2028\x85"]
"""Words cron_word must bring through this cron and sh as they are."""


@pytest.mark.slow  # waits for the next minute: up to about 70 s
@pytest.mark.browser
@pytest.mark.usefixtures("needs_browser")
def test_a_real_cron_daemon_books_for_an_awkward_data_home(tmp_path, private_cron, now):
    """A real cron daemon, even where one already runs (ours has a spool and a /run of
    its own), runs the installed line at the next minute. The data home and the gametime
    it runs have spaces, `%`, both quotes, backslashes and `$` in their paths: the run
    books a due booking at the sandbox site in a real Chromium and one at a simulated
    club, and appends to the cron log in that home. Beside it, a line of words that
    cron_word quoted comes through this cron and sh exactly."""
    private_cron.need_daemon()
    home = tmp_path / "data home 100% it's \"q\" \\\\ $HOME"
    program = tmp_path / "bin 5% 'a' \"b\" \\ $x" / "gametime"
    program.parent.mkdir()
    shutil.copy2(gametime_executable(), program)  # its #! still names this venv's python

    def gametime(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(program), *args], capture_output=True, text=True,
                              input=stdin, timeout=120,
                              env={**os.environ, "GAMETIME_HOME": str(home)})

    def status(booking: dict) -> str:
        return json.loads(gametime("show", str(booking["id"]), "--json").stdout)["status"]

    config = SandboxConfig(users=[replace(USER)], timezone="UTC", window_days=6,
                           opens_at=clock_time(9), seed=4)
    with SandboxSite(config) as site:
        assert gametime("club", "add", "sure", "--url", "simulate:?success=1", "--timezone",
                        "UTC", "--window-days", "7", "--opens-at", "00:00").returncode == 0
        assert gametime("club", "add", "sb", "--url", site.base_url,
                        "--accept-waiver", "--yes", "--timezone", "UTC",
                        "--window-days", "6", "--opens-at", "09:00").returncode == 0
        assert gametime("login", "--club", "sb", "--username", USER.username,
                        "--password-stdin", "--store", "file",
                        stdin=USER.password + "\n").returncode == 0
        day = (now + timedelta(days=1)).date().isoformat()  # open since days ago
        simulated = json.loads(gametime("book", day, "19:00", "--club", "sure",
                                        "--json").stdout)
        at_site = json.loads(gametime("book", day, "19:00", "--club", "sb", "--json").stdout)
        probe = tmp_path / "probe 5% 'x'"
        words = " ".join(cron_word(word) for word in ["printf", "%s\\0", *PROBE_WORDS])
        probe_line = f"* * * * * {words} > {cron_word(str(probe))}"
        assert private_cron.crontab("-", input=probe_line + "\n").returncode == 0
        installed = gametime("cron", "install")
        assert installed.returncode == 0, installed.stderr
        lines = private_cron.crontab("-l").stdout.split("\n")  # not splitlines: \u2028
        assert lines == [probe_line, installed.stdout.strip().removeprefix("Installed: "), ""]
        [entry] = ours(lines)
        assert json.loads(gametime("cron", "show", "--json").stdout)["entries"] == [entry]
        private_cron.start_daemon()
        try:
            deadline = time.monotonic() + 150
            while time.monotonic() < deadline and not (
                    probe.exists() and status(simulated) == status(at_site) == "confirmed"):
                time.sleep(1)
            assert private_cron.daemon_running()
        finally:
            private_cron.close()  # the daemon and any job still running
        log = home / CRON_LOG
        assert status(simulated) == "confirmed", log.read_text() if log.exists() else "no log"
        shown = json.loads(gametime("show", str(at_site["id"]), "--json").stdout)
        assert shown["status"] == "confirmed", log.read_text() if log.exists() else "no log"
        assert [str(b["confirmation"]) for b in site.bookings()] == [shown["confirmation"]]
    assert log.exists()
    assert probe.read_bytes().decode().split("\0")[:-1] == PROBE_WORDS
    private_cron.check_real_spool_unchanged()
