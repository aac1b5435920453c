"""Every test gets its own data home; nothing touches the real one."""

from __future__ import annotations

import json
import os
import subprocess
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.support import (
    ClubSite,
    Hook,
    add_club,
    debian,
    gametime_executable,
    import_or_missing,
    invoke_app,
    missing_part,
    pin_clock,
)
from tests.support import login as log_in

if TYPE_CHECKING:
    from gametime_cli.sandbox import SandboxSite, SandboxUser
    from tests.namespaces import PrivateCron


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    from gametime_cli.secrets import environment as secrets_env

    # A secret an earlier test's in-process run withheld from the environment is not
    # this test's: each starts with none kept.
    monkeypatch.setattr(secrets_env, "_withheld", {})
    path = tmp_path / "home"
    monkeypatch.setenv("GAMETIME_HOME", str(path))
    monkeypatch.delenv("GAMETIME_DEBUG", raising=False)
    monkeypatch.delenv("GAMETIME_NOW", raising=False)  # only tests that ask pin the clock
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "200")
    return path


@pytest.fixture
def now() -> datetime:
    """The test's one instant, in UTC, taken once: build the club, its window and every
    date the test expects from it, never from another reading of the clock."""
    return datetime.now(UTC)


@pytest.fixture
def opening(now: datetime) -> datetime:
    """An hour before the test's instant: a sandbox site and its club open their days at
    this time of day (UTC), so a day opens an hour ago, or 23 hours from now, at any hour."""
    return (now - timedelta(hours=1)).replace(microsecond=0)


@pytest.fixture
def day(now: datetime) -> date:
    """The day the browser tests book: tomorrow at the test's instant, open long since
    (with a 6-day window), and its evening still ahead even past midnight."""
    return now.date() + timedelta(days=1)


@pytest.fixture
def pinned_now(now: datetime, monkeypatch: pytest.MonkeyPatch) -> datetime:
    """The test's instant, which is also where the clock of every command it runs
    starts (GAMETIME_NOW, in-process and installed): a command sees it plus the few
    seconds it takes. Never in the last minute of an hour, so no test crosses midnight
    (in any zone) or a whole-hour opening while it runs; test_fixed_instants.py pins the
    last seconds before midnight on purpose."""
    instant = now - timedelta(minutes=1) if now.minute == 59 else now
    pin_clock(monkeypatch, instant)
    return instant


@pytest.fixture
def gametime(home: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run the installed `gametime` command in the test's home."""
    exe = gametime_executable()

    def run(*args: str, timeout: float = 60, **kwargs) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "GAMETIME_HOME": str(home), **kwargs.pop("env", {})}
        return subprocess.run(
            [exe, *args], capture_output=True, text=True, timeout=timeout, env=env, **kwargs
        )

    return run


@pytest.fixture
def cli(home: Path) -> Callable[..., object]:
    """Invoke the Typer app in-process (CliRunner), stderr kept apart."""
    def invoke(*args: str, input: str | None = None):
        return invoke_app(list(args), input=input)

    return invoke


@pytest.fixture
def sim_club(cli, pinned_now) -> str:
    """A UTC club whose days open two days ahead at 08:00; every command of the test
    reads the clock at the test's one instant (`pinned_now`)."""
    result = cli("club", "add", "sim", "--url", "simulate:?seed=1", "--timezone", "UTC",
                 "--window-days", "2", "--opens-at", "08:00")
    assert result.exit_code == 0, result.stderr
    return "sim"


@pytest.fixture
def make_site() -> Iterator[Callable[..., SandboxSite]]:
    """Start sandbox sites with config overrides (seed 7 unless given); all stopped at
    the end of the test."""
    from gametime_cli.sandbox import SandboxConfig, SandboxSite

    with ExitStack() as stack:
        def make(**options: object) -> SandboxSite:
            return stack.enter_context(SandboxSite(SandboxConfig(**{"seed": 7, **options})))

        yield make


@pytest.fixture
def club_site(gametime, make_site) -> Callable[..., ClubSite]:
    """Make a sandbox site (make_site's config options) whose members are `user` and any
    `others`, add it as club `name` (`--accept-waiver --yes` unless `accept_waiver` is
    false; the site's timezone and opening, and its window unless `club_window_days`
    gives the club another) and log `user` in (`--store file`); stopped at the end of
    the test."""

    def make(user: SandboxUser, *, name: str = "sb", verify: bool = True,
             login_timeout: float | None = None, others: Sequence[SandboxUser] = (),
             accept_waiver: bool = True, club_window_days: int | None = None,
             **options: object) -> ClubSite:
        site = make_site(users=[replace(user), *(replace(other) for other in others)],
                         **options)
        config = site.config
        window_days = config.window_days if club_window_days is None else club_window_days
        add_club(gametime, name, site.base_url, timezone=config.timezone,
                 window_days=window_days, opens_at=config.opens_at.strftime("%H:%M:%S"),
                 accept_waiver=accept_waiver)
        login = log_in(gametime, name, user.username, user.password, verify=verify,
                       timeout=login_timeout)
        return ClubSite(site, name, login)

    return make


@pytest.fixture
def make_simple_site() -> Iterator[Callable[..., SandboxSite]]:
    """Start sandbox sites of the older, simpler kind (`SandboxConfig.simple`) with
    config overrides (seed 7): for tests of one recorded behaviour at a time."""
    from gametime_cli.sandbox import SandboxConfig, SandboxSite

    with ExitStack() as stack:
        def make(**options: object) -> SandboxSite:
            return stack.enter_context(SandboxSite(SandboxConfig.simple(seed=7, **options)))

        yield make


@pytest.fixture
def needs_browser() -> str:
    """The Chromium the command itself would drive (find_browser: GAMETIME_BROWSER, then
    Playwright's own, then PATH); missing_part where there is none."""
    from gametime_cli.errors import EnvironmentProblem
    from gametime_cli.sites.browser import find_browser

    try:
        return find_browser()
    except EnvironmentProblem as exc:
        missing_part(f"a Chromium for the browser tests ({exc})",
                     debian("chromium-headless-shell", "chromium"))


@pytest.fixture
def private_cron(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[PrivateCron]:
    """A crontab spool of the test's own, bind-mounted over cron's in a private mount
    namespace, with `crontab` on PATH going there: every `gametime cron ...` the test
    runs, and a cron daemon it starts with `.start_daemon()`, use it and never the real
    one. The real spool is checked unchanged at the end. See tests/namespaces.py."""
    from tests.namespaces import PrivateCron

    cron = PrivateCron.open(tmp_path / "private-cron")
    try:
        monkeypatch.setenv("PATH", f"{cron.bin_dir}{os.pathsep}{os.environ['PATH']}")
        yield cron
    finally:
        cron.close()
    cron.check_real_spool_unchanged()


@pytest.fixture
def hook() -> Iterator[Hook]:
    """A loopback server of the test's own that apprise's json:// notifiers post to."""
    import_or_missing("apprise")
    server: ThreadingHTTPServer | None = None

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with found.lock:
                found.received.append((self.path, json.loads(body)))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    found = Hook(server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield found
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)
