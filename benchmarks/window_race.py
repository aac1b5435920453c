"""The race at the window's opening, measured by the site's own record of requests.

Each run starts the sandbox with a window opening at T0 = now + 30 s and the site's
clock 2.5 s ahead of ours, then lets gametime book it — `gametime watch` running, or
`gametime run-pending` started fresh as cron starts it, before T0 — and reads from the
site when the booking form was first served (the hold) and when the booking was
confirmed, both relative to T0 by the site's clock. A second scenario has N accounts
(8 by default) opening at the same T0, booked by one `run-pending`; T0 is then 4 s
further off per extra account, for their set-up.

Beside gametime, in every watch and run-pending run, a naive bot (naive_bot.py: its own
logged-in headless Chromium, a member of its own, a court nobody else wants) loads its
booking form with one `page.goto` at exactly T0 by the site's true clock, busy-waiting
the last few milliseconds, one shot: the "fire exactly at T0" baseline, its arrival
read from the site's request log. It is left out of every check below.

    .venv/bin/python benchmarks/window_race.py [--runs 5] [--accounts 8]
        [--accounts-runs 1] [--latency MS] [--jitter MS] [--nagle]
        [--browsers headless lean] [--submits post page]

Every scenario runs for each browser (`browser_mode`: the full Chromium, `headless`,
and its headless shell, `lean`) and each way of sending the save (`submit`: `post`,
`page`), one after another, side by side in the summary. The site scores browsers as
reCAPTCHA v3 is known to (the sandbox's default), except for the headless shell, which
it would refuse: the shell is timed against a site that scores no one.

`--latency MS` delays each way between us and the site (the site handles a request, and
records it, that long after it was sent), `--jitter MS` varies each way by up to that
either side, `--nagle` makes the site answer in two writes without TCP_NODELAY. At the
end a markdown table sums up the scenarios and the baseline.

T0 is the club's rule (the opening gametime is told), on the site's clock. Each run is
checked, from the site's own records and gametime's: no booking form served before T0;
at least as many holds as accounts and exactly one confirmed save and one booking on
the site per account; `run-pending` exits 0 (`watch` 130 on SIGTERM), no traceback on
stderr, every booking `confirmed` in gametime with the site's booking id; the naive bot
logged in before T0 and asked for its form once.

Timing targets, for the full browser in both ways of sending (the headless shell is
measured beside it, held to none): with `--latency` under 1 ms, hold median ≤ 25 ms and
worst ≤ 150 ms, confirmed median ≤ 500 ms and worst ≤ 1.5 s (watch and run-pending
each), and the latest of the N accounts' holds ≤ 100 ms; with `--latency` 1 ms or more,
hold median ≤ 10 ms and worst ≤ 40 ms, confirmed median ≤ 450 ms, and the latest of the
N accounts' holds ≤ 40 ms, in every run.

Exit status: 0 when every run passed its checks and the timing targets were met; 1 when
every run passed but a timing target was missed (each miss is one line starting
`missed`); 2 when a set-up command failed or a run failed a check (each failure is one
line starting `FAILED`).

`--provoke` runs against a site or set-up that is wrong on purpose, to see the checks
fail: `early-site` (the site opens a day before the club's rule: forms served before
T0), `taken` (another member books the first account's only court before T0: fewer
holds and saves than accounts, the booking fails), `bad-password` (the first account's
stored password is wrong: the run exits 3, nothing booked).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from proctree import kill_tree

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gametime_cli.run.opening import PROBE_MARGIN  # an earlier form request: the probe
from gametime_cli.sandbox import SandboxConfig, SandboxSite, SandboxUser

OFFSET = 2.5
AHEAD = 30.0
SETUP_PER_ACCOUNT = 4.0
"""Seconds T0 moves further off for each account past the first (a login with its check
and a booking take about 3.5 s)."""
SETUP_MARGIN = 5.0
"""Set-up must be over this long before T0, or the run measures nothing."""
GRACE = 25.0
"""Seconds past T0 a run may take to book (fire_retry_seconds is 20) before it is
counted as failed."""
STOP_TIMEOUT = 60.0
BOT_GRACE = 30.0
"""Seconds past T0 the naive bot may take to load its form and close its browser."""
BOT_READY = 2.0
"""The naive bot must be logged in this long before T0, or it does not fire."""
BOOK_PATH = re.compile(r"^/scheduling/index/book/")
PROVOCATIONS = ("early-site", "taken", "bad-password")
SLOT = "19:00"
SLOT_MINUTES = 19 * 60
NAIVE = SandboxUser("naive", "pw-naive", 5511, "Naive, Bot")
NAIVE_BOT = Path(__file__).resolve().parent / "naive_bot.py"


@dataclass(frozen=True)
class Network:
    """The modelled network between us and the site, as the options give it."""
    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    nagle: bool = False

    def config(self) -> dict[str, object]:
        return {"latency": self.latency_ms / 1000, "jitter": self.jitter_ms / 1000,
                "nagle": self.nagle}

    def __str__(self) -> str:
        return (f"latency {self.latency_ms:g} ms ± {self.jitter_ms:g} ms each way, "
                f"Nagle {'on' if self.nagle else 'off'}")


class SetupFailed(Exception):
    """A set-up command failed: the benchmark could not measure anything."""


def gametime() -> str:
    beside = Path(sys.executable).parent / "gametime"
    return str(beside) if beside.exists() else (shutil.which("gametime") or "gametime")


def stop_process(proc: subprocess.Popen, name: str, sig: int | None,
                 problems: list[str], timeout: float = STOP_TIMEOUT) -> None:
    """Send `sig` (None: just wait) and wait; a process that doesn't end in time is
    killed with its whole process group and counted as a failure."""
    if proc.poll() is None and sig is not None:
        proc.send_signal(sig)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        problems.append(f"{name} was still running {timeout:g} s after it should have "
                        "ended; killed")
    finally:
        if proc.poll() is None:
            kill_tree(proc.pid)
            proc.wait(timeout=STOP_TIMEOUT)


def check_exit(name: str, proc: subprocess.Popen, expected: int, err_path: Path,
               problems: list[str]) -> None:
    stderr = err_path.read_text(errors="replace")
    if proc.returncode != expected:
        last = stderr.strip().splitlines()[-1:] or ["(nothing on stderr)"]
        problems.append(f"{name} exited {proc.returncode}, not {expected}: {last[0][:300]}")
    if "Traceback (most recent call last)" in stderr:
        problems.append(f"{name} printed a traceback on stderr: "
                        f"{stderr.strip().splitlines()[-1][:300]}")


def book_path(court_id: int, day: date) -> str:
    return (f"/scheduling/index/book/sport/1/court/{court_id}/date/"
            f"{day.year}-{day.month}-{day.day}/time/{SLOT_MINUTES}")


def bot_events(out_path: Path) -> list[dict]:
    events = []
    for line in out_path.read_text(errors="replace").splitlines():
        try:
            events.append(json.loads(line))
        except ValueError:
            continue
    return events


@dataclass(frozen=True)
class Way:
    """Which browser books, and how it sends the save."""
    browser: str = "headless"
    submit: str = "post"

    def __str__(self) -> str:
        return f"{self.browser}, {self.submit}"


def one_run(mode: str, network: Network, accounts: int = 1, provoke: str | None = None,
            naive: bool = True, way: Way = Way()) -> dict[str, object]:
    users = [SandboxUser(f"player{n}", f"pw-{n}", 4411 + n, f"Player, N{n}")
             for n in range(accounts)]
    courts = max(6, accounts + 2)
    bot_court = courts  # above every account's: nobody else wants it
    ahead = AHEAD + SETUP_PER_ACCOUNT * (accounts - 1)
    opening = (datetime.now(UTC) + timedelta(seconds=ahead)).replace(microsecond=0)
    t0 = opening.timestamp()  # the club's rule; the site's clock reads it at our t0 - OFFSET
    local_t0 = t0 - OFFSET
    config = SandboxConfig(users=[*users, NAIVE] if naive else users, courts=courts,
                           timezone="UTC", window_days=2 if provoke == "early-site" else 1,
                           opens_at=opening.time(), clock_offset=OFFSET,
                           bot_check=way.browser != "lean", **network.config())
    day = (opening + timedelta(days=1)).date()
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="gametime-race-") as tmp, SandboxSite(config) as site:
        env = {**os.environ, "GAMETIME_HOME": str(Path(tmp) / "home")}
        bot_book = book_path(site.court_id(bot_court), day)
        processes: list[subprocess.Popen] = []

        def command(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
            try:
                result = subprocess.run([gametime(), *args], input=stdin, env=env,
                                        capture_output=True, text=True, timeout=120)
            except subprocess.TimeoutExpired:
                raise SetupFailed(f"gametime {args[0]} took more than 120 s") from None
            if result.returncode:
                raise SetupFailed(f"gametime {' '.join(args)} exited {result.returncode}: "
                                  f"{result.stderr.strip()[:300]}")
            return result

        def start(argv: list[str], name: str, secret: str | None = None
                  ) -> tuple[subprocess.Popen, Path, Path]:
            """Start a process; `secret` goes to its stdin (never its arguments)."""
            out, err = Path(tmp) / f"{name}.stdout", Path(tmp) / f"{name}.stderr"
            with open(out, "w") as out_file, open(err, "w") as err_file:
                proc = subprocess.Popen(argv, env=env, stdout=out_file, stderr=err_file,
                                        stdin=subprocess.DEVNULL if secret is None
                                        else subprocess.PIPE,
                                        text=True, start_new_session=True)
            processes.append(proc)
            if secret is not None:
                proc.stdin.write(secret + "\n")
                proc.stdin.close()
            return proc, out, err

        try:
            bot = None
            if naive:  # first, so that it logs in while gametime is set up
                bot, bot_out, bot_err = start(
                    [sys.executable, str(NAIVE_BOT), site.base_url, NAIVE.username,
                     bot_book, repr(local_t0), repr(local_t0 - BOT_READY)],
                    "naive-bot", secret=NAIVE.password)
            command("club", "add", "race", "--url", site.base_url,
                    "--accept-waiver", "--yes", "--timezone", "UTC",
                    "--window-days", "1", "--opens-at", opening.time().isoformat())
            command("config", "set", "browser_mode", way.browser)
            command("config", "set", "submit", way.submit)
            for n, user in enumerate(users):
                wrong = provoke == "bad-password" and n == 0
                command("login", "--club", "race", "--username", user.username,
                        "--password-stdin", "--store", "file",
                        *(["--no-verify"] if wrong else []),
                        stdin=("not-" if wrong else "") + user.password + "\n")
            if provoke == "taken":
                site.add_booking(1, day, SLOT_MINUTES)  # another member, before the opening
            watcher = runner = None
            if mode == "watch":
                watcher, _, watch_err = start([gametime(), "watch"], "watch")
                time.sleep(1.0)
            for n, user in enumerate(users):
                command("book", day.isoformat(), SLOT, "--club", "race", "--account",
                        user.username, "--court", str(n + 1))
            if time.time() > local_t0 - SETUP_MARGIN:
                raise SetupFailed(f"setting up {accounts} account(s) took until "
                                  f"T0{time.time() - local_t0:+.1f} s: too close to the "
                                  "opening to measure it")
            set_up = time.time() - local_t0
            if mode == "run-pending":  # cron starts a fresh process before the opening
                runner, _, run_err = start([gametime(), "run-pending"], "run-pending")
            # Until every account's save is in, the run ends, or T0 + GRACE has passed.
            deadline = time.monotonic() + (local_t0 - time.time()) + GRACE
            while (sum(1 for s in site.saves() if s["booking_id"] is not None) < accounts
                   and time.monotonic() < deadline
                   and (runner is None or runner.poll() is None)
                   and (watcher is None or watcher.poll() is None)):
                time.sleep(0.05)
            if runner is not None:
                stop_process(runner, "run-pending", None, problems)
                check_exit("run-pending", runner, 0, run_err, problems)
            if watcher is not None:
                stop_process(watcher, "watch", signal.SIGTERM, problems)
                check_exit("watch (stopped with SIGTERM)", watcher, 130, watch_err, problems)
            if bot is not None:  # it ends by itself once it has fired
                stop_process(bot, "the naive bot", None, problems,
                             timeout=max(1.0, local_t0 + BOT_GRACE - time.time()))
        finally:
            for proc in processes:  # whatever happened above, nothing is left running
                if proc.poll() is None:
                    kill_tree(proc.pid)
                    proc.wait(timeout=STOP_TIMEOUT)

        listed = json.loads(command("list", "--json").stdout)
        site_bookings = site.bookings()
        form_loads = [f for f in site.form_loads() if f["court"] != bot_court]
        requests = site.requests()
        saves = site.saves()
        site_t0 = site.opens_at(day)
        events = bot_events(bot_out) if bot is not None else []
        bot_stderr = bot_err.read_text(errors="replace") if bot is not None else ""

    bot_requests = [r for r in requests if urlsplit(r["path"]).path == bot_book]
    requests = [r for r in requests if urlsplit(r["path"]).path != bot_book]
    if abs(site_t0 - t0) > 0.001:
        problems.append(f"the site's window opened at T0{site_t0 - t0:+.0f} s, not at the "
                        "club's rule: its settings are wrong")
    served = [r for r in requests if BOOK_PATH.match(r["path"]) and r["status"] == 200]
    # The site's hold record and its request log, each read on its own.
    early_loads = [f["at"] - t0 for f in form_loads if f["at"] < t0]
    early_served = [r["at"] - t0 for r in served if r["at"] < t0]
    served_early = max(len(early_loads), len(early_served))
    if served_early:
        problems.append(f"{served_early} booking form(s) served before T0 by the site's "
                        f"clock (the first at T0{min(early_loads + early_served):+.3f} s)")
    first_hold: dict[int, float] = {}
    for load in form_loads:
        first_hold[load["court"]] = min(first_hold.get(load["court"], math.inf), load["at"] - t0)
    holds = sorted(first_hold.values())
    confirms = sorted(s["at"] - t0 for s in saves if s["booking_id"] is not None)
    if len(holds) < accounts:
        problems.append(f"{len(holds)} court(s) held (booking form served) for {accounts} "
                        "account(s)")
    if len(confirms) != accounts:
        problems.append(f"{len(confirms)} save(s) booked on the site for {accounts} "
                        "account(s)")
    for user in users:
        theirs = [b for b in site_bookings if b["players"][0]["u"] == user.user_id]
        if len(theirs) != 1:
            problems.append(f"{user.username} has {len(theirs)} booking(s) on the site, not 1")
    numbers = {str(b["confirmation"]) for b in site_bookings}  # not the site's own ids
    for booking in listed:
        if booking["status"] != "confirmed" or booking["confirmation"] not in numbers:
            problems.append(f"booking {booking['id']} ({booking['account']}) ended "
                            f"{booking['status']} in gametime (confirmation "
                            f"{booking['confirmation']}, {booking['last_error']})")
    too_early = [r["at"] - t0 for r in requests
                 if BOOK_PATH.match(r["path"]) and r["status"] == 302]
    arrival = None
    if bot is not None:
        errors = [e["message"] for e in events if e.get("event") == "error"]
        if errors or not bot_requests:
            why = errors[0] if errors else (bot_stderr.strip().splitlines()[-1:]
                                            or ["no word from it"])[0][:300]
            problems.append(f"the naive bot did not ask for its form: {why}")
        else:
            arrival = bot_requests[0]["at"] - t0
            if len(bot_requests) != 1:
                problems.append(f"the naive bot asked for its form {len(bot_requests)} "
                                "times, not once")
    next_minute = math.ceil(local_t0 / 60) * 60
    return {"holds": holds, "confirms": confirms, "problems": problems,
            "served_early": served_early,
            "probes": sum(1 for at in too_early if at < -PROBE_MARGIN),
            "fired_early": sum(1 for at in too_early if at >= -PROBE_MARGIN),
            "poll_wait": next_minute - local_t0, "bot_arrival": arrival, "set_up": set_up,
            "bot_too_early": sum(1 for r in bot_requests if r["status"] == 302)}


def summary(name: str, values: list[float]) -> str:
    if not values:
        return f"{name:<34} (no figures: every run failed)"
    ms = [v * 1000 for v in values]
    return (f"{name:<34} median {statistics.median(ms):8.1f} ms   worst {max(ms):8.1f} ms"
            f"   best {min(ms):8.1f} ms   (n={len(ms)})")


def ms(values: list[float]) -> str:
    return ", ".join(f"{v * 1000:.1f}" for v in values) + " ms" if values else "none"


def runs(count: int) -> str:
    return f"{count} run" if count == 1 else f"{count} runs"


def cell(values: list[float], pick) -> str:
    return f"{pick(values) * 1000:.1f} ms" if values else "n/a"


def table_row(name: str, holds: list[float], confirms: list[float] | None,
              too_early: int) -> str:
    confirmed = ((cell(confirms, statistics.median), cell(confirms, max))
                 if confirms is not None else ("n/a", "n/a"))
    return (f"| {name} | {cell(holds, statistics.median)} | {cell(holds, max)} | "
            f"{confirmed[0]} | {confirmed[1]} | {too_early} |")


def report_problems(label: str, run: dict[str, object]) -> bool:
    for problem in run["problems"]:
        print(f"FAILED {label}: {problem}")
    return not run["problems"]


def target(missed: list[str], label: str, values: list[float], pick, limit: float) -> None:
    """Note `label` missed unless `pick(values)` is within `limit` seconds."""
    if not values:
        missed.append(f"{label}: no figures")
    elif pick(values) > limit:
        missed.append(f"{label} {pick(values) * 1000:.1f} ms > {limit * 1000:g} ms")


def milliseconds(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 5000:
        raise argparse.ArgumentTypeError("milliseconds from 0 to 5000")
    return value


@dataclass
class Tally:
    """What every way's runs add up to."""
    clean: bool = True
    missed: list[str] = field(default_factory=list)
    polls: list[float] = field(default_factory=list)
    rows: list[str] = field(default_factory=list)
    arrivals: list[float] = field(default_factory=list)
    bot_too_early: int = 0


def measure(way: Way, args: argparse.Namespace, network: Network, tally: Tally) -> None:
    """Every scenario with one browser and one way of sending; the targets apply to the
    full browser only."""
    held_to = way.browser != "lean"
    missed = tally.missed if held_to else []
    for mode in ("watch", "run-pending"):
        holds, confirms, probes, fired_early, served_early = [], [], 0, 0, 0
        arrivals, naive_early = [], 0
        for index in range(args.runs):
            run = one_run(mode, network, provoke=args.provoke, way=way)
            tally.clean &= report_problems(f"{way}: {mode} run {index + 1}", run)
            holds += run["holds"][:1]
            confirms += run["confirms"][:1]
            probes += run["probes"]
            served_early += run["served_early"]
            fired_early += run["fired_early"]
            tally.polls.append(run["poll_wait"])
            if run["bot_arrival"] is not None:
                arrivals.append(run["bot_arrival"])
            naive_early += run["bot_too_early"]
            print(f"{way}: {mode} run {index + 1}: hold {ms(run['holds'][:1])}, "
                  f"confirmed {ms(run['confirms'][:1])}, fire exactly at T0 arrived "
                  f"{ms([run['bot_arrival']] if run['bot_arrival'] is not None else [])}"
                  f" (set up by T0{run['set_up']:+.1f} s)", file=sys.stderr)
        print(f"--- {way}: {mode} ({runs(args.runs)}, site clock {OFFSET:+} s, "
              f"T0 = start + {AHEAD:g} s, {network})")
        print(summary("hold (form first served) - T0", holds))
        print(summary("confirmed - T0", confirms))
        print(f"{'forms served before T0':<34} {served_early}")
        print(f"{'form asked, site said too early':<34} {probes} while preparing "
              f"(the probe), {fired_early} at the opening")
        print(summary("fire exactly at T0: arrival - T0", arrivals))
        print(f"{'fire exactly at T0: too early':<34} {naive_early}")
        tally.rows.append(table_row(f"{way}: `{mode}` ({runs(args.runs)})", holds, confirms,
                                    fired_early))
        tally.arrivals += arrivals
        tally.bot_too_early += naive_early
        label = f"{way}: {mode}"
        if args.latency >= 1:
            target(missed, f"{label} hold median", holds, statistics.median, 0.010)
            target(missed, f"{label} hold worst", holds, max, 0.040)
            target(missed, f"{label} confirmed median", confirms, statistics.median, 0.450)
        else:
            target(missed, f"{label} hold median", holds, statistics.median, 0.025)
            target(missed, f"{label} hold worst", holds, max, 0.150)
            target(missed, f"{label} confirmed median", confirms, statistics.median, 0.5)
            target(missed, f"{label} confirmed worst", confirms, max, 1.5)
    if not args.accounts_runs:
        return
    count = args.accounts
    firsts, latest, confirms, fired_early = [], [], [], 0
    for index in range(args.accounts_runs):
        run = one_run("run-pending", network, accounts=count, provoke=args.provoke,
                      naive=False, way=way)
        tally.clean &= report_problems(f"{way}: {count} accounts run {index + 1}", run)
        firsts += run["holds"][:1]
        if len(run["holds"]) == count:
            latest.append(run["holds"][-1])
        confirms += run["confirms"]
        fired_early += run["fired_early"]
        print(f"{way}: {count} accounts run {index + 1}: holds {ms(run['holds'])}; "
              f"confirmed {ms(run['confirms'])} (set up by T0{run['set_up']:+.1f} s)",
              file=sys.stderr)
    print(f"--- {way}: {count} accounts at the same T0 ({runs(args.accounts_runs)}, "
          f"run-pending, T0 = start + {AHEAD + SETUP_PER_ACCOUNT * (count - 1):g} s, "
          f"{network})")
    print(summary("first hold - T0", firsts))
    print(summary(f"latest of the {count} holds - T0", latest))
    print(summary("confirmed - T0 (every account)", confirms))
    print(f"{'form asked, site said too early':<34} {fired_early} at the opening")
    tally.rows.append(table_row(f"{way}: {count} accounts ({runs(args.accounts_runs)}; "
                                f"latest of {count} holds, every confirmation)", latest,
                                confirms, fired_early))
    limit = 0.040 if args.latency >= 1 else 0.100
    for index, value in enumerate(latest):
        if value > limit:
            missed.append(f"{way}: {count} accounts run {index + 1}: latest hold "
                          f"{value * 1000:.1f} ms > {limit * 1000:g} ms")
    if len(latest) < args.accounts_runs:
        missed.append(f"{way}: {count} accounts: latest hold missing in "
                      f"{args.accounts_runs - len(latest)} run(s)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5,
                        help="runs each of watch and run-pending")
    parser.add_argument("--accounts", type=int, default=8,
                        help="accounts opening at one T0 in the accounts scenario")
    parser.add_argument("--accounts-runs", type=int, default=1)
    parser.add_argument("--latency", type=milliseconds, default=0.0, metavar="MS",
                        help="milliseconds each way between us and the site")
    parser.add_argument("--jitter", type=milliseconds, default=0.0, metavar="MS",
                        help="milliseconds each way's delay varies by, either side")
    parser.add_argument("--nagle", action="store_true",
                        help="the site answers in two writes without TCP_NODELAY")
    parser.add_argument("--browsers", nargs="+", choices=("headless", "lean"),
                        default=["headless", "lean"], help="browser_mode values to run")
    parser.add_argument("--submits", nargs="+", choices=("post", "page"),
                        default=["post", "page"], help="submit values to run")
    parser.add_argument("--provoke", choices=PROVOCATIONS,
                        help="run against a wrong site or set-up on purpose (see above)")
    args = parser.parse_args()
    if args.runs < 1 or args.accounts < 1 or args.accounts_runs < 0:
        parser.error("--runs and --accounts must be at least 1, --accounts-runs at least 0")
    network = Network(args.latency, args.jitter, args.nagle)
    # SIGTERM ends the benchmark as Ctrl-C does: the processes it started are stopped.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    tally = Tally()
    try:
        for browser in args.browsers:
            for submit in args.submits:
                measure(Way(browser, submit), args, network, tally)
    except SetupFailed as exc:
        print(f"FAILED set-up: {exc}")
        return 2
    tally.rows.append(table_row(f"fire exactly at T0 ({runs(len(tally.arrivals))}; "
                                "arrival)", tally.arrivals, None, tally.bot_too_early))
    print("--- polling once a minute (the scripts players share), same openings")
    print(f"{'first tick after T0':<34} median {statistics.median(tally.polls):8.1f} s    "
          f"worst {max(tally.polls):8.1f} s   (then a cold browser start and login)")
    print(f"--- summary ({network}; site clock {OFFSET:+} s; times from T0 by the "
          "site's clock)")
    print()
    print("| | hold median | hold worst | confirmed median | confirmed worst "
          "| too-early answers |")
    print("|---|---:|---:|---:|---:|---:|")
    for row in tally.rows:
        print(row)
    print()
    if not tally.clean:
        print("checks FAILED: see the FAILED lines above")
        return 2
    for miss in tally.missed:
        print(f"missed {miss}")
    print("targets NOT met" if tally.missed else "targets met")
    return 1 if tally.missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
