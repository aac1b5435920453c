"""`gametime doctor`: every check a booking depends on, each with its fix."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gametime_cli import paths
from gametime_cli.errors import BadInput, GametimeError
from gametime_cli.models import Club
from gametime_cli.secrets import credentials
from gametime_cli.settings import Settings
from gametime_cli.sites import browser_host, needs_login, open_driver
from gametime_cli.store import Store
from gametime_cli.system import crontab

if TYPE_CHECKING:
    from gametime_cli.sites.browser import BrowserHost

CLOCK_TOLERANCE = 2.0
"""Seconds our clock may differ from a club's before doctor asks for NTP. (Bookings
fire by the site's clock either way; a far-off local clock hints at a wider problem.)"""


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str | None = None


def run_checks(store: Store, *, cron_probe: bool = True,
               club: str | None = None) -> Iterator[Check]:
    """Every check, the clubs' own for every club or only for `club` (BadInput, exit 2,
    if there is no such club). One browser serves them all."""
    clubs = store.list_clubs()
    if club is not None:
        clubs = [c for c in clubs if c.name == club]
        if not clubs:
            raise BadInput(f"no club named {club!r}; 'gametime club list' shows the clubs")
    settings = Settings(store.settings())
    host = browser_host(settings)
    try:
        started = yield from _browser(host)
        yield from _home(store)
        yield from _database(store)
        yield from _accounts(store, clubs, cron_probe)
        yield from _scheduler(store)
        yield from _clocks(clubs, host.user_agent if started else "")
        yield from _openings(clubs)
        if started:
            yield from _what_clubs_see(store, host, clubs, settings)
    finally:
        host.close()


def _browser(host: BrowserHost) -> Iterator[Check]:
    """Whether the browser starts; returns True if it did."""
    from gametime_cli.sites.browser import BrowserStalled

    try:
        executable = host.options.executable
        context = host.run(host.new_context(), 90)
        host.run(context.close(), 30)
    except (GametimeError, BrowserStalled) as exc:
        yield Check("browser", False, str(exc),
                    "apt-get install chromium, or playwright install chromium")
        return False
    yield Check("browser", True, f"{executable} starts ({host.options.mode} mode)")
    return True


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
    from gametime_cli.secrets.vault import Vault

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


def _accounts(store: Store, clubs: list[Club], cron_probe: bool) -> Iterator[Check]:
    home = store.path.parent
    from_cron = credentials.check_from_cron(home, None) if cron_probe else {}
    for club in clubs:
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
    from gametime_cli.system.systemd import UNIT, unit_dir

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

    from gametime_cli.run.watch import LOCK_NAME

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


def _clocks(clubs: list[Club], user_agent: str) -> Iterator[Check]:
    from gametime_cli.sites.site_clock import DateProbes, measure

    for club in clubs:
        if not needs_login(club):
            continue
        probes = DateProbes(club.url, timeout=10,
                            headers={"User-Agent": user_agent} if user_agent else None)
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


def _openings(clubs: list[Club]) -> Iterator[Check]:
    """Where a run saw the site open at another time than the club's rule says."""
    from gametime_cli.booking.windows import opening_note

    for club in clubs:
        note = opening_note(club)
        if note is not None:
            yield Check(f"opening at {club.name}", False, note.problem, note.fix)


FULL_BROWSER_FIX = "gametime config set browser_mode headless (the full Chromium)"


def _what_clubs_see(store: Store, host: BrowserHost, clubs: list[Club],
                    settings: Settings) -> Iterator[Check]:
    """For each club on a real site: its login page, opened in the run's browser as a
    booking would open it (no login, nothing booked), and what its scripts read there."""
    from gametime_cli.sites.base import AttemptFailed

    for club in clubs:
        if not needs_login(club):
            continue
        driver = open_driver(club, None, settings, store.path.parent, host=host)
        try:
            seen = driver.what_the_site_sees()  # type: ignore[attr-defined]
        except (AttemptFailed, GametimeError) as exc:
            message = exc.outcome.message if isinstance(exc, AttemptFailed) else str(exc)
            yield Check(f"what {club.name} sees", False, f"could not open its login page: "
                        f"{message}", "check the club's URL and your network")
            continue
        finally:
            driver.close()
        yield from seen_checks(club, seen)


def seen_checks(club: Club, seen: dict[str, Any]) -> Iterator[Check]:
    """What a site's scripts read of the browser, one line each, red where a bot check
    (reCAPTCHA v3's kind) would flag it."""
    at = f"at {club.name}"
    agent = str(seen.get("userAgent") or "")
    brands = seen.get("brands")
    yield Check(f"navigator.webdriver {at}", not seen.get("webdriver"),
                "false" if not seen.get("webdriver") else "true: the site is told a "
                "program drives the browser",
                None if not seen.get("webdriver") else "use Debian's chromium or "
                "Playwright's: gametime config set browser ''")
    yield Check(f"User-Agent {at}", "HeadlessChrome" not in agent, agent or "(none)",
                None if "HeadlessChrome" not in agent else FULL_BROWSER_FIX)
    hints = ", ".join(brands) if brands else "(none)"
    disagree = _hints_disagree(agent, brands)
    yield Check(f"client hints {at}", disagree is None,
                hints if disagree is None else f"{hints}: {disagree}",
                None if disagree is None else FULL_BROWSER_FIX)
    plugins = int(seen.get("plugins") or 0)
    yield Check(f"plugins {at}", plugins > 0,
                f"{plugins}" if plugins else "none, which no desktop Chrome has",
                None if plugins else FULL_BROWSER_FIX)
    languages = list(seen.get("languages") or [])
    header = seen.get("accept_language")
    few = len(languages) < 2 or not header
    yield Check(f"languages {at}", not few,
                f"{', '.join(languages) or '(none)'}; Accept-Language: {header or '(none)'}",
                FULL_BROWSER_FIX if few else None)
    zone = seen.get("timezone")
    yield Check(f"time zone {at}", zone == club.timezone,
                f"{zone}" + ("" if zone == club.timezone else f", not the club's {club.timezone}"))
    screen, window = seen.get("screen") or [0, 0], seen.get("window") or [0, 0]
    roomy = screen[0] > window[0] or screen[1] > window[1]
    yield Check(f"screen {at}", roomy,
                f"{screen[0]}x{screen[1]}, the page {window[0]}x{window[1]}"
                + ("" if roomy else ": no room for a browser's window around the page"))
    key = seen.get("siteKey")
    if seen.get("recaptcha"):
        yield Check(f"reCAPTCHA {at}", True, f"loaded on the login page, site key {key}")
    elif key:
        yield Check(f"reCAPTCHA {at}", False, f"the login page names site key {key}, but "
                    "reCAPTCHA did not load", "check that nothing blocks www.google.com")
    else:
        yield Check(f"reCAPTCHA {at}", True, "not on the login page (the booking form "
                    "runs its own)")


def _hints_disagree(agent: str, brands: list[str] | None) -> str | None:
    """Why the client hints give the browser away, or None when they agree with the
    User-Agent."""
    import re

    if brands is None:
        return "none, from a browser whose User-Agent says Chrome" if "Chrome/" in agent else None
    if any(b.startswith("HeadlessChrome ") for b in brands):
        return "they say HeadlessChrome"
    major = re.search(r"Chrome/(\d+)", agent)
    versions = {b.rsplit(" ", 1)[-1] for b in brands
                if b.rsplit(" ", 1)[0] in ("Chromium", "Google Chrome")}
    if major and major.group(1) not in versions:
        return f"the User-Agent says Chrome {major.group(1)}"
    return None
