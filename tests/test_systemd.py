"""`gametime systemd install|remove`: the user service and timer."""

from __future__ import annotations

import os

from tests.helpers import run_in_process as gt


def test_install_writes_a_service_and_an_every_minute_timer(home, tmp_path, monkeypatch):
    # The user's own systemd is never touched: `systemctl` here only notes its arguments.
    calls = tmp_path / "systemctl-calls"
    shim = tmp_path / "bin"
    shim.mkdir()
    (shim / "systemctl").write_text(f'#!/bin/sh\necho "$*" >> "{calls}"\n')
    (shim / "systemctl").chmod(0o755)
    monkeypatch.setenv("PATH", f"{shim}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
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
