"""Many accounts opening at one instant: one browser for the run, a context each.

For each count of accounts (1, 4, 8 and 16 by default) the sandbox opens a window at
T0 = now + 40 s, every account has a booking on its own court at that opening, and a
`gametime run-pending` started before T0 (as cron starts it) books them all. From the
site's own record: how many were booked, the first and the latest hold (form first
served) after T0, and forms asked for before T0. From /proc while the run works: the
largest proportional set size (PSS) of the whole process tree (gametime, Playwright's
driver, Chromium and its helpers) and its number of processes. The tree is not sampled
in the two seconds around T0, so that measuring does not slow the race.

    .venv/bin/python benchmarks/accounts.py [--counts 1 4 8 16] [--ahead 40]
        [--browsers headless lean] [--submits post page] [--latency MS] [--jitter MS]

Each count runs for each browser (`browser_mode`: the full Chromium, `headless`, and its
headless shell, `lean`) and each way of sending the save (`submit`), side by side;
`--latency MS --jitter MS` put a network between us and the site. The site scores
browsers (the sandbox's default), but for the headless shell, which it would refuse.

Exit 0 when every account was booked in every round, no form was asked for before T0,
and, for 8 accounts with the full browser, the latest hold came within 40 ms of T0
(100 ms on loopback, where the site shares the 2 cores) and the tree stayed within
1.25 GiB of PSS.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gametime_cli.sandbox import SandboxConfig, SandboxSite, SandboxUser

OFFSET = 2.5
"""The site's clock runs this far ahead of ours."""
HOLD_TARGET = 0.040
HOLD_TARGET_LOOPBACK = 0.100
PSS_TARGET = 1.25 * 1024 ** 3


def gametime() -> str:
    beside = Path(sys.executable).parent / "gametime"
    return str(beside) if beside.exists() else (shutil.which("gametime") or "gametime")


def tree(root: int) -> list[int]:
    """`root` and every process below it."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def pss_bytes(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1]) * 1024
                    break
        except OSError:
            continue
    return total


def one_round(accounts: int, ahead: float, browser: str, submit: str,
              network: dict[str, float]) -> dict[str, object]:
    users = [SandboxUser(f"player{n}", f"pw-{n}", 5000 + n, f"Player, N{n}")
             for n in range(accounts)]
    opening = (datetime.now(UTC) + timedelta(seconds=ahead)).replace(microsecond=0)
    config = SandboxConfig(users=users, timezone="UTC", window_days=1, courts=max(6, accounts),
                           opens_at=opening.time(), clock_offset=OFFSET,
                           bot_check=browser != "lean", **network)
    day = (opening + timedelta(days=1)).date()
    with tempfile.TemporaryDirectory(prefix="gametime-accounts-") as tmp, \
            SandboxSite(config) as site:
        env = {**os.environ, "GAMETIME_HOME": str(Path(tmp) / "home")}

        def command(*args: str, stdin: str | None = None) -> None:
            result = subprocess.run([gametime(), *args], input=stdin, env=env,
                                    capture_output=True, text=True, timeout=120)
            if result.returncode:
                raise SystemExit(f"gametime {' '.join(args)} exited {result.returncode}: "
                                 f"{result.stderr.strip()}")

        command("club", "add", "race", "--url", site.base_url,
                "--accept-waiver", "--yes", "--timezone", "UTC",
                "--window-days", "1", "--opens-at", opening.time().isoformat())
        command("config", "set", "browser_mode", browser)
        command("config", "set", "submit", submit)
        for n, user in enumerate(users):
            command("login", "--club", "race", "--username", user.username,
                    "--password-stdin", "--store", "file", "--no-verify",
                    stdin=user.password + "\n")
            command("book", day.isoformat(), "19:00", "--club", "race", "--account",
                    user.username, "--court", str(n + 1))
        if datetime.now(UTC) > opening - timedelta(seconds=5):
            raise SystemExit(f"setting up {accounts} accounts took too long; raise --ahead")
        run = subprocess.Popen([gametime(), "run-pending"], env=env, text=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        local_t0 = site.opens_at(day) - OFFSET
        most_pss, most_procs = 0, 0
        deadline = time.monotonic() + ahead + 120
        while run.poll() is None and time.monotonic() < deadline:
            if abs(time.time() - local_t0) > 1.0:
                pids = tree(run.pid)
                most_procs = max(most_procs, len(pids))
                sample = pss_bytes(pids)
                most_pss = max(most_pss, sample)
                if os.environ.get("PSS_TRACE"):
                    print(f"{time.time() - local_t0:7.1f} s {sample / 2**20:6.0f} MiB "
                          f"{len(pids)}", file=sys.stderr)
            time.sleep(0.25)
        if run.poll() is None:
            run.kill()
        _, err = run.communicate(timeout=60)
        t0 = site.opens_at(day)
        holds = sorted(f["at"] - t0 for f in site.form_loads())
        booked = sum(1 for s in site.saves() if s["booking_id"] is not None)
        return {"exit": run.returncode, "stderr": err.strip(), "holds": holds, "booked": booked,
                "early": sum(1 for h in holds if h < 0), "pss": most_pss, "procs": most_procs}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", type=int, nargs="+", default=[1, 4, 8, 16])
    parser.add_argument("--ahead", type=float, default=40.0,
                        help="seconds from the start of a round to its T0")
    parser.add_argument("--browsers", nargs="+", choices=("headless", "lean"),
                        default=["headless", "lean"])
    parser.add_argument("--submits", nargs="+", choices=("post", "page"),
                        default=["post", "page"])
    parser.add_argument("--latency", type=float, default=0.0, metavar="MS",
                        help="milliseconds each way between us and the site")
    parser.add_argument("--jitter", type=float, default=0.0, metavar="MS",
                        help="milliseconds each way's delay varies by, either side")
    args = parser.parse_args()
    network = {"latency": args.latency / 1000, "jitter": args.jitter / 1000}
    hold_target = HOLD_TARGET if args.latency >= 1 else HOLD_TARGET_LOOPBACK
    ok = True
    print(f"{'browser, submit':<16} {'accounts':>8} {'booked':>7} {'first hold':>11} "
          f"{'latest hold':>12} {'before T0':>10} {'max PSS':>9} {'processes':>10}")
    for browser in args.browsers:
        for submit in args.submits:
            for count in args.counts:
                result = one_round(count, args.ahead, browser, submit, network)
                holds = result["holds"]
                problems = []
                if result["exit"] != 0:
                    problems.append(f"run-pending exited {result['exit']}: "
                                    f"{result['stderr'][-300:]}")
                if result["booked"] < count or len(holds) < count:
                    problems.append(f"only {result['booked']} of {count} booked")
                if result["early"]:
                    problems.append(f"{result['early']} form(s) served before T0")
                first = f"{holds[0] * 1000:.0f} ms" if holds else "-"
                latest = f"{holds[-1] * 1000:.0f} ms" if holds else "-"
                pss = result["pss"] / 1024 ** 2
                print(f"{browser + ', ' + submit:<16} {count:>8} {result['booked']:>7} "
                      f"{first:>11} {latest:>12} {result['early']:>10} {pss:>6.0f} MiB "
                      f"{result['procs']:>10}", flush=True)
                if (browser != "lean" and count == 8 and holds
                        and (holds[-1] > hold_target or result["pss"] > PSS_TARGET)):
                    problems.append(f"8 accounts: latest hold over {hold_target * 1000:g} ms "
                                    f"or the tree over {PSS_TARGET / 2 ** 30:g} GiB of PSS")
                for problem in problems:
                    print(f"  {browser}, {submit}, {count} accounts: {problem}",
                          file=sys.stderr)
                ok &= not problems
    print("targets met" if ok else "targets NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
