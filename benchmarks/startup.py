"""Start-up: `gametime --help`, an idle `run-pending` and `list`, through the fast paths
in `gametime_cli/cli/__init__.py` and through the full Typer command, against the floor
any Typer + Rich CLI pays, `python -c "import typer, rich"`.

Each figure is the median wall time of N whole processes (subprocess, perf_counter),
run in turns after one warm-up. "fast" is the installed `gametime` script beside the
Python (its fast paths answer what they know and hand the rest to Typer); "full" is the
Typer command itself, `python -c "...; sys.exit(app.run(sys.argv[1:]))" ARGS`. The data
home is a temporary one (GAMETIME_HOME) with a club and a few bookings whose windows
open weeks ahead, so `run-pending` stays idle and `list` prints a table. Both paths
must exit 0 with the same stdout and stderr, or the benchmark fails (exit 2).

    .venv/bin/python benchmarks/startup.py [--runs 21] [--python /tmp/venv-0.28/bin/python]

`--python` adds another environment with the project installed in it (e.g. Typer 0.28);
repeatable. Exit 0 when every idle `run-pending` through the fast path is under 2x the
baseline, 1 otherwise.

Figures (2026-12-02, Python 3.11.7, 2 cores shared with other work; median ms and
x baseline). Before this change (Rich help, the fast paths written by hand), 21 runs:

    typer 0.29.2    baseline    50      fast          full
      --help                         146 (2.9x)    145 (2.9x)
      run-pending                     52 (1.1x)    164 (3.3x)
      list                            81 (1.6x)    186 (3.7x)
    typer 0.28.0    baseline    47      fast          full
      --help                         142 (3.0x)    143 (3.1x)
      run-pending                     53 (1.1x)    100 (2.1x)
      list                            80 (1.7x)    123 (2.6x)

After (plain help, the fast paths as one table), 31 runs:

    typer 0.29.2    baseline    51      fast          full
      --help                          90 (1.8x)     89 (1.8x)
      run-pending                     45 (0.9x)    162 (3.2x)
      list                            74 (1.5x)    186 (3.7x)
    typer 0.28.0    baseline    49      fast          full
      --help                          88 (1.8x)     88 (1.8x)
      run-pending                     46 (0.9x)     98 (2.0x)
      list                            75 (1.5x)    122 (2.5x)

Decision (issue 23, part 3): the hand-made paths stay, and no upper bound on Typer buys
them out (pyproject: `typer>=0.28`, the oldest tried). Through the full command an idle
tick costs 3.2x the baseline under Typer 0.29 (pydantic converts the values); under 0.28
2.0-2.1x, on the 2x target with no room, at the price of pinning an older Typer, and it
would load Typer and Rich on every cron tick (tests/test_run_pending.py holds the idle
tick to neither). `list` through the full command is 2.5x even under 0.28. The fast
paths are one table, `FAST_FORMS` in `gametime_cli/cli/__init__.py`, and
tests/test_cli_misc.py holds every form it answers to the full command's stdout, stderr
and exit code. (`--help` is never a fast form: it goes to Typer either way; plain help,
without Rich's panels, took about 55 ms off it.)
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_RATIO = 2.0
BASELINE = ["-c", "import typer, rich"]
FULL = ["-c", "import sys; from gametime_cli.cli import app; sys.exit(app.run(sys.argv[1:]))"]
CASES = (("--help",), ("run-pending",), ("list",))
TIMEOUT = 60


class BenchmarkFailure(Exception):
    """A command failed, or the two paths answered differently."""


def run(cmd: list[str], env: dict[str, str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    """One whole process: its wall time in ms and what it printed."""
    start = time.perf_counter()
    try:
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        raise BenchmarkFailure(f"{' '.join(cmd)!r} took more than {TIMEOUT} s") from None
    elapsed = (time.perf_counter() - start) * 1000
    if proc.returncode != 0:
        raise BenchmarkFailure(f"{' '.join(cmd)!r} exited {proc.returncode}: "
                               f"{proc.stderr.strip()[:300]}")
    return elapsed, proc


def fill_home(gametime: str, env: dict[str, str], bookings: int) -> None:
    """A club whose days open two days ahead, and bookings from three weeks on."""
    run([gametime, "club", "add", "bench", "--url", "simulate:", "--timezone", "UTC",
         "--window-days", "2", "--opens-at", "08:00"], env)
    for i in range(bookings):
        run([gametime, "book", f"+{21 + i}d", "19:00", "--club", "bench"], env)


def commands(python: str) -> dict[str, list[str]]:
    """Each timed command line, by label: the baseline, then each case fast and full."""
    gametime = str(Path(python).parent / "gametime")
    lines = {"baseline": [python, *BASELINE]}
    for case in CASES:
        lines[f"{case[0]} fast"] = [gametime, *case]
        lines[f"{case[0]} full"] = [python, *FULL, *case]
    return lines


def measure(python: str, runs: int, bookings: int) -> dict[str, float]:
    """The median ms of each command line for this Python, in a home of its own."""
    with tempfile.TemporaryDirectory(prefix="gametime-startup-") as home:
        env = {**os.environ, "GAMETIME_HOME": home, "COLUMNS": "80"}
        env.pop("GAMETIME_DEBUG", None)
        lines = commands(python)
        fill_home(lines["list fast"][0], env, bookings)
        for case in CASES:  # the warm-up, and the two paths must agree
            fast = run(lines[f"{case[0]} fast"], env)[1]
            full = run(lines[f"{case[0]} full"], env)[1]
            if (fast.stdout, fast.stderr) != (full.stdout, full.stderr):
                raise BenchmarkFailure(f"'gametime {case[0]}' prints differently through "
                                       "the fast path and the full command")
        run(lines["baseline"], env)
        samples: dict[str, list[float]] = {label: [] for label in lines}
        for _ in range(runs):
            for label, cmd in lines.items():
                samples[label].append(run(cmd, env)[0])
    return {label: statistics.median(times) for label, times in samples.items()}


def typer_version(python: str) -> str:
    proc = subprocess.run([python, "-c", "import typer; print(typer.__version__)"],
                          capture_output=True, text=True, timeout=TIMEOUT, check=True)
    return proc.stdout.strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=21, help="timed runs of each (default 21)")
    parser.add_argument("--bookings", type=int, default=3,
                        help="bookings in the home, weeks ahead (default 3)")
    parser.add_argument("--python", action="append", default=[],
                        help="another environment's Python, with the project installed")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.bookings < 0:
        parser.error("--runs must be at least 1, --bookings at least 0")
    slow = False
    print(f"{args.runs} runs each, median ms (x baseline); Python {sys.version.split()[0]}")
    for python in [sys.executable, *args.python]:
        try:
            version = typer_version(python)
            medians = measure(python, args.runs, args.bookings)
        except (BenchmarkFailure, subprocess.CalledProcessError) as exc:
            print(f"startup: {python}: {exc}", file=sys.stderr)
            return 2
        base = medians["baseline"]
        print(f"typer {version:<8}  baseline {base:5.0f}      fast          full")
        for case in CASES:
            fast, full = medians[f"{case[0]} fast"], medians[f"{case[0]} full"]
            print(f"  {case[0]:<12}                 {fast:5.0f} ({fast / base:.1f}x)  "
                  f"{full:5.0f} ({full / base:.1f}x)")
        slow = slow or medians["run-pending fast"] / base >= TARGET_RATIO
    if slow:
        print(f"startup: an idle run-pending took {TARGET_RATIO:g}x the baseline or more",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
