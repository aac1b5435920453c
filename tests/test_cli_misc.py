"""The command as a whole: module entry point, version, help, settings, the demo."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest


@pytest.mark.slow  # a fresh interpreter
def test_python_dash_m_runs_the_same_command(home):
    env = {**os.environ, "GAMETIME_HOME": str(home)}
    result = subprocess.run([sys.executable, "-m", "gametime_cli", "list", "--json"],
                            capture_output=True, text=True, env=env, timeout=30)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []


def test_version_and_help(gametime):
    version = gametime("--version")
    assert version.returncode == 0 and version.stdout.startswith("gametime-cli ")
    helped = gametime("--help")
    assert helped.returncode == 0
    for command in ("book", "list", "show", "cancel", "run-pending", "club", "config", "demo"):
        assert command in helped.stdout


def test_unknown_command_is_one_line_exit_2(gametime):
    result = gametime("bogus")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "gametime: error: No such command 'bogus'. (see 'gametime --help')"
    ]


def test_settings_round_trip_and_bad_values(cli):
    assert cli("config", "set", "max_attempts", "5").exit_code == 0
    values = json.loads(cli("config", "list", "--json").stdout)
    assert values["max_attempts"] == 5 and values["retry_base"] == 2.0
    for args in (["max_attempts", "0"], ["max_attempts", "many"], ["nonsense", "1"]):
        bad = cli("config", "set", *args)
        assert bad.exit_code == 2, args
        assert len(bad.stderr.strip().splitlines()) == 1
    assert cli("config", "unset", "max_attempts").exit_code == 0
    assert json.loads(cli("config", "list", "--json").stdout)["max_attempts"] == 3


@pytest.mark.browser
@pytest.mark.usefixtures("needs_browser")
def test_demo_books_a_busy_evening_and_cleans_up(gametime, home):
    result = gametime("demo", timeout=120)
    assert result.returncode == 0, result.stderr
    # Court 1 is taken, so the fallback shows; the site holds the booking once.
    assert "Confirmed on court 2: confirmation" in result.stdout
    assert "(the site holds it 1 time(s))" in result.stdout
    assert not home.exists(), "the demo runs in a temporary home of its own"
