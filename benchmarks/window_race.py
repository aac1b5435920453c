"""The race at the window's opening, measured by the site's own record of requests.

Each run starts the sandbox with a window opening at T0 = now + 30 s and the site's
clock 2.5 s ahead of ours, then lets gametime book it — `gametime watch` running, or
`gametime run-pending` started fresh as cron starts it, before T0 — and reads from the
site when the booking form was first served (the hold) and when the booking was
confirmed, both relative to T0 by the site's clock. A second scenario has 4 accounts
opening at the same T0.

    .venv/bin/python benchmarks/window_race.py [--runs 5] [--accounts-runs 2]
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gametime_cli.sandbox import SandboxConfig, SandboxSite, SandboxUser

OFFSET = 2.5
AHEAD = 30.0


def gametime() -> str:
    beside = Path(sys.executable).parent / "gametime"
    return str(beside) if beside.exists() else (shutil.which("gametime") or "gametime")


def one_run(mode: str, accounts: int = 1) -> dict[str, object]:
    users = [SandboxUser(f"player{n}", f"pw-{n}", 4411 + n, f"Player, N{n}")
             for n in range(accounts)]
    opening = (datetime.now(UTC) + timedelta(seconds=AHEAD)).replace(microsecond=0)
    config = SandboxConfig(users=users, timezone="UTC", window_days=1,
                           opens_at=opening.time(), clock_offset=OFFSET)
    day = (opening + timedelta(days=1)).date()
    with tempfile.TemporaryDirectory(prefix="gametime-race-") as tmp, SandboxSite(config) as site:
        env = {**os.environ, "GAMETIME_HOME": str(Path(tmp) / "home")}

        def command(*args: str, stdin: str | None = None) -> None:
            result = subprocess.run([gametime(), *args], input=stdin, env=env,
                                    capture_output=True, text=True, timeout=120)
            if result.returncode:
                raise SystemExit(f"gametime {' '.join(args)}: {result.stderr.strip()}")

        command("club", "add", "race", "--url", site.base_url, "--timezone", "UTC",
                "--window-days", "1", "--opens-at", opening.time().isoformat())
        for user in users:
            command("login", "--club", "race", "--username", user.username,
                    "--password-stdin", "--store", "file", stdin=user.password + "\n")
        watcher = None
        if mode == "watch":
            watcher = subprocess.Popen([gametime(), "watch"], env=env,
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(1.0)
        for n, user in enumerate(users):
            command("book", day.isoformat(), "19:00", "--club", "race", "--account",
                    user.username, "--court", str(n + 1))
        runner = None
        if mode == "run-pending":  # cron starts a fresh process before the opening
            runner = subprocess.Popen([gametime(), "run-pending"], env=env,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + AHEAD + 60
        while (sum(1 for s in site.saves() if s["status"] == 302) < accounts
               and time.monotonic() < deadline):
            time.sleep(0.05)
        if runner is not None:
            runner.wait(timeout=120)
        if watcher is not None:
            watcher.send_signal(signal.SIGTERM)
            watcher.wait(timeout=60)
        t0 = site.opens_at(day)
        holds = sorted(f["at"] - t0 for f in site.form_loads())
        confirms = sorted(s["at"] - t0 for s in site.saves() if s["status"] == 302)
        too_early = sum(1 for r in site.requests() if "/bookerror" in r["path"])
        local_t0 = t0 - OFFSET
        next_minute = math.ceil(local_t0 / 60) * 60
        return {"holds": holds, "confirms": confirms, "too_early": too_early,
                "poll_wait": next_minute - local_t0}


def summary(name: str, values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return (f"{name:<34} median {statistics.median(ms):8.1f} ms   worst {max(ms):8.1f} ms"
            f"   best {min(ms):8.1f} ms   (n={len(ms)})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--accounts-runs", type=int, default=2)
    args = parser.parse_args()
    ok = True
    polls: list[float] = []
    for mode in ("watch", "run-pending"):
        holds, confirms, early = [], [], 0
        for index in range(args.runs):
            run = one_run(mode)
            holds.append(run["holds"][0])
            confirms.append(run["confirms"][0])
            early += run["too_early"]
            polls.append(run["poll_wait"])
            print(f"{mode} run {index + 1}: hold {run['holds'][0] * 1000:.1f} ms, "
                  f"confirmed {run['confirms'][0] * 1000:.1f} ms", file=sys.stderr)
        print(f"--- {mode} ({args.runs} runs, site clock {OFFSET:+} s, T0 = start + {AHEAD:g} s)")
        print(summary("hold (form first served) - T0", holds))
        print(summary("confirmed - T0", confirms))
        print(f"{'forms asked for before T0':<34} {early}")
        ok &= (statistics.median(holds) <= 0.025 and max(holds) <= 0.150 and min(holds) >= 0
               and statistics.median(confirms) <= 0.5 and max(confirms) <= 1.5)
    spreads = []
    for index in range(args.accounts_runs):
        run = one_run("run-pending", accounts=4)
        spreads.append(run["holds"][-1])
        print(f"4 accounts run {index + 1}: holds "
              f"{', '.join(f'{h * 1000:.0f}' for h in run['holds'])} ms", file=sys.stderr)
    print(f"--- 4 accounts at the same T0 ({args.accounts_runs} runs, run-pending)")
    print(summary("latest of the 4 holds - T0", spreads))
    ok &= max(spreads) <= 0.300
    print("--- polling once a minute (the scripts players share), same openings")
    print(f"{'first tick after T0':<34} median {statistics.median(polls):8.1f} s    "
          f"worst {max(polls):8.1f} s   (then a cold browser start and login)")
    print("targets met" if ok else "targets NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
