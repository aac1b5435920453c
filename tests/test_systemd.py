"""`gametime systemd install|remove`: the user service and timer."""

from __future__ import annotations


def test_install_writes_a_service_and_an_every_minute_timer(gametime, home, tmp_path):
    env = {"XDG_CONFIG_HOME": str(tmp_path / "config")}
    result = gametime("systemd", "install", "--no-enable", env=env)
    assert result.returncode == 0, result.stderr
    folder = tmp_path / "config" / "systemd" / "user"
    service = (folder / "gametime-run-pending.service").read_text()
    timer = (folder / "gametime-run-pending.timer").read_text()
    assert f"Environment=GAMETIME_HOME={home}" in service
    assert "ExecStart=" in service and service.rstrip().endswith("run-pending")
    for line in ("OnCalendar=*-*-* *:*:00", "AccuracySec=1s", "Persistent=true",
                 "WantedBy=timers.target"):
        assert line in timer.splitlines()
    removed = gametime("systemd", "remove", env=env)
    assert removed.stdout.strip() == "Removed 2 unit file(s)."
    assert list(folder.iterdir()) == []
