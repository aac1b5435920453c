"""Everyday conventions: the log file, -v and -q, completion, NO_COLOR."""

from __future__ import annotations

import stat

import pytest

from tests.support import run_in_process as gt


@pytest.mark.slow  # the installed command, several times
def test_a_run_logs_to_a_private_file_and_v_q_steer_stderr(gametime, home):
    gt("club", "add", "sim", "--url", "simulate:?success=1&seed=1", "--timezone", "UTC",
             "--window-days", "7", "--opens-at", "00:00")
    gt("book", "tomorrow", "19:00", "--club", "sim")
    gt("book", "tomorrow", "20:00", "--club", "sim")
    loud = gametime("-v", "run-pending", "--max-wait", "0")
    assert loud.returncode == 0
    assert "gametime: booking 1 attempt 1: confirmed" in loud.stderr
    log = home / "gametime.log"
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    assert "booking 1 attempt 1: confirmed court" in log.read_text()
    gt("book", "tomorrow", "21:00", "--club", "sim")
    quiet = gametime("-q", "run-pending", "--max-wait", "0")
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, "", "")
    assert "booking 3 attempt 1: confirmed" in log.read_text()


@pytest.mark.slow  # the installed command, several times
def test_an_idle_tick_writes_no_log(gametime, home):
    gametime("list")
    assert gametime("run-pending").stdout == ""
    assert not (home / "gametime.log").exists()


@pytest.mark.slow  # the installed command, several times
def test_completion_and_colour(gametime):
    assert "--install-completion" in gametime("--help").stdout
    gt("club", "add", "sim", "--url", "simulate:", "--timezone", "UTC",
             "--window-days", "7", "--opens-at", "00:00")
    gt("book", "tomorrow", "19:00", "--club", "sim")
    coloured = gametime("list", env={"FORCE_COLOR": "1", "NO_COLOR": ""})
    plain = gametime("list", env={"FORCE_COLOR": "1", "NO_COLOR": "1"})
    assert "\x1b[33m" in coloured.stdout  # pending, in yellow
    assert "\x1b[33m" not in plain.stdout
