"""`gametime systemd install|remove`: the user service and timer."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from tests.schedule_syntax import read_service
from tests.support import run_in_process as gt


@pytest.fixture
def calls(tmp_path, monkeypatch):
    """The user's own systemd is never touched: the `systemctl` on PATH only notes its
    arguments, in the file returned; units go under tmp_path (XDG_CONFIG_HOME)."""
    noted = tmp_path / "systemctl-calls"
    shim = tmp_path / "bin"
    shim.mkdir()
    (shim / "systemctl").write_text(f'#!/bin/sh\necho "$*" >> "{noted}"\n')
    (shim / "systemctl").chmod(0o755)
    monkeypatch.setenv("PATH", f"{shim}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return noted


def test_install_writes_a_service_and_an_every_minute_timer(home, tmp_path, calls):
    result = gt("systemd", "install", "--no-enable")
    assert result.returncode == 0, result.stderr
    assert not calls.exists()  # --no-enable: the timer is written, not started
    folder = tmp_path / "config" / "systemd" / "user"
    service = (folder / "gametime-run-pending.service").read_text()
    timer = (folder / "gametime-run-pending.timer").read_text()
    assert f"Environment=GAMETIME_HOME={home}" in service
    assert "ExecStart=" in service and service.rstrip().endswith("run-pending")
    for line in ("OnCalendar=*-*-* *:*:00", "AccuracySec=1s", "Persistent=true",
                 "WantedBy=timers.target"):
        assert line in timer.splitlines()
    removed = gt("systemd", "remove")
    assert removed.stdout.strip() == "Removed 2 unit file(s)."
    assert list(folder.iterdir()) == []
    assert calls.read_text().splitlines() == [
        "--user disable --now gametime-run-pending.timer", "--user daemon-reload"]


@pytest.mark.slow  # systemd-analyze verify
def test_a_data_home_with_spaces_quotes_and_percents_is_set_exactly(tmp_path, monkeypatch,
                                                                    calls):
    """Environment= is quoted (systemd.syntax) with `%` as `%%` (specifiers): systemd
    reads back exactly this data home; `systemd-analyze verify`, where there is one,
    takes the units without a word. Never the user's systemd: a recording systemctl,
    the units under tmp_path."""
    home = tmp_path / "data home 100% %h it's \"q\" \\\\ $HOME ;"
    monkeypatch.setenv("GAMETIME_HOME", str(home))
    result = gt("systemd", "install")
    assert result.returncode == 0, result.stderr
    assert calls.read_text().splitlines() == [
        "--user daemon-reload", "--user enable --now gametime-run-pending.timer"]
    folder = tmp_path / "config" / "systemd" / "user"
    text = (folder / "gametime-run-pending.service").read_text(encoding="utf-8")
    assert 'Environment="GAMETIME_HOME=' in text and "100%% %%h it's" in text
    service = read_service(text)
    assert service.environment["GAMETIME_HOME"] == str(home)
    assert service.argv[-1] == "run-pending"
    assert home.is_dir()
    tool = shutil.which("systemd-analyze")
    if tool:
        done = subprocess.run([tool, "verify", "--man=no", *map(str, sorted(folder.iterdir()))],
                              capture_output=True, text=True, timeout=60)
        assert (done.returncode, done.stderr) == (0, ""), text
