"""`gametime doctor`: one line per check, each failure with its fix, exit 0 only if all pass."""

from __future__ import annotations

import json

import pytest

from gametime_cli.sandbox import SandboxConfig, SandboxSite, SandboxUser

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("needs_browser")]


def prepare(gametime, site) -> None:
    assert gametime("club", "add", "sb", "--url", site.base_url, "--timezone", "UTC",
                    "--window-days", "6", "--opens-at", "09:00").returncode == 0
    assert gametime("login", "--club", "sb", "--username", "jo", "--password-stdin",
                    "--store", "file", input="pw\n", timeout=120).returncode == 0


@pytest.mark.usefixtures("private_cron")  # a crontab spool of the test's own
def test_all_green_exits_0(gametime):
    with SandboxSite(SandboxConfig(users=[SandboxUser("jo", "pw", 1, "J")])) as site:
        prepare(gametime, site)
        assert gametime("cron", "install").returncode == 0
        result = gametime("doctor", "--json", timeout=180)
    checks = {c["check"]: c for c in json.loads(result.stdout)}
    assert result.returncode == 0, checks
    assert set(checks) == {"browser", "data home", "database", "password of jo at sb",
                           "scheduler", "clock at sb"}
    assert "readable now and from cron (file)" in checks["password of jo at sb"]["detail"]


@pytest.mark.usefixtures("private_cron")  # a crontab spool of the test's own
def test_each_problem_is_a_red_line_with_its_fix(gametime, home):
    # The test's own crontab spool starts empty: no scheduler.
    config = SandboxConfig(users=[SandboxUser("jo", "pw", 1, "J")], clock_offset=4.0)
    with SandboxSite(config) as site:
        prepare(gametime, site)
        gametime("club", "add", "nobody", "--url", "https://127.0.0.1:9", "--timezone",
                 "UTC", "--window-days", "6", "--opens-at", "09:00")
        # A key others can read is refused (a loose database is just set back to 0600,
        # so it is no longer a problem for doctor to find; tests/test_data_home.py).
        (home / "credentials.key").chmod(0o644)
        result = gametime("doctor", timeout=180, env={"COLUMNS": "1000"})
    assert result.returncode == 3
    lines = result.stdout.splitlines()
    red = {line.split(":")[0][2:] for line in lines if line.startswith("✗")}
    assert red == {"key file", "password of jo at sb", "account at nobody", "scheduler",
                   "clock at nobody", "clock at sb"}
    assert all("— fix:" in line for line in lines if line.startswith("✗"))
    assert any(line.startswith("✓ browser") for line in lines)
