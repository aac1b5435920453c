"""The docs' promises (docs/guide.md, docs/server.md, docs/how-it-works.md) about
setting up: notifications (`notify remove`, `notify test`), `login --no-verify` and the
hidden password prompt, `-vv` and the rotating log, `doctor` finding a systemd timer or
a running `watch`, and the order in which the browser is found. No network but
loopback; no browser is started here (see tests/test_promises_browser.py for the ones
that drive Chromium)."""

from __future__ import annotations

import json
import os
import select
import signal
import stat
import subprocess
import time
from datetime import timedelta
from pathlib import Path

import pytest

from gametime_cli.sandbox import SandboxConfig, SandboxSite, SandboxUser
from tests.support import gametime_executable

PASSWORD = "Marmot-Lantern-5821!"


def test_notify_test_reaches_every_notifier_and_remove_stops_one(cli, hook):
    """docs/guide.md (Commands): `gametime notify add URL|list|remove ID|test`; (Being
    told) `gametime notify test`."""
    for path in ("first", "second"):
        assert cli("notify", "add", hook.url(path)).exit_code == 0
    tested = cli("notify", "test")
    assert tested.exit_code == 0, tested.stderr
    assert tested.stdout.strip() == "Sent a test message to 2 notifier(s)."
    assert sorted(path for path, _ in hook.posts()) == ["/first", "/second"]
    assert {body["title"] for _, body in hook.posts()} == {"gametime-cli test"}

    removed = cli("notify", "remove", "1")
    assert removed.exit_code == 0, removed.stderr
    assert removed.stdout.strip() == "Removed notifier 1."
    assert json.loads(cli("notify", "list", "--json").stdout) == [
        {"id": 2, "url": hook.url("second")}]
    assert cli("notify", "test").exit_code == 0
    assert [path for path, _ in hook.posts()[2:]] == ["/second"]  # not /first any more

    assert cli("notify", "remove", "2").exit_code == 0
    none_left = cli("notify", "test")
    assert none_left.exit_code == 3 and "no notifiers" in none_left.stderr
    assert len(hook.posts()) == 3


# -- login -------------------------------------------------------------------------------


def test_login_no_verify_stores_the_password_without_asking_the_site(cli, home):
    """docs/server.md (Your password): "Unless `--no-verify`, the password is checked
    with the club's site first": with it, the site is not asked at all (here it would
    refuse the password)."""
    from gametime_cli.secrets.vault import Vault

    with SandboxSite(SandboxConfig(users=[SandboxUser("jo", "the-right-one", 7, "Jo")])) as site:
        assert cli("club", "add", "sb", "--url", site.base_url,
                   "--accept-waiver", "--yes", "--timezone", "UTC",
                   "--window-days", "6", "--opens-at", "09:00").exit_code == 0
        asked_before = len(site.requests())
        result = cli("login", "--club", "sb", "--username", "jo", "--password-stdin",
                     "--store", "file", "--no-verify", input=PASSWORD + "\n")
        asked = site.requests()[asked_before:]
    assert result.exit_code == 0, result.stderr
    assert "Saved the password of jo at sb encrypted in" in result.stdout
    assert asked == []  # no login page, no login POST: nothing asked of the site
    assert Vault(home).get("sb:jo") == PASSWORD
    assert json.loads(cli("accounts", "--json").stdout) == [
        {"club": "sb", "username": "jo", "store": "file"}]


def read_pty(fd: int, until: bytes | None, timeout: float) -> bytes:
    """Read from a pty's master side until `until` shows (or, for None, the other side is
    closed), within `timeout` seconds."""
    out = b""
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            break
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: every process on the slave side has closed it
            return out
        if not chunk:
            return out
        out += chunk
        if until is not None and until in out:
            return out
    if until is None:
        return out
    raise AssertionError(f"no {until!r} from the pty within {timeout} s: {out!r}")


def test_login_asks_for_the_password_with_hidden_input(cli, home):
    """docs/server.md (Your password): "`gametime login` asks for the password with
    hidden input": through a real terminal (a pty), the prompt comes, the typed password
    is not echoed, and it is saved."""
    import fcntl
    import pty
    import termios

    from gametime_cli.secrets.vault import Vault

    assert cli("club", "add", "sim", "--url", "simulate:?success=1", "--timezone", "UTC",
               "--window-days", "7", "--opens-at", "00:00").exit_code == 0
    master, slave = pty.openpty()

    def controlling_terminal() -> None:  # in the child, after setsid: the pty is its tty
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    process = subprocess.Popen(
        [gametime_executable(), "login", "--club", "sim", "--username", "jo",
         "--store", "file"],
        stdin=slave, stdout=slave, stderr=slave, start_new_session=True,
        preexec_fn=controlling_terminal, env={**os.environ, "GAMETIME_HOME": str(home)})
    os.close(slave)
    try:
        shown = read_pty(master, b"Password: ", 30)
        os.write(master, PASSWORD.encode() + b"\n")
        shown += read_pty(master, None, 30)
        code = process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        os.close(master)
    text = shown.decode("utf-8", "replace")
    assert code == 0, text
    assert PASSWORD not in text and "*" * len(PASSWORD) not in text
    assert "Saved the password of jo at sim encrypted in" in text
    assert Vault(home).get("sim:jo") == PASSWORD


# -- logging -----------------------------------------------------------------------------


def add_simulated(cli, url: str = "simulate:?success=1&seed=3") -> None:
    assert cli("club", "add", "sim", "--url", url, "--timezone", "UTC",
               "--window-days", "7", "--opens-at", "00:00").exit_code == 0


def book_tomorrow(cli, now, at: str) -> None:
    day = (now + timedelta(days=1)).date().isoformat()
    result = cli("book", day, at, "--club", "sim")
    assert result.exit_code == 0, result.stderr


def test_vv_shows_everything_v_only_more(cli, now, monkeypatch, home):
    """docs/guide.md (Commands): "Every command takes `-v` (more on stderr, `-vv` for
    everything)": a site driver that breaks is one warning line with -v; -vv adds its
    trace."""
    from gametime_cli.sites.simulated import SimulatedSite

    def broken(self, request, court):
        raise RuntimeError("the simulated driver broke")

    monkeypatch.setattr(SimulatedSite, "book_court", broken)
    add_simulated(cli)
    book_tomorrow(cli, now, "19:00")
    more = cli("-v", "run-pending", "--max-wait", "0")
    assert cli("cancel", "1").exit_code == 0  # its retry, seconds away, is not waited for
    book_tomorrow(cli, now, "20:00")
    everything = cli("-vv", "run-pending", "--max-wait", "0")
    assert more.exit_code == everything.exit_code == 0
    for result, booking in ((more, 1), (everything, 2)):
        assert (f"gametime: booking {booking}: the site driver failed: "
                "the simulated driver broke") in result.stderr
        assert f"gametime: booking {booking} attempt 1: transient" in result.stderr
    assert "Traceback" not in more.stderr
    assert "Traceback (most recent call last)" in everything.stderr
    assert "RuntimeError: the simulated driver broke" in everything.stderr
    # The trace is in the log whatever the verbosity: the run with -v left it there too.
    kept = (home / "gametime.log").read_text()
    assert kept.count("RuntimeError: the simulated driver broke") == 2


def fill_log(path: Path, marker: str, size: int) -> None:
    """Append lines to the log until it is `size` bytes, the first naming `marker`."""
    have = path.stat().st_size if path.exists() else 0
    line = f"{marker} ".ljust(99, "x") + "\n"
    lines, rest = divmod(size - have, len(line))
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(line * lines + "y" * (rest - 1) + "\n" if rest else line * lines)
    assert path.stat().st_size == size


def test_the_log_rotates_at_1_mb_and_keeps_3(cli, home, now):
    """docs/guide.md (Commands): every command "logs to a rotating `gametime.log` in the
    data home (1 MB, 3 kept, 0600 …)"."""
    add_simulated(cli)
    log = home / "gametime.log"
    book_tomorrow(cli, now, "06:00")
    assert cli("run-pending", "--max-wait", "0").exit_code == 0
    fill_log(log, "under-1-MB", 990_000)
    book_tomorrow(cli, now, "07:00")
    assert cli("run-pending", "--max-wait", "0").exit_code == 0
    assert not (home / "gametime.log.1").exists()  # under 1 MB: not rotated yet
    for round_ in range(1, 6):
        fill_log(log, f"round-{round_}", 999_990)  # the next line takes it past 1 MB
        book_tomorrow(cli, now, f"{8 + round_:02d}:00")
        assert cli("run-pending", "--max-wait", "0").exit_code == 0
    logs = sorted(p.name for p in home.iterdir() if p.name.startswith("gametime.log"))
    assert logs == ["gametime.log", "gametime.log.1", "gametime.log.2", "gametime.log.3"]
    for number, round_ in ((1, 5), (2, 4), (3, 3)):  # newest first, the oldest dropped
        kept = home / f"gametime.log.{number}"
        markers = {line.split()[0] for line in kept.read_text().splitlines()
                   if line.startswith(("round-", "under-1-MB"))}
        assert markers == {f"round-{round_}"}, (number, markers)
        assert 999_990 <= kept.stat().st_size <= 1_000_000
    assert "booking 7 attempt 1: confirmed" in log.read_text()
    assert log.stat().st_size < 1000
    for name in logs:
        assert stat.S_IMODE((home / name).stat().st_mode) == 0o600


# -- doctor: the scheduler ---------------------------------------------------------------


@pytest.fixture
def scheduler_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, private_cron) -> Path:
    """Doctor's view of the scheduler, kept to the test: user units under the test's own
    XDG_CONFIG_HOME, a crontab spool of its own that starts empty (private_cron: the real
    user's crontab is never read), and no browser to start (its check fails at once, in
    red)."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("GAMETIME_BROWSER", str(tmp_path / "no-browser"))
    return tmp_path / "config" / "systemd" / "user"


def scheduler_check(cli) -> dict:
    result = cli("doctor", "--json")
    assert result.exit_code == 3, result.stderr  # the browser is red on purpose
    checks = {c["check"]: c for c in json.loads(result.stdout)}
    assert not checks["browser"]["ok"]
    return checks["scheduler"]


def test_doctor_finds_the_systemd_timer(cli, scheduler_env):
    """docs/server.md (Cron, systemd and doctor): doctor checks that "the crontab entry,
    the systemd timer or a running `watch` is there"; `gametime systemd install` writes
    the user timer."""
    installed = cli("systemd", "install", "--no-enable")
    assert installed.exit_code == 0, installed.stderr
    assert (scheduler_env / "gametime-run-pending.timer").is_file()
    after = scheduler_check(cli)
    assert after["ok"], after
    assert after["detail"] == "the systemd user timer gametime-run-pending.timer is installed"


@pytest.mark.slow  # starts `watch`
def test_doctor_finds_a_running_watch(cli, home, scheduler_env):
    """docs/server.md (Cron, systemd and doctor): doctor checks that "the crontab entry,
    the systemd timer or a running `watch` is there"."""
    assert cli("list").exit_code == 0  # the data home and its database
    errors = home.parent / "watch.err"
    with open(errors, "w") as err:
        watch = subprocess.Popen([gametime_executable(), "watch", "--json"],
                                 stdout=subprocess.PIPE, stderr=err, text=True,
                                 env={**os.environ, "GAMETIME_HOME": str(home)})
    try:
        ready, _, _ = select.select([watch.stdout], [], [], 30)
        assert ready, errors.read_text()
        assert json.loads(watch.stdout.readline())["event"] == "started", errors.read_text()
        running = scheduler_check(cli)
        assert running["ok"], running
        assert running["detail"] == f"gametime watch is running (pid {watch.pid})"
        watch.send_signal(signal.SIGTERM)
        assert watch.wait(timeout=30) == 130, errors.read_text()
    finally:
        if watch.poll() is None:
            watch.kill()
            watch.wait(timeout=10)
        watch.stdout.close()
    stopped = scheduler_check(cli)
    assert (stopped["ok"], stopped["detail"]) == (False, "nothing runs run-pending")


# -- the browser, as found ---------------------------------------------------------------


def fake_executable(folder: Path, name: str) -> Path:
    """A stand-in for a browser: discovery only checks it is there and executable."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(0o755)
    return path


NAMES_ON_PATH = ("chromium-headless-shell", "chromium", "chromium-browser", "google-chrome")


def test_gametime_browser_then_the_browser_setting_come_first(cli, tmp_path, monkeypatch):
    """docs/how-it-works.md (How a booking is made): "The browser: `GAMETIME_BROWSER` or
    the `browser` setting names an executable; otherwise …" (docs/guide.md, Settings,
    the setting: "empty: `GAMETIME_BROWSER`, Playwright's, `PATH`"): the variable
    first, then the setting, each before anything on PATH."""
    from gametime_cli.errors import EnvironmentProblem
    from gametime_cli.settings import Settings
    from gametime_cli.sites.browser import BrowserMode, find_browser
    from gametime_cli.store import Store

    on_path = tmp_path / "bin"
    for name in NAMES_ON_PATH:
        fake_executable(on_path, name)
    named = fake_executable(tmp_path / "named", "my-chromium")
    configured = fake_executable(tmp_path / "configured", "our-chromium")
    monkeypatch.setenv("PATH", str(on_path))
    assert cli("config", "set", "browser", str(configured)).exit_code == 0
    setting = Settings(Store.open().settings()).browser
    assert setting == str(configured)

    monkeypatch.setenv("GAMETIME_BROWSER", str(named))
    assert find_browser(setting) == str(named)
    assert find_browser(setting, BrowserMode.HEADED) == str(named)
    assert find_browser(setting, BrowserMode.LEAN) == str(named)
    monkeypatch.setenv("GAMETIME_BROWSER", "chromium-browser")  # a name, found on PATH
    assert find_browser(setting) == str(on_path / "chromium-browser")
    monkeypatch.setenv("GAMETIME_BROWSER", "")
    assert find_browser(setting) == str(configured)
    assert find_browser(setting, BrowserMode.HEADED) == str(configured)
    # A name that is no executable is an error, not a step on to the next place.
    monkeypatch.setenv("GAMETIME_BROWSER", str(tmp_path / "missing"))
    with pytest.raises(EnvironmentProblem, match="GAMETIME_BROWSER names"):
        find_browser(setting)


@pytest.mark.slow  # asks Playwright (its driver process) where its Chromium is, 7 times
def test_then_playwrights_own_then_path_in_order(tmp_path, monkeypatch):
    """docs/how-it-works.md (How a booking is made): otherwise "Playwright's own Chromium
    if `playwright install chromium` put it there, then on `PATH` `chromium`,
    `chromium-browser` or `google-chrome` (with `browser_mode lean`,
    `chromium-headless-shell`). With none, the run says how to get one". Discovery
    only: the stand-ins are never started."""
    from playwright.sync_api import sync_playwright

    from gametime_cli.errors import EnvironmentProblem
    from gametime_cli.sites.browser import NO_BROWSER, NO_SHELL, BrowserMode, find_browser

    on_path = tmp_path / "bin"
    monkeypatch.setenv("PATH", str(on_path))
    monkeypatch.setenv("GAMETIME_BROWSER", "")
    monkeypatch.setenv("PLAYWRIGHT_BROWSERS_PATH", str(tmp_path / "ms-playwright"))
    for name in NAMES_ON_PATH:
        fake_executable(on_path, name)

    # The full browser by default, headless or headed; the shell only when asked for.
    assert find_browser() == str(on_path / "chromium")
    assert find_browser(mode=BrowserMode.HEADED) == str(on_path / "chromium")
    assert find_browser(mode=BrowserMode.LEAN) == str(on_path / "chromium-headless-shell")
    (on_path / "chromium-headless-shell").unlink()
    with pytest.raises(EnvironmentProblem) as no_shell:
        find_browser(mode=BrowserMode.LEAN)
    assert str(no_shell.value) == NO_SHELL and "apt-get install chromium-headless-shell" in NO_SHELL
    for gone, then in (("chromium", "chromium-browser"),
                       ("chromium-browser", "google-chrome")):
        (on_path / gone).unlink()
        assert find_browser() == str(on_path / then), gone
    (on_path / "google-chrome").unlink()
    with pytest.raises(EnvironmentProblem) as none:
        find_browser()
    assert str(none.value) == NO_BROWSER
    assert "apt-get install chromium" in NO_BROWSER and "playwright install" in NO_BROWSER

    # Playwright's own, where `playwright install chromium` puts it, comes before PATH.
    for name in NAMES_ON_PATH:
        fake_executable(on_path, name)
    with sync_playwright() as pw:
        own = Path(pw.chromium.executable_path)
    assert own.is_relative_to(tmp_path / "ms-playwright")
    fake_executable(own.parent, own.name)
    assert find_browser() == str(own)
    assert find_browser(mode=BrowserMode.HEADED) == str(own)
    assert find_browser(mode=BrowserMode.LEAN) == str(on_path / "chromium-headless-shell")
