"""The race at the window's opening, measured by the site's own record of requests.

Each run starts the sandbox with a window opening at T0 = now + 30 s and the site's
clock 2.5 s ahead of ours, then lets gametime book it — `gametime watch` running, or
`gametime run-pending` started fresh as cron starts it, before T0 — and reads from the
site when the booking form was first served (the hold) and when the booking was
confirmed, both relative to T0 by the site's clock. A second scenario has 4 accounts
opening at the same T0.

    .venv/bin/python benchmarks/window_race.py [--runs 5] [--accounts-runs 2]

T0 is the club's rule (the opening gametime is told), on the site's clock. Each run is
checked, from the site's own records and gametime's: no booking form served before T0;
at least as many holds as accounts and exactly one confirmed save and one booking on
the site per account; `run-pending` exits 0 (`watch` 130 on SIGTERM), no traceback on
stderr, every booking `confirmed` in gametime with the site's booking id.

Exit status: 0 when every run passed its checks and the timing targets were met; 1 when
every run passed but a timing target was missed; 2 when a set-up command failed or a
run failed a check (each failure is one line starting `FAILED`).

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
from datetime import UTC, datetime, timedelta
from pathlib import Path

from proctree import kill_tree

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gametime_cli.sandbox import SandboxConfig, SandboxSite, SandboxUser

OFFSET = 2.5
AHEAD = 30.0
GRACE = 25.0
"""Seconds past T0 a run may take to book (fire_retry_seconds is 20) before it is
counted as failed."""
STOP_TIMEOUT = 60.0
PROBE_MARGIN = 2.0
"""A form request more than this before T0 is the preparation's probe (executor.py)."""
BOOK_PATH = re.compile(r"^/scheduling/index/book/")
PROVOCATIONS = ("early-site", "taken", "bad-password")
SLOT = "19:00"
SLOT_MINUTES = 19 * 60


class SetupFailed(Exception):
    """A set-up command failed: the benchmark could not measure anything."""


def gametime() -> str:
    beside = Path(sys.executable).parent / "gametime"
    return str(beside) if beside.exists() else (shutil.which("gametime") or "gametime")


def stop_process(proc: subprocess.Popen, name: str, sig: int | None,
                 problems: list[str]) -> None:
    """Send `sig` (None: just wait) and wait; a process that doesn't end in time is
    killed with its whole process group and counted as a failure."""
    if proc.poll() is None and sig is not None:
        proc.send_signal(sig)
    try:
        proc.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        problems.append(f"{name} was still running {STOP_TIMEOUT:g} s after it should have "
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


def one_run(mode: str, accounts: int = 1, provoke: str | None = None) -> dict[str, object]:
    users = [SandboxUser(f"player{n}", f"pw-{n}", 4411 + n, f"Player, N{n}")
             for n in range(accounts)]
    opening = (datetime.now(UTC) + timedelta(seconds=AHEAD)).replace(microsecond=0)
    t0 = opening.timestamp()  # the club's rule; the site's clock reads it at our t0 - OFFSET
    config = SandboxConfig(users=users, timezone="UTC",
                           window_days=2 if provoke == "early-site" else 1,
                           opens_at=opening.time(), clock_offset=OFFSET)
    day = (opening + timedelta(days=1)).date()
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="gametime-race-") as tmp, SandboxSite(config) as site:
        env = {**os.environ, "GAMETIME_HOME": str(Path(tmp) / "home")}

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

        command("club", "add", "race", "--url", site.base_url, "--timezone", "UTC",
                "--window-days", "1", "--opens-at", opening.time().isoformat())
        for n, user in enumerate(users):
            wrong = provoke == "bad-password" and n == 0
            command("login", "--club", "race", "--username", user.username,
                    "--password-stdin", "--store", "file",
                    *(["--no-verify"] if wrong else []),
                    stdin=("not-" if wrong else "") + user.password + "\n")
        if provoke == "taken":
            site.add_booking(1, day, SLOT_MINUTES)  # another member, before the opening
        processes: list[subprocess.Popen] = []

        def start(*args: str) -> tuple[subprocess.Popen, Path]:
            err = Path(tmp) / f"{args[0]}.stderr"
            with open(os.devnull, "w") as out, open(err, "w") as err_file:
                proc = subprocess.Popen([gametime(), *args], env=env, stdout=out,
                                        stderr=err_file, start_new_session=True)
            processes.append(proc)
            return proc, err

        try:
            watcher = runner = None
            if mode == "watch":
                watcher, watch_err = start("watch")
                time.sleep(1.0)
            for n, user in enumerate(users):
                command("book", day.isoformat(), SLOT, "--club", "race", "--account",
                        user.username, "--court", str(n + 1))
            if mode == "run-pending":  # cron starts a fresh process before the opening
                runner, run_err = start("run-pending")
            # Until every account's save is in, the run ends, or T0 + GRACE has passed.
            deadline = time.monotonic() + (t0 - OFFSET - time.time()) + GRACE
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
        finally:
            for proc in processes:  # whatever happened above, nothing is left running
                if proc.poll() is None:
                    kill_tree(proc.pid)
                    proc.wait(timeout=STOP_TIMEOUT)

        listed = json.loads(command("list", "--json").stdout)
        site_bookings = site.bookings()
        form_loads = site.form_loads()
        requests = site.requests()
        saves = site.saves()
        site_t0 = site.opens_at(day)

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
    site_ids = {str(b["id"]) for b in site_bookings}
    for booking in listed:
        if booking["status"] != "confirmed" or booking["confirmation"] not in site_ids:
            problems.append(f"booking {booking['id']} ({booking['account']}) ended "
                            f"{booking['status']} in gametime (confirmation "
                            f"{booking['confirmation']}, {booking['last_error']})")
    too_early = [r["at"] - t0 for r in requests
                 if BOOK_PATH.match(r["path"]) and r["status"] == 302]
    local_t0 = t0 - OFFSET
    next_minute = math.ceil(local_t0 / 60) * 60
    return {"holds": holds, "confirms": confirms, "problems": problems,
            "served_early": served_early,
            "probes": sum(1 for at in too_early if at < -PROBE_MARGIN),
            "fired_early": sum(1 for at in too_early if at >= -PROBE_MARGIN),
            "poll_wait": next_minute - local_t0}


def summary(name: str, values: list[float]) -> str:
    if not values:
        return f"{name:<34} (no figures: every run failed)"
    ms = [v * 1000 for v in values]
    return (f"{name:<34} median {statistics.median(ms):8.1f} ms   worst {max(ms):8.1f} ms"
            f"   best {min(ms):8.1f} ms   (n={len(ms)})")


def ms(values: list[float]) -> str:
    return ", ".join(f"{v * 1000:.1f}" for v in values) + " ms" if values else "none"


def report_problems(label: str, run: dict[str, object]) -> bool:
    for problem in run["problems"]:
        print(f"FAILED {label}: {problem}")
    return not run["problems"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--accounts-runs", type=int, default=2)
    parser.add_argument("--provoke", choices=PROVOCATIONS,
                        help="run against a wrong site or set-up on purpose (see above)")
    args = parser.parse_args()
    if args.runs < 1 or args.accounts_runs < 0:
        parser.error("--runs must be at least 1, --accounts-runs at least 0")
    # SIGTERM ends the benchmark as Ctrl-C does: the processes it started are stopped.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    targets_met = clean = True
    polls: list[float] = []
    try:
        for mode in ("watch", "run-pending"):
            holds, confirms, probes, fired_early, served_early = [], [], 0, 0, 0
            for index in range(args.runs):
                run = one_run(mode, provoke=args.provoke)
                clean &= report_problems(f"{mode} run {index + 1}", run)
                holds += run["holds"][:1]
                confirms += run["confirms"][:1]
                probes += run["probes"]
                served_early += run["served_early"]
                fired_early += run["fired_early"]
                polls.append(run["poll_wait"])
                print(f"{mode} run {index + 1}: hold {ms(run['holds'][:1])}, "
                      f"confirmed {ms(run['confirms'][:1])}", file=sys.stderr)
            print(f"--- {mode} ({args.runs} runs, site clock {OFFSET:+} s, "
                  f"T0 = start + {AHEAD:g} s)")
            print(summary("hold (form first served) - T0", holds))
            print(summary("confirmed - T0", confirms))
            print(f"{'forms served before T0':<34} {served_early}")
            print(f"{'form asked, site said too early':<34} {probes} while preparing "
                  f"(the probe), {fired_early} at the opening")
            targets_met &= (bool(holds) and statistics.median(holds) <= 0.025
                            and max(holds) <= 0.150 and bool(confirms)
                            and statistics.median(confirms) <= 0.5 and max(confirms) <= 1.5)
        if args.accounts_runs:
            spreads = []
            for index in range(args.accounts_runs):
                run = one_run("run-pending", accounts=4, provoke=args.provoke)
                clean &= report_problems(f"4 accounts run {index + 1}", run)
                if len(run["holds"]) == 4:
                    spreads.append(run["holds"][-1])
                print(f"4 accounts run {index + 1}: holds {ms(run['holds'])}",
                      file=sys.stderr)
            print(f"--- 4 accounts at the same T0 ({args.accounts_runs} runs, run-pending)")
            print(summary("latest of the 4 holds - T0", spreads))
            targets_met &= bool(spreads) and max(spreads) <= 0.300
    except SetupFailed as exc:
        print(f"FAILED set-up: {exc}")
        return 2
    print("--- polling once a minute (the scripts players share), same openings")
    print(f"{'first tick after T0':<34} median {statistics.median(polls):8.1f} s    "
          f"worst {max(polls):8.1f} s   (then a cold browser start and login)")
    if not clean:
        print("checks FAILED: see the FAILED lines above")
        return 2
    print("targets met" if targets_met else "targets NOT met")
    return 0 if targets_met else 1


if __name__ == "__main__":
    raise SystemExit(main())
