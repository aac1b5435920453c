"""The crontab line and the systemd units for any data home, command or browser path
(issue 11): read back as cron, sh and systemd read them (tests/schedule_syntax.py, the
real /bin/sh, `systemd-analyze verify` where there is one) they give exactly the paths
they were made from; a path with a control character is refused (exit 3) before
anything is written. tests/test_cron.py has a real cron daemon run such a line."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from gametime_cli.errors import EnvironmentProblem, ExitCode
from gametime_cli.system import crontab, systemd
from tests.schedule_syntax import (
    ModelError,
    cron_reads,
    read_service,
    runs,
    sh_words,
)
from tests.support import run_in_process as gt

CONTROL = [chr(code) for code in [*range(0x20), 0x7F]]
AWKWARD = list("%'\"\\$ `;&|*?~#=:!{}[]()<>@+,-.")
TEXT = st.text(st.one_of(st.sampled_from(AWKWARD),
                         st.characters(codec="utf-8", exclude_characters=CONTROL)),
               max_size=40)
NAME = TEXT.filter(lambda name: name.strip(".") != "" and "/" not in name)
"""A file name: not empty, `.` or `..`, no `/`; at most 160 bytes of UTF-8."""
SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])
CRONS = {"debian": True, "cronie": False}
"""cron_reads' collapses_backslashes for each cron."""

FAKE_GAMETIME = """#!/bin/sh
printf '%s\\0' "$0" "$@" "$GAMETIME_HOME" "$PATH"
"""
"""Stands in for gametime in the line: writes what it was run with to the cron log."""


@pytest.mark.parametrize(("written", "debian_gave"), [
    # What Debian's cron (3.0pl1-162) handed sh for these, seen through a real cron
    # daemon in a private namespace; a lone `\\%` would end the command.
    ("\\%", "%"), ("\\\\\\%", "\\%"), ("\\\\\\\\\\%", "\\\\%"), ("\\x\\%", "\\x%"),
    ("a\\\\\\%z", "a\\%z"), ("\\\\x\\%", "\\x%"), ("\\%\\%", "%%"),
])
def test_the_cron_model_agrees_with_what_debian_cron_did(written, debian_gave):
    assert cron_reads(written, collapses_backslashes=True) == debian_gave
    for cut in ("\\\\%", "\\x%", "%"):
        with pytest.raises(ModelError):
            cron_reads(cut, collapses_backslashes=True)


@SETTINGS
@given(words=st.lists(TEXT, max_size=6))
@example(words=["100%", "it's", '"q"', "\\", "\\\\", "\\%", "a\\\\%b", "%%", "", " ", "$HOME"])
def test_cron_words_reach_sh_exactly(words):
    """Whatever cron does with backslashes (Debian's collapses `\\\\`, cronie's doesn't),
    sh gets exactly these words: no `%` cron would cut at, no newline."""
    command = " ".join(crontab.cron_word(word) for word in words)
    for collapses in CRONS.values():
        assert sh_words(cron_reads(command, collapses_backslashes=collapses)) == words


@pytest.mark.slow  # runs sh or systemd-analyze for each generated path
@SETTINGS
@given(home=NAME, program_dir=NAME, browser_dir=NAME)
@example(home="data home 100% it's \"q\" \\\\ $x", program_dir="bin 5% 'a' \\", browser_dir="b:%")
def test_the_crontab_line_runs_the_command_in_the_data_home(home, program_dir, browser_dir):
    """The whole line, read as cron and then sh read it, runs this gametime with this
    data home and PATH and appends to the cron log in that home."""
    with tempfile.TemporaryDirectory() as base:
        home_path = Path(base) / "h" / home
        program = Path(base) / "p" / program_dir / "gametime"
        browser = str(Path(base) / "b" / browser_dir / "chromium")
        home_path.mkdir(parents=True)
        program.parent.mkdir(parents=True)
        program.write_text(FAKE_GAMETIME)
        program.chmod(0o755)
        with mock.patch.object(crontab, "gametime_command", return_value=[str(program)]):
            line = crontab.entry(home_path, browser)
        assert "\n" not in line and line.startswith("* * * * * ")
        assert crontab.ours([line]) == [line]
        command = line.removeprefix("* * * * * ")
        for cron, collapses in CRONS.items():
            log = home_path / crontab.CRON_LOG
            log.unlink(missing_ok=True)
            done = subprocess.run(["/bin/sh", "-c", cron_reads(command,
                                                               collapses_backslashes=collapses)],
                                  capture_output=True, timeout=30, cwd=base)
            assert done.returncode == 0 and done.stderr == b"", (cron, done)
            ran = log.read_bytes().decode().split("\0")[:-1]
            assert ran == [str(program), "run-pending", str(home_path),
                           crontab.scheduler_path(browser)], cron


@pytest.mark.slow  # runs sh or systemd-analyze for each generated path
@settings(SETTINGS, max_examples=30)  # systemd-analyze takes ~80 ms a run
@given(home=NAME, program_dir=NAME, browser_dir=NAME, python_module=st.booleans())
@example(home="data home 100% it's \"q\" \\\\ $x %h", program_dir="bin", browser_dir="b",
         python_module=False)
@example(home="h", program_dir="bin 5% 'a' \"b\" \\ $y", browser_dir="%%",
         python_module=True)
def test_the_service_runs_the_command_in_the_data_home(home, program_dir, browser_dir,
                                                      python_module):
    """Read as systemd reads it, the service sets exactly this data home and PATH and
    runs exactly this command; `systemd-analyze verify` (where there is one) takes the
    units without a word, the program included."""
    with tempfile.TemporaryDirectory() as base:
        program = Path(base) / "p" / program_dir / ("python3" if python_module else "gametime")
        command = [str(program), "-m", "gametime_cli"] if python_module else [str(program)]
        browser = str(Path(base) / "b" / browser_dir / "chromium")
        home_path = Path(base) / "h" / home
        program.parent.mkdir(parents=True)
        program.write_text("#!/bin/sh\n")
        program.chmod(0o755)
        with mock.patch.object(crontab, "gametime_command", return_value=command):
            units = systemd.units(home_path, browser)
        service = read_service(units[f"{systemd.UNIT}.service"])
        assert service.environment == {"GAMETIME_HOME": str(home_path),
                                       "PATH": crontab.scheduler_path(browser)}
        assert runs(service) == [*command, "run-pending"]
        verify(Path(base) / "units", units)


def verify(folder: Path, units: dict[str, str]) -> None:
    """`systemd-analyze verify` on the units, where the tool is (it checks the program
    exists and is executable too): no complaint at all."""
    tool = shutil.which("systemd-analyze")
    if tool is None:
        return  # read_service has read them by systemd's rules
    folder.mkdir()
    for name, text in units.items():
        (folder / name).write_text(text, encoding="utf-8")
    done = subprocess.run([tool, "verify", "--man=no", *(str(folder / n) for n in units)],
                          capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stderr) == (0, ""), units


@pytest.mark.parametrize("control", ["\n", "\r", "\t", "\x00", "\x1b", "\x7f"])
def test_a_path_with_a_control_character_is_refused(control, tmp_path):
    home = tmp_path / f"a{control}b"
    for make in (crontab.entry, systemd.units):
        with pytest.raises(EnvironmentProblem, match="GAMETIME_HOME"):
            make(home, None)
        with pytest.raises(EnvironmentProblem, match="GAMETIME_BROWSER"):
            make(tmp_path, f"/opt/x{control}/chromium")
        with mock.patch.object(crontab, "gametime_command",
                               return_value=[f"/opt/{control}/gametime"]), \
                pytest.raises(EnvironmentProblem, match="install gametime-cli in"):
            make(tmp_path, None)


@pytest.fixture
def recording(tmp_path, monkeypatch) -> Path:
    """`crontab` and `systemctl` on PATH that only note that they ran; units go under
    tmp_path (XDG_CONFIG_HOME): nothing reaches the user's crontab or systemd."""
    calls = tmp_path / "calls"
    shims = tmp_path / "shims"
    shims.mkdir()
    for name in ("crontab", "systemctl"):
        (shims / name).write_text(f'#!/bin/sh\necho "{name} $*" >> "{calls}"\n')
        (shims / name).chmod(0o755)
    monkeypatch.setenv("PATH", f"{shims}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return calls


@pytest.mark.parametrize("home_name", ["two\nlines", "tab\there", "esc\x1b[0m", "del\x7f",
                                       "not-utf8-\udcff"])
@pytest.mark.parametrize("command", [("cron", "install"), ("systemd", "install")])
def test_install_refuses_such_a_data_home_and_changes_nothing(home_name, command, tmp_path,
                                                              recording, monkeypatch):
    """Exit 3 (the data home comes from the environment, GAMETIME_HOME; the command line
    is fine), one line saying which path and how to fix it; no crontab or systemctl
    run, no unit written, the data home not created."""
    home = tmp_path / home_name
    monkeypatch.setenv("GAMETIME_HOME", str(home))
    result = gt(*command)
    assert result.returncode == ExitCode.ENVIRONMENT, result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("gametime: error: the data home ")
    assert "set GAMETIME_HOME to another folder" in line
    assert not recording.exists()
    assert not (tmp_path / "config").exists()
    assert not os.path.lexists(home)
