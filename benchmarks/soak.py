"""Soak: overlapping runs, kill -9, a failing site — and count double and lost bookings.

Each round starts the sandbox site with faults (a share of saves answering 500, slow
answers, saves that book but answer late), registers bookings, starts several
`gametime run-pending` processes together with a real Chromium each, and kills some of
them with SIGKILL: first a run holding a claim (found by its lease in our database),
then, each time the site takes a save, the run whose attempt submitted it (the attempt
marked submitted and not yet finished; its owner names the process). Then it runs
`run-pending` as cron would until nothing is left to do, and compares our database
with the site's own record.

    .venv/bin/python benchmarks/soak.py [--rounds 5] [--bookings 6] [--runs 8] [--seed 1]

Checked: every set-up command exits 0; every `run-pending` (the ones started together,
unless we killed it, and the cron-like ones) exits 0 with no traceback on stderr (an
exit 70, an internal error, is a failure like any other); each booking is confirmed and
held exactly once on the site under its confirmation number; and the site holds no
booking of ours that matches none of our bookings (a duplicate, or a slot we never
asked for).

Exit status: 0 when every check passed; 1 when a booking was made twice, lost or is
foreign to ours, or a run failed; 2 when a set-up command (or `gametime list`) failed.

`--provoke foreign` books a slot nobody asked for on the site (for our member) in the
first round, to see the foreign-booking check fail.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

from proctree import kill_tree

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gametime_cli.sandbox import SandboxConfig, SandboxSite, SandboxUser

USER = SandboxUser("soak.player", "soak-password", 4411, "Player, Soak")
SETTLE_ROUNDS = 30
COMMAND_TIMEOUT = 300
RUN_TIMEOUT = 240
"""Seconds the runs started together have, all told, to end by themselves."""
CLAIM_WAIT = 10.0
"""Seconds to wait for a run to hold a claim before the early kill."""
SAVE_WAIT = 20.0
"""Seconds to wait for the site to take a save before a kill after submitting."""
TRACEBACK = "Traceback (most recent call last)"


class SetupFailed(Exception):
    """A set-up command (or `gametime list`) failed: the round can't be judged."""


@dataclass
class Tally:
    rounds: int = 0
    runs_started: int = 0
    runs_killed: int = 0
    killed_holding_claim: int = 0
    killed_in_flight: int = 0
    killed_after_result: int = 0
    saves_500: int = 0
    late_answers: int = 0
    bookings: int = 0
    confirmed: int = 0
    double: int = 0
    lost: int = 0
    foreign: int = 0
    run_failures: int = 0
    exit_codes: collections.Counter = field(default_factory=collections.Counter)
    notes: list[str] = field(default_factory=list)

    def fail_run(self, note: str) -> None:
        self.run_failures += 1
        self.notes.append(note)


def gametime() -> str:
    beside = Path(sys.executable).parent / "gametime"
    return str(beside) if beside.exists() else (shutil.which("gametime") or "gametime")


def command(home: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    """A set-up command, or `list`: it must exit 0, without a traceback."""
    try:
        result = subprocess.run([gametime(), *args], input=stdin, capture_output=True,
                                text=True, timeout=COMMAND_TIMEOUT,
                                env={**os.environ, "GAMETIME_HOME": str(home)})
    except subprocess.TimeoutExpired:
        raise SetupFailed(f"'gametime {' '.join(args)}' took more than "
                          f"{COMMAND_TIMEOUT} s") from None
    if result.returncode or TRACEBACK in result.stderr:
        raise SetupFailed(f"'gametime {' '.join(args)}' exited {result.returncode}: "
                          f"{last_line(result.stderr)}")
    return result


def last_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[-1][:300] if lines else "(nothing on stderr)"


def check_run(label: str, code: int, stderr: str, killed: bool, tally: Tally) -> None:
    """A run-pending's end: 0 unless we killed it, never a traceback."""
    tally.exit_codes["killed" if killed and code == -signal.SIGKILL else code] += 1
    if not (killed and code == -signal.SIGKILL) and code != 0:
        tally.fail_run(f"{label} exited {code}: {last_line(stderr)}")
    if TRACEBACK in stderr:
        tally.fail_run(f"{label} printed a traceback: {last_line(stderr)}")


class Runs:
    """The run-pending processes started together, and which of them we killed."""

    def __init__(self, home: Path, folder: Path) -> None:
        self.home, self.folder = home, folder
        self.procs: list[subprocess.Popen] = []
        self.killed: set[int] = set()

    def start(self, count: int) -> None:
        env = {**os.environ, "GAMETIME_HOME": str(self.home)}
        for n in range(count):
            with open(self.folder / f"run{n}.stderr", "w") as err:
                self.procs.append(subprocess.Popen(
                    [gametime(), "run-pending", "--json"], env=env, stdout=subprocess.DEVNULL,
                    stderr=err, start_new_session=True))

    def alive(self) -> dict[int, subprocess.Popen]:
        return {p.pid: p for p in self.procs if p.poll() is None and p.pid not in self.killed}

    def kill(self, pid: int) -> None:
        """SIGKILL the run and its browser: its process group, and Chromium's (which
        Playwright starts in a group of its own)."""
        kill_tree(pid)
        self.killed.add(pid)

    def wait_all(self, tally: Tally, label: str) -> None:
        deadline = time.monotonic() + RUN_TIMEOUT
        for n, proc in enumerate(self.procs):
            try:
                proc.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                tally.exit_codes["hung"] += 1
                tally.fail_run(f"{label}: run-pending pid {proc.pid} still running "
                               f"{RUN_TIMEOUT} s after the runs started; killed")
                kill_tree(proc.pid)
                proc.wait(timeout=30)
                continue
            stderr = (self.folder / f"run{n}.stderr").read_text(errors="replace")
            check_run(f"{label}: run-pending pid {proc.pid}", proc.returncode, stderr,
                      proc.pid in self.killed, tally)

    def stop_all(self) -> None:
        """Whatever happened, no run (nor its browser) outlives the round."""
        for proc in self.procs:
            if proc.poll() is None:
                kill_tree(proc.pid)
                proc.wait(timeout=30)


def owner_pid(owner: str | None) -> int | None:
    """A lease owner or attempt owner is `host:pid:token`."""
    try:
        return int(owner.rsplit(":", 2)[1]) if owner else None
    except (IndexError, ValueError):
        return None


def query(home: Path, sql: str) -> list[tuple]:
    """Read our database as the runs write it (WAL: a reader never blocks them)."""
    conn = sqlite3.connect(home / "gametime.db", timeout=15)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def claim_holders(home: Path) -> set[int]:
    rows = query(home, "SELECT lease_owner FROM bookings WHERE status = 'running'")
    return {pid for (owner,) in rows if (pid := owner_pid(owner)) is not None}


def submitters(home: Path) -> list[tuple[int, int, int, bool]]:
    """(pid, booking, attempt number, still in flight) of each submitted attempt, the
    latest submitted first; in flight: no result recorded yet."""
    rows = query(home, "SELECT owner, booking_id, number, finished_at IS NULL FROM attempts"
                       " WHERE submitted_at IS NOT NULL ORDER BY submitted_at DESC, id DESC")
    return [(pid, booking, number, bool(open_))
            for owner, booking, number, open_ in rows if (pid := owner_pid(owner)) is not None]


def kill_claim_holder(runs: Runs, home: Path, rng: random.Random, tally: Tally,
                      label: str) -> None:
    """Early: SIGKILL a run that holds a claim (claimed, logging in or loading forms)."""
    deadline = time.monotonic() + CLAIM_WAIT
    while time.monotonic() < deadline:
        holders = sorted(claim_holders(home) & set(runs.alive()))
        if holders:
            pid = rng.choice(holders)
            runs.kill(pid)
            print(f"{label}: killed run-pending pid {pid}, holding a claim", file=sys.stderr)
            tally.runs_killed += 1
            tally.killed_holding_claim += 1
            return
        time.sleep(0.05)
    tally.notes.append(f"{label}: no run held a claim within {CLAIM_WAIT:g} s; none killed early")


def kill_submitter(runs: Runs, home: Path, tally: Tally, label: str) -> None:
    """After the site took a save: SIGKILL the run whose attempt submitted it."""
    alive = runs.alive()
    submitted = submitters(home)
    in_flight = [s for s in submitted if s[3] and s[0] in alive]
    # None in flight: the answer was quicker than us; the latest submitter, if alive.
    target = in_flight[0] if in_flight else (submitted[:1] or [None])[0]
    if target is None or target[0] not in alive:
        tally.notes.append(f"{label}: the run that submitted the latest save had ended; "
                           "none killed")
        return
    pid, booking, number, flying = target
    runs.kill(pid)
    print(f"{label}: killed run-pending pid {pid}, whose attempt {number} of booking "
          f"{booking} submitted the save ("
          + ("no answer recorded yet)" if flying else "its answer already recorded)"),
          file=sys.stderr)
    tally.runs_killed += 1
    if flying:
        tally.killed_in_flight += 1
    else:
        tally.killed_after_result += 1


def one_round(index: int, args: argparse.Namespace, rng: random.Random, tally: Tally) -> None:
    label = f"round {index + 1}"
    config = SandboxConfig(users=[USER], timezone="UTC", window_days=6, opens_at=clock_time(9),
                           save_500=rng.choice([0.0, 0.2, 0.4]), delay=rng.choice([0, 0.2]),
                           seed=args.seed * 100 + index)
    with tempfile.TemporaryDirectory(prefix="gametime-soak-") as tmp, SandboxSite(config) as site:
        home = Path(tmp) / "home"
        day = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
        command(home, "club", "add", "sb", "--url", site.base_url,
                      "--accept-waiver", "--yes", "--timezone", "UTC",
                "--window-days", "6", "--opens-at", "09:00")
        command(home, "login", "--club", "sb", "--username", USER.username,
                "--password-stdin", "--store", "file", stdin=USER.password + "\n")
        for key, value in (("retry_base", "0.3"), ("max_attempts", "8"),
                           ("navigation_timeout", "3"), ("max_wait", "5")):
            command(home, "config", "set", key, value)
        # A lease of seconds, so that killed runs' bookings come back within the round;
        # `config set` refuses one this short (an attempt may outlast it), so it is
        # stored as is.
        with sqlite3.connect(home / "gametime.db") as conn:
            conn.execute("INSERT OR REPLACE INTO settings (key, value) VALUES"
                         " ('lease_seconds', '3')")
        conn.close()
        for n in range(args.bookings):
            at = f"{8 + n}:00"
            command(home, "book", day, at, "--club", "sb", "--court", str(1 + n % 6),
                    "--court", str(1 + (n + 1) % 6))
        tally.bookings += args.bookings
        if args.provoke == "foreign" and index == 0:  # a slot nobody asked for
            site.add_booking(6, datetime.fromisoformat(day).date(), 7 * 60,
                             user_id=USER.user_id, name=USER.name)
        if rng.random() < 0.5:
            site.set_save_answer_delay(4)  # saves book, then answer after the timeout
            tally.late_answers += 1

        runs = Runs(home, Path(tmp))
        try:
            runs.start(args.runs)
            tally.runs_started += args.runs
            # One run dies early (holding a claim); others die just as the site takes a
            # save, when the run that submitted it is waiting to learn whether it booked.
            time.sleep(rng.uniform(0.3, 1.5))
            kill_claim_holder(runs, home, rng, tally, label)
            for _ in range(rng.randint(1, 3)):
                seen = len(site.saves())
                deadline = time.monotonic() + SAVE_WAIT
                while len(site.saves()) == seen and time.monotonic() < deadline:
                    time.sleep(0.02)
                if len(site.saves()) > seen:
                    kill_submitter(runs, home, tally, label)
            runs.wait_all(tally, label)
        finally:
            runs.stop_all()

        site.set_save_answer_delay(0)
        env = {**os.environ, "GAMETIME_HOME": str(home)}
        for attempt in range(SETTLE_ROUNDS):  # cron, every few seconds
            if attempt == 3:
                site.set_save_500(0.0)
            listed = json.loads(command(home, "list", "--json").stdout)
            if all(b["status"] not in ("pending", "running") for b in listed):
                break
            time.sleep(1.0 if attempt else 3.2)  # first, let dead runs' leases lapse
            try:
                cron = subprocess.run([gametime(), "run-pending"], env=env, capture_output=True,
                                      text=True, timeout=RUN_TIMEOUT)
            except subprocess.TimeoutExpired:
                tally.fail_run(f"{label}: a cron-like run-pending took more than "
                               f"{RUN_TIMEOUT} s")
                continue
            check_run(f"{label}: cron-like run-pending {attempt + 1}", cron.returncode,
                      cron.stderr, False, tally)
        listed = json.loads(command(home, "list", "--json").stdout)
        site_bookings = site.bookings()
        tally.saves_500 += sum(1 for s in site.saves() if s["status"] == 500)

    ours_on_site: set[int] = set()
    for booking in listed:
        minutes = int(booking["time"][:2]) * 60 + int(booking["time"][3:])
        ours = [b for b in site_bookings if b["date"] == booking["date"]
                and b["time"] == minutes and any(p["u"] == USER.user_id for p in b["players"])]
        if len(ours) > 1:
            tally.double += 1
            tally.notes.append(f"{label}: booking {booking['id']} held "
                               f"{len(ours)} times on the site")
        if (booking["status"] == "confirmed" and len(ours) == 1
                and str(ours[0]["confirmation"]) == booking["confirmation"]
                and ours[0]["court"] in booking["courts"]):
            tally.confirmed += 1
            ours_on_site.add(ours[0]["id"])
        else:
            tally.lost += 1
            tally.notes.append(f"{label}: booking {booking['id']} ended "
                               f"{booking['status']} ({booking['last_error']}), "
                               f"{len(ours)} on the site")
    for held in site_bookings:
        if held["id"] not in ours_on_site:
            tally.foreign += 1
            tally.notes.append(
                f"{label}: the site holds booking {held['id']} (court {held['court']}, "
                f"{held['date']} {held['time'] // 60:02d}:{held['time'] % 60:02d}, "
                f"{held['players'][0]['name']}) that matches none of ours")
    tally.rounds += 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--bookings", type=int, default=6)
    parser.add_argument("--runs", type=int, default=8)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--provoke", choices=("foreign",),
                        help="book a slot nobody asked for on the site (see above)")
    args = parser.parse_args()
    if args.rounds < 1 or not 1 <= args.bookings <= 15 or args.runs < 1:
        parser.error("--rounds and --runs must be at least 1, --bookings 1 to 15")
    # SIGTERM ends the benchmark as Ctrl-C does: the runs it started are stopped.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    rng = random.Random(args.seed)
    tally = Tally()
    started = time.monotonic()
    try:
        for index in range(args.rounds):
            one_round(index, args, rng, tally)
            print(f"round {index + 1}/{args.rounds}: {tally.confirmed} confirmed, "
                  f"{tally.double} double, {tally.lost} lost, {tally.foreign} foreign, "
                  f"{tally.run_failures} runs failed so far", file=sys.stderr)
    except SetupFailed as exc:
        print(f"FAILED: {exc}")
        for note in tally.notes:
            print(f"  {note}")
        return 2
    codes = ", ".join(f"{code}: {count}" for code, count in sorted(
        tally.exit_codes.items(), key=lambda item: str(item[0])))
    print(f"rounds                       {tally.rounds}")
    print(f"run-pending started together {tally.runs_started} ({args.runs} a round)")
    print(f"runs killed with SIGKILL     {tally.runs_killed} ({tally.killed_holding_claim} "
          f"holding a claim, {tally.killed_in_flight} with a save submitted and unanswered, "
          f"{tally.killed_after_result} just after their save's answer)")
    print(f"saves answered 500           {tally.saves_500}")
    print(f"rounds with late save answers {tally.late_answers}")
    print(f"run-pending exit codes       {codes}")
    print(f"runs failed                  {tally.run_failures}")
    print(f"bookings registered          {tally.bookings}")
    print(f"confirmed, once on the site  {tally.confirmed}")
    print(f"double bookings              {tally.double}")
    print(f"bookings lost                {tally.lost}")
    print(f"foreign bookings on the site {tally.foreign}")
    print(f"took                         {time.monotonic() - started:.0f} s")
    for note in tally.notes:
        print(f"  {note}")
    failed = tally.double + tally.lost + tally.foreign + tally.run_failures
    if failed:
        print("FAILED: " + ", ".join(f"{n} {what}" for n, what in (
            (tally.double, "double"), (tally.lost, "lost"), (tally.foreign, "foreign"),
            (tally.run_failures, "run failure(s)")) if n))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
