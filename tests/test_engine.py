"""Several accounts in one run: one browser, a context per account, in any mix of
bookings due now and openings within the lookahead, with run-pending and with watch.
Real Chromium against sandbox sites; every date comes from one instant taken once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gametime_cli.sandbox import SandboxConfig, SandboxSite, SandboxUser
from tests import support as shared
from tests.support import gametime_executable

pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.usefixtures("needs_browser")]

ALICE = SandboxUser("alice", "pw-alice-1", 5001, "Alice, Player")
BOB = SandboxUser("bob", "pw-bob-2", 5002, "Bob, Player")
CAROL = SandboxUser("carol", "pw-carol-3", 5003, "Carol, Player")


def users(*which: SandboxUser) -> list[SandboxUser]:
    return [SandboxUser(u.username, u.password, u.user_id, u.name) for u in which]


def open_site(*members: SandboxUser) -> SandboxSite:
    """A site whose window is open for the next days at any hour: 7 days at midnight."""
    return SandboxSite(SandboxConfig(users=users(*members), timezone="UTC", window_days=7,
                                     opens_at=datetime.min.time(), seed=11))


def opening_site(t0: datetime, *members: SandboxUser) -> SandboxSite:
    """A site whose window for the day after `t0` opens at `t0` (UTC, whole second)."""
    return SandboxSite(SandboxConfig(users=users(*members), timezone="UTC", window_days=1,
                                     opens_at=t0.time(), seed=12))


def add_club(gametime, name: str, site: SandboxSite, *members: SandboxUser) -> None:
    config = site.config
    shared.add_club(gametime, name, site.base_url, window_days=config.window_days,
                    opens_at=config.opens_at.isoformat())
    for member in members:
        shared.login(gametime, name, member.username, member.password, verify=False)


def book(gametime, club: str, day: str, at: str, account: str, *extra: str) -> int:
    return shared.book(gametime, day, at, *extra, club=club, account=account)


show = shared.show


def players(site: SandboxSite) -> dict[str, list[int]]:
    """Each booking on the site by confirmation, with its players' user ids."""
    return {str(b["confirmation"]): [p["u"] for p in b["players"]] for b in site.bookings()}


def test_two_accounts_due_now_book_in_one_run_each_as_itself(gametime):
    now = datetime.now(UTC)
    day = (now + timedelta(days=2)).date().isoformat()
    with open_site(ALICE, BOB) as site:
        add_club(gametime, "sb", site, ALICE, BOB)
        mine = book(gametime, "sb", day, "19:00", "alice", "--court", "1")
        theirs = book(gametime, "sb", day, "19:00", "bob", "--court", "2")
        result = gametime("run-pending", "--json", timeout=180)
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr
        report = {b["id"]: b["status"] for b in json.loads(result.stdout)["bookings"]}
        assert report == {mine: "confirmed", theirs: "confirmed"}
        held = players(site)
        # Cookies kept apart: each booking was made by its own account.
        assert held[show(gametime, mine)["confirmation"]][0] == ALICE.user_id
        assert held[show(gametime, theirs)["confirmation"]][0] == BOB.user_id
        assert len(site.saves()) == 2


def _start_watch(home: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([gametime_executable(), "watch", "--json"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "GAMETIME_HOME": str(home)})


def _await_status(gametime, bookings: list[int], status: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if all(show(gametime, b)["status"] == status for b in bookings):
            return
        time.sleep(0.3)


@pytest.mark.parametrize(("due_now", "mode"), [("alice", "watch"), ("bob", "run-pending")])
def test_one_account_due_now_another_opening_in_the_lookahead(gametime, home, mode, due_now):
    """Whichever account is claimed first, the other's opening is not missed: each
    order once, one under watch and one under run-pending (each takes 25 s)."""
    now = datetime.now(UTC)
    t0 = (now + timedelta(seconds=25)).replace(microsecond=0)
    later = "bob" if due_now == "alice" else "alice"
    members = {"alice": ALICE, "bob": BOB}
    with open_site(members[due_now]) as open_now, \
            opening_site(t0, members[later]) as opening:
        add_club(gametime, "now", open_now, members[due_now])
        add_club(gametime, "soon", opening, members[later])
        first = book(gametime, "now", (now + timedelta(days=2)).date().isoformat(), "19:00",
                     due_now)
        second = book(gametime, "soon", (t0 + timedelta(days=1)).date().isoformat(),
                      "19:00", later)
        if mode == "run-pending":
            result = gametime("run-pending", "--json", timeout=180)
            assert result.returncode == 0, result.stderr
            assert "Traceback" not in result.stderr
        else:
            watch = _start_watch(home)
            try:
                _await_status(gametime, [first, second], "confirmed", 90)
            finally:
                watch.send_signal(signal.SIGTERM)
                _, err = watch.communicate(timeout=60)
            assert "Traceback" not in err
        assert show(gametime, first)["status"] == "confirmed"
        assert show(gametime, second)["status"] == "confirmed"
        opens = opening.opens_at((t0 + timedelta(days=1)).date())
        [load] = opening.form_loads()
        assert 0 <= load["at"] - opens < 2.0  # at the opening, never before it


BROWSER_NAMES = {"chromium", "chrome", "chromium-browser", "google-chrome", "headless_shell",
                 "chromium-headless-shell"}


def _browser_processes(root: int) -> set[int]:
    """Chromium browser processes (not its helpers) in the process tree under `root`."""
    parents: dict[int, int] = {}
    commands: dict[int, list[str]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
        commands[int(entry.name)] = [c.decode("utf-8", "replace") for c in command if c]

    def under_root(pid: int) -> bool:
        for _ in range(64):
            if pid == root:
                return True
            pid = parents.get(pid, 0)
            if pid <= 1:
                return False
        return False

    def browser(command: list[str]) -> bool:
        # Chromium's helpers rewrite their command line into one string, with --type=.
        joined = " ".join(command)
        return (bool(command) and Path(joined.split(" ")[0]).name in BROWSER_NAMES
                and "--type=" not in joined)

    found = {pid for pid, command in commands.items() if browser(command) and under_root(pid)}
    # A helper Chromium is forking has its parent's command line until it execs: a child
    # of a browser process is a helper, whatever its command line says at that instant.
    return {pid for pid in found if parents.get(pid) not in found}


def test_three_accounts_share_one_browser(gametime, home):
    now = datetime.now(UTC)
    day = (now + timedelta(days=3)).date().isoformat()
    with open_site(ALICE, BOB, CAROL) as site:
        add_club(gametime, "sb", site, ALICE, BOB, CAROL)
        bookings = [book(gametime, "sb", day, "18:00", member.username)
                    for member in (ALICE, BOB, CAROL)]
        run = subprocess.Popen([gametime_executable(), "run-pending"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "GAMETIME_HOME": str(home)})
        seen: set[int] = set()
        most = 0
        try:
            deadline = time.monotonic() + 120
            while run.poll() is None and time.monotonic() < deadline:
                found = _browser_processes(run.pid)
                seen |= found
                most = max(most, len(found))
                time.sleep(0.05)
        finally:
            if run.poll() is None:
                run.kill()
            _, err = run.communicate(timeout=60)
        assert run.returncode == 0, err
        assert most == 1 and len(seen) == 1  # one Chromium for the three accounts
        assert all(show(gametime, b)["status"] == "confirmed" for b in bookings)
        assert sorted(ids[0] for ids in players(site).values()) == [5001, 5002, 5003]
