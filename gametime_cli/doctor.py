"""`gametime doctor`: every check a booking depends on, each with its fix."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from gametime_cli import credentials, crontab, paths
from gametime_cli.errors import GametimeError
from gametime_cli.settings import Settings
from gametime_cli.sites import needs_login
from gametime_cli.store import Store

CLOCK_TOLERANCE = 2.0
"""Seconds our clock may differ from a club's before doctor asks for NTP. (Bookings
fire by the site's clock either way; a far-off local clock hints at a wider problem.)"""


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str | None = None


def run_checks(store: Store, *, cron_probe: bool = True) -> Iterator[Check]:
    yield from _browser(Settings(store.settings()))
    yield from _home(store)
    yield from _database(store)
    yield from _accounts(store, cron_probe)
    yield from _scheduler(store)
    yield from _clocks(store)
    yield from _openings(store)


def _browser(settings: Settings) -> Iterator[Check]:
    from gametime_cli.browser import BrowserHost, BrowserStalled

    host = BrowserHost(settings.browser)
    try:
        executable = host.options.executable
        host.run(host.new_context(), 90)
        yield Check("browser", True, f"{executable} starts")
    except (GametimeError, BrowserStalled) as exc:
        yield Check("browser", False, str(exc),
                    "apt-get install chromium, or playwright install chromium")
    finally:
        host.close()


def _home(store: Store) -> Iterator[Check]:
    home = store.path.parent
    problems = []
    for path, wanted in ((home, 0o700), (store.path, 0o600)):
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & ~wanted:
            problems.append(f"{path} is {oct(mode)}")
        if path.stat().st_uid != os.getuid():
            problems.append(f"{path} belongs to another user")
    if not os.access(home, os.W_OK):
        problems.append(f"{home} is not writable")
    if problems:
        yield Check("data home", False, "; ".join(problems),
                    f"chmod 700 {home} && chmod 600 {home}/*")
    else:
        yield Check("data home", True, f"{home} (0700, files 0600)")
    yield from _key_file(home)


def _key_file(home: Path) -> Iterator[Check]:
    from gametime_cli.vault import Vault

    loose = Vault(home).key_problem()
    if loose:
        yield Check("key file", False, *loose)


def refused_home_checks(home: Path, refusal: GametimeError) -> Iterator[Check]:
    """When the store can't be opened: each thing that makes the data home unsafe (its
    owner or mode, a link in place of a file of ours, a key others can read) as a red
    line with its fix, or else the refusal itself."""
    problems = paths.home_problems(home)
    for problem in problems:
        yield Check(problem.name, False, problem.detail, problem.fix)
    yield from _key_file(home)
    if not problems:
        detail, _, fix = str(refusal).partition("; ")
        yield Check("database", False, detail, fix or "see the detail")


def _database(store: Store) -> Iterator[Check]:
    result = store.conn.execute("PRAGMA quick_check").fetchone()[0]
    if result == "ok":
        yield Check("database", True, f"{store.path} passes quick_check")
    else:
        yield Check("database", False, f"quick_check: {result}",
                    "move the file away and add your clubs again, or restore a backup")


def _accounts(store: Store, cron_probe: bool) -> Iterator[Check]:
    home = store.path.parent
    from_cron = credentials.check_from_cron(home, None) if cron_probe else {}
    for club in store.list_clubs():
        accounts = store.accounts(club)
        if not accounts and needs_login(club):
            yield Check(f"account at {club.name}", False, "no account",
                        f"gametime login --club {club.name}")
        for account in accounts:
            name = f"password of {account.username} at {club.name}"
            try:
                credentials.load(home, account)
            except GametimeError as exc:
                yield Check(name, False, str(exc),
                            f"gametime login --club {club.name} --username {account.username}")
                continue
            problem = from_cron.get((account.club, account.username)) if cron_probe else None
            if problem:
                yield Check(name, False, f"readable now, not from cron: {problem}",
                            f"gametime login --club {club.name} --username "
                            f"{account.username} --store file")
            else:
                yield Check(name, True, f"readable now{' and from cron' if cron_probe else ''}"
                            f" ({account.store})")


def _scheduler(store: Store) -> Iterator[Check]:
    try:
        entries = crontab.ours(crontab.read())
    except GametimeError:
        entries = []
    watching = _watch_running(store)
    from gametime_cli.systemd import UNIT, unit_dir

    timer = unit_dir() / f"{UNIT}.timer"
    if entries:
        yield Check("scheduler", True, "the crontab entry runs run-pending every minute")
    elif timer.exists():
        yield Check("scheduler", True, f"the systemd user timer {timer.name} is installed")
    elif watching:
        yield Check("scheduler", True, f"gametime watch is running (pid {watching})")
    else:
        yield Check("scheduler", False, "nothing runs run-pending",
                    "gametime cron install (or systemd install, or keep gametime watch "
                    "running)")


def _watch_running(store: Store) -> str | None:
    import fcntl

    from gametime_cli.watcher import LOCK_NAME

    path = store.path.parent / LOCK_NAME
    if not path.exists():
        return None
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None  # a link there is a red line of its own
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    except BlockingIOError:
        return os.read(fd, 32).decode("ascii", "replace").strip() or "?"
    finally:
        os.close(fd)


def _clocks(store: Store) -> Iterator[Check]:
    from gametime_cli.site_clock import DateProbes, measure

    for club in store.list_clubs():
        if not needs_login(club):
            continue
        probes = DateProbes(club.url, timeout=10)
        try:
            estimate = measure(probes, rounds=1)
        except OSError as exc:
            yield Check(f"clock at {club.name}", False, f"could not reach {club.url}: {exc}",
                        "check the club's URL and your network")
            continue
        finally:
            probes.close()
        off = round(estimate.offset, 3) + 0.0  # never "-0.000"
        detail = f"the site's clock is {off:+.3f} s from ours (±{estimate.uncertainty:.3f})"
        if abs(off) <= CLOCK_TOLERANCE:
            yield Check(f"clock at {club.name}", True, detail)
        else:
            yield Check(f"clock at {club.name}", False, detail,
                        "set your clock by NTP (timedatectl set-ntp true)")


def _openings(store: Store) -> Iterator[Check]:
    """Where a run saw the site open at another time than the club's rule says."""
    from gametime_cli.windows import opening_note

    for club in store.list_clubs():
        note = opening_note(club)
        if note is not None:
            yield Check(f"opening at {club.name}", False, note.problem, note.fix)
