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
        key = site.config.recaptcha_site_key
        assert gametime("cron", "install").returncode == 0
        result = gametime("doctor", "--json", timeout=180)
    checks = {c["check"]: c for c in json.loads(result.stdout)}
    assert result.returncode == 0, checks
    assert set(checks) == {"browser", "data home", "database", "password of jo at sb",
                           "scheduler", "clock at sb", *(f"{what} at sb" for what in SEEN)}
    assert "readable now and from cron (file)" in checks["password of jo at sb"]["detail"]
    # What the club's login page read of the browser: a player's Chromium.
    assert checks["navigator.webdriver at sb"]["detail"] == "false"
    agent = checks["User-Agent at sb"]["detail"]
    assert "Chrome/" in agent and "Headless" not in agent
    assert "Chromium" in checks["client hints at sb"]["detail"]
    assert checks["languages at sb"]["detail"] == "en-US, en; Accept-Language: en-US,en;q=0.9"
    assert checks["time zone at sb"]["detail"] == "UTC"
    assert checks["reCAPTCHA at sb"]["detail"] == (
        f"loaded on the login page, site key {key}")


SEEN = ("navigator.webdriver", "User-Agent", "client hints", "plugins", "languages",
        "time zone", "screen", "reCAPTCHA")


def test_the_headless_shell_is_shown_as_what_gives_it_away(gametime):
    """`--club` limits the clubs' checks to one; the lean browser fails its client
    hints and its plugins, and doctor says how to book with the full browser."""
    with SandboxSite(SandboxConfig(users=[SandboxUser("jo", "pw", 1, "J")])) as site, \
            SandboxSite(SandboxConfig(users=[SandboxUser("jo", "pw", 1, "J")])) as other:
        prepare(gametime, site)
        assert gametime("club", "add", "other", "--url", other.base_url, "--timezone",
                        "UTC", "--window-days", "6", "--opens-at", "09:00").returncode == 0
        assert gametime("config", "set", "browser_mode", "lean").returncode == 0
        result = gametime("doctor", "--json", "--club", "sb", timeout=180)
        unknown = gametime("doctor", "--club", "nowhere")
    checks = {c["check"]: c for c in json.loads(result.stdout)}
    assert result.returncode == 3
    assert not any(name.endswith(" at other") for name in checks)
    red = {name for name, c in checks.items() if not c["ok"] and name.endswith(" at sb")}
    assert red == {"client hints at sb", "plugins at sb", "languages at sb"}
    assert "HeadlessChrome" in checks["client hints at sb"]["detail"]
    assert "browser_mode headless" in checks["plugins at sb"]["fix"]
    assert checks["navigator.webdriver at sb"]["ok"]  # the flag works for the shell too
    assert (unknown.returncode, unknown.stderr.strip()) == (
        2, "gametime: error: no club named 'nowhere'; 'gametime club list' shows the clubs")


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
                   "clock at nobody", "clock at sb", "what nobody sees"}
    assert all("— fix:" in line for line in lines if line.startswith("✗"))
    assert any(line.startswith("✓ browser") for line in lines)
