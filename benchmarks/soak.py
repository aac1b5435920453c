"""Soak: overlapping runs, kill -9, a failing site — and count double and lost bookings.

Each round starts the sandbox site with faults (a share of saves answering 500, slow
answers, saves that book but answer late), registers bookings, starts several
`gametime run-pending` processes together with a real Chromium each, kills some of
them with SIGKILL at random moments, then runs `run-pending` as cron would until
nothing is left to do. At the end it compares our database with the site's own record.

    .venv/bin/python benchmarks/soak.py [--rounds 5] [--bookings 6] [--runs 8] [--seed 1]

Exit status 0 when no booking was made twice and none was lost.
"""

from __future__ import annotations

import argparse
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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gametime_cli.sandbox import SandboxConfig, SandboxSite, SandboxUser

USER = SandboxUser("soak.player", "soak-password", 4411, "Player, Soak")
SETTLE_ROUNDS = 30


@dataclass
class Tally:
    rounds: int = 0
    runs_started: int = 0
    runs_killed: int = 0
    killed_after_submit: int = 0
    saves_500: int = 0
    late_answers: int = 0
    bookings: int = 0
    confirmed: int = 0
    double: int = 0
    lost: int = 0
    notes: list[str] = field(default_factory=list)


def gametime() -> str:
    beside = Path(sys.executable).parent / "gametime"
    return str(beside) if beside.exists() else (shutil.which("gametime") or "gametime")


def command(home: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([gametime(), *args], input=stdin, capture_output=True, text=True,
                          timeout=300, env={**os.environ, "GAMETIME_HOME": str(home)})


def kill_some(runs: list[subprocess.Popen], rng: random.Random, tally: Tally,
              after_submit: bool) -> None:
    """SIGKILL one running run-pending and its browser (its whole process group)."""
    alive = [run for run in runs if run.poll() is None]
    if alive:
        os.killpg(rng.choice(alive).pid, signal.SIGKILL)
        tally.runs_killed += 1
        tally.killed_after_submit += int(after_submit)


def one_round(index: int, args: argparse.Namespace, rng: random.Random, tally: Tally) -> None:
    config = SandboxConfig(users=[USER], timezone="UTC", window_days=6, opens_at=clock_time(9),
                           save_500=rng.choice([0.0, 0.2, 0.4]), delay=rng.choice([0, 0.2]),
                           seed=args.seed * 100 + index)
    with tempfile.TemporaryDirectory(prefix="gametime-soak-") as tmp, SandboxSite(config) as site:
        home = Path(tmp) / "home"
        day = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
        command(home, "club", "add", "sb", "--url", site.base_url, "--timezone", "UTC",
                "--window-days", "6", "--opens-at", "09:00")
        command(home, "login", "--club", "sb", "--username", USER.username,
                "--password-stdin", "--store", "file", stdin=USER.password + "\n")
        for key, value in (("retry_base", "0.3"), ("max_attempts", "8"),
                           ("navigation_timeout", "3"), ("max_wait", "5")):
            command(home, "config", "set", key, value)
        # A lease of seconds, so that killed runs' bookings come back within the round;
        # `config set` refuses one this short (an attempt may outlast it), so it is
        # stored as is.
        with sqlite3.connect(Path(home) / "gametime.db") as conn:
            conn.execute("INSERT OR REPLACE INTO settings (key, value) VALUES"
                         " ('lease_seconds', '3')")
        for n in range(args.bookings):
            at = f"{8 + n}:00"
            command(home, "book", day, at, "--club", "sb", "--court", str(1 + n % 6),
                    "--court", str(1 + (n + 1) % 6))
        tally.bookings += args.bookings
        if rng.random() < 0.5:
            site.set_save_answer_delay(4)  # saves book, then answer after the timeout
            tally.late_answers += 1

        env = {**os.environ, "GAMETIME_HOME": str(home)}
        runs = []
        for _ in range(args.runs):
            runs.append(subprocess.Popen([gametime(), "run-pending", "--json"], env=env,
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                         start_new_session=True))
            tally.runs_started += 1
        # One run dies early (claimed, logging in); others die right after the site
        # takes a save, when some run is waiting to learn whether it booked.
        time.sleep(rng.uniform(0.3, 1.5))
        kill_some(runs, rng, tally, after_submit=False)
        for _ in range(rng.randint(1, 3)):
            seen = len(site.saves())
            deadline = time.monotonic() + 20
            while len(site.saves()) == seen and time.monotonic() < deadline:
                time.sleep(0.02)
            kill_some(runs, rng, tally, after_submit=len(site.saves()) > seen)
        for run in runs:
            try:
                run.wait(timeout=300)
            except subprocess.TimeoutExpired:
                os.killpg(run.pid, signal.SIGKILL)
                run.wait(timeout=30)

        site.set_save_answer_delay(0)
        for attempt in range(SETTLE_ROUNDS):  # cron, every few seconds
            if attempt == 3:
                site.set_save_500(0.0)
            listed = json.loads(command(home, "list", "--json").stdout)
            if all(b["status"] not in ("pending", "running") for b in listed):
                break
            time.sleep(1.0 if attempt else 3.2)  # first, let dead runs' leases lapse
            command(home, "run-pending")
        listed = json.loads(command(home, "list", "--json").stdout)
        tally.saves_500 += sum(1 for s in site.saves() if s["status"] == 500)
        for booking in listed:
            minutes = int(booking["time"][:2]) * 60 + int(booking["time"][3:])
            ours = [b for b in site.bookings() if b["date"] == booking["date"]
                    and b["time"] == minutes and any(p["u"] == USER.user_id for p in b["players"])]
            if len(ours) > 1:
                tally.double += 1
                tally.notes.append(f"round {index}: booking {booking['id']} held "
                                   f"{len(ours)} times on the site")
            if booking["status"] == "confirmed" and len(ours) == 1 \
                    and str(ours[0]["id"]) == booking["confirmation"]:
                tally.confirmed += 1
            else:
                tally.lost += 1
                tally.notes.append(f"round {index}: booking {booking['id']} ended "
                                   f"{booking['status']} ({booking['last_error']}), "
                                   f"{len(ours)} on the site")
        tally.rounds += 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--bookings", type=int, default=6)
    parser.add_argument("--runs", type=int, default=8)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    tally = Tally()
    started = time.monotonic()
    for index in range(args.rounds):
        one_round(index, args, rng, tally)
        print(f"round {index + 1}/{args.rounds}: {tally.confirmed} confirmed, "
              f"{tally.double} double, {tally.lost} lost so far", file=sys.stderr)
    print(f"rounds                       {tally.rounds}")
    print(f"run-pending started together {tally.runs_started} ({args.runs} a round)")
    print(f"runs killed with SIGKILL     {tally.runs_killed} "
          f"({tally.killed_after_submit} after the site had taken a save)")
    print(f"saves answered 500           {tally.saves_500}")
    print(f"rounds with late save answers {tally.late_answers}")
    print(f"bookings registered          {tally.bookings}")
    print(f"confirmed, once on the site  {tally.confirmed}")
    print(f"double bookings              {tally.double}")
    print(f"bookings lost                {tally.lost}")
    print(f"took                         {time.monotonic() - started:.0f} s")
    for note in tally.notes:
        print(f"  {note}")
    return 0 if tally.double == 0 and tally.lost == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
