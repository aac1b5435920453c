"""Benchmark a large history: `list`, `list --all --json` and an idle `watch`.

A player who has used gametime for years has tens of thousands of bookings, nearly all
of them played long ago. This script fills a temporary data home (GAMETIME_HOME) with
`--bookings` of them (100,000 by default) in one transaction: `--pending` still to run,
their windows opening from tomorrow on, and the rest finished over the past years
(confirmed, cancelled, failed, missed), one attempt each. Then, running the installed
command as a player does:

- `gametime list`: the median wall time of `--runs` runs; it must list what is still to
  come and say how many more there are;
- `gametime list --all --json`: wall time and peak RSS (the child's ru_maxrss), at
  `--bookings` and at a tenth of them, to show that the memory stays flat: the array
  is written booking by booking from an SQLite cursor;
- `gametime watch` in a pseudo-terminal, idle (nothing opens for hours): the CPU it
  uses over `--seconds` after its first screen, from /proc (every thread's schedstat,
  in ns), then stopped with SIGINT (it must exit 130).

    .venv/bin/python benchmarks/history.py [--bookings 100000] [--pending 2000]
        [--runs 5] [--seconds 20]

Targets: `list` ≤ 0.3 s; `list --all --json` ≤ 3 s, its peak RSS at most 10 % (and
8 MiB) above that at a tenth of the bookings; `watch` idle ≤ 0.1 % of a core.

Exit status: 0 when every target is met; 1 when one is missed (each miss is a line
starting `missed`); 2 when a command fails or prints what it must not.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import pty
import select
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from pathlib import Path

LIST_TARGET = 0.3
JSON_TARGET = 3.0
RSS_GROWTH = 0.10
RSS_SLACK = 8 * 1024 * 1024
WATCH_TARGET = 0.1
"""Percent of one core."""
CLUB = "bench"
WINDOW_DAYS = 2
SLOTS = [dtime(6 + i // 2, 30 * (i % 2)) for i in range(36)]
"""Half-hour slots from 06:00 to 23:30: each booking gets its own day and time."""
FINISHED = ("confirmed", "confirmed", "confirmed", "cancelled", "failed", "missed")
TIMEOUT = 120


class BenchmarkFailure(Exception):
    """A command failed, or printed what it must not."""


@dataclass(frozen=True)
class Measured:
    seconds: float
    peak_rss: int
    """Bytes."""


def gametime() -> str:
    beside = Path(sys.executable).parent / "gametime"
    return str(beside) if beside.exists() else (shutil.which("gametime") or "gametime")


def command(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([gametime(), *args], env=env, capture_output=True, text=True,
                          timeout=TIMEOUT)
    if proc.returncode != 0:
        raise BenchmarkFailure(f"gametime {' '.join(args)} exited {proc.returncode}: "
                               f"{proc.stderr.strip()[-300:]}")
    return proc


# -- the data home -----------------------------------------------------------------------


def fill_home(home: Path, bookings: int, pending: int) -> None:
    """`pending` bookings still to run and the rest finished in the past, in one
    transaction, with the columns `Store.add_booking` and a run's `finish` write."""
    from gametime_cli.booking.windows import local_instant, window_opens_at
    from gametime_cli.clock import to_iso, utcnow
    from gametime_cli.store import Store

    env = {**os.environ, "GAMETIME_HOME": str(home)}
    command(env, "club", "add", CLUB, "--url", "simulate:?seed=1", "--timezone",
            "Europe/Paris", "--window-days", str(WINDOW_DAYS), "--opens-at", "08:00")
    store = Store.open(home)
    try:
        club = store.get_club(CLUB)
        zone, now = club.zone, utcnow()
        today = now.astimezone(zone).date()
        stamp = to_iso(now)
        rows, attempts = [], []
        for i in range(bookings):
            if i < pending:
                day = today + timedelta(days=WINDOW_DAYS + 1 + i // len(SLOTS))
                status = "pending"
            else:
                back = i - pending
                day = today - timedelta(days=1 + back // len(SLOTS))
                status = FINISHED[back % len(FINISHED)]
            slot = SLOTS[i % len(SLOTS)]
            opens = window_opens_at(day, club.window_days, club.opens_at, zone)
            start = local_instant(day, slot, zone)
            confirmed = status in ("confirmed", "cancelled")
            rows.append((
                i + 1, club.id, day.isoformat(), slot.strftime("%H:%M"), (60, 90)[i % 2],
                json.dumps([1 + i % 6]), json.dumps([f"Partner {i % 97}"]),
                ("singles", "doubles")[i % 2], status, to_iso(opens), to_iso(opens),
                to_iso(start), min(stamp, to_iso(opens)), stamp,
                1 + i % 6 if confirmed else None, f"GT{100000 + i}" if confirmed else None,
                "court 2 is booked" if status == "failed" else None,
            ))
            if status != "pending":
                ended = to_iso(opens + timedelta(seconds=2))
                attempts.append((i + 1, 1, "bench", to_iso(opens), ended,
                                 "confirmed" if confirmed else "taken"))
        with store.transaction() as conn:
            conn.executemany(
                "INSERT INTO bookings (id, club_id, day, time, duration, courts, partners,"
                " type, status, execute_at, due_at, slot_start, created_at, updated_at,"
                " court, confirmation, last_error)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
            conn.executemany(
                "INSERT INTO attempts (booking_id, number, owner, started_at, finished_at,"
                " outcome) VALUES (?, ?, ?, ?, ?, ?)", attempts)
        if store.has_due(utcnow(), utcnow() + timedelta(hours=1)):
            raise BenchmarkFailure("bug: a benchmark booking opens within the hour")
    finally:
        store.close()


# -- list ----------------------------------------------------------------------------------


def time_list(env: dict[str, str], runs: int, pending: int) -> float:
    """The median wall time of `gametime list`, after checking what it prints."""
    first = command(env, "list")
    lines = first.stdout.splitlines()
    if not any(" pending " in line for line in lines) or not lines[-1].startswith("… "):
        raise BenchmarkFailure("'gametime list' shows no pending booking or no 'more' line: "
                               + " | ".join(lines[-3:]))
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        command(env, "list")
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def list_all_json(env: dict[str, str], expected: int, folder: Path) -> Measured:
    """`gametime list --all --json` into a file: its wall time and peak RSS. (This
    process stays small, never loading the data: a child's ru_maxrss counts the memory
    of the process it was forked from.)"""
    out = folder / "list.json"
    with out.open("wb") as sink:
        start = time.perf_counter()
        proc = subprocess.Popen([gametime(), "list", "--all", "--json"], env=env,
                                stdout=sink, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise BenchmarkFailure(f"'gametime list --all --json' exited {proc.returncode}")
    check = subprocess.run([sys.executable, "-c", "import json, sys; "
                            "print(len(json.load(open(sys.argv[1]))))", str(out)],
                           capture_output=True, text=True, timeout=TIMEOUT)
    out.unlink()
    if check.stdout.strip() != str(expected):
        raise BenchmarkFailure(f"'gametime list --all --json' printed no JSON array of "
                               f"{expected} bookings: {(check.stdout + check.stderr)[-300:]}")
    return Measured(seconds, usage.ru_maxrss * 1024)


# -- watch ---------------------------------------------------------------------------------


def cpu_ns(pid: int) -> int:
    """CPU time of every thread of `pid` so far, in ns (/proc/PID/task/*/schedstat)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            continue
    return total


def watch_idle(env: dict[str, str], seconds: float) -> float:
    """`gametime watch` in a pseudo-terminal: percent of a core it uses, idle."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    proc = subprocess.Popen([gametime(), "watch"], env={**env, "TERM": "xterm-256color"},
                            stdin=slave, stdout=slave, stderr=slave, start_new_session=True)
    os.close(slave)
    screen = bytearray()
    seen = threading.Event()

    def drain() -> None:  # the terminal must be read, or the watch blocks writing
        while True:
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:
                    return
                if not chunk:
                    return
                screen.extend(chunk)
                if b"Next bookings" in screen:
                    seen.set()
            elif proc.poll() is not None:
                return

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        if not seen.wait(30):
            raise BenchmarkFailure("'gametime watch' drew no screen in 30 s: "
                                   + screen.decode(errors="replace")[-300:])
        time.sleep(2)  # its start-up is over
        cpu0, wall0 = cpu_ns(proc.pid), time.monotonic()
        time.sleep(seconds)
        if proc.poll() is not None:
            raise BenchmarkFailure(f"'gametime watch' ended ({proc.returncode}) while idle: "
                                   + screen.decode(errors="replace")[-300:])
        used = (cpu_ns(proc.pid) - cpu0) / 1e9 / (time.monotonic() - wall0)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        reader.join(timeout=2)
        os.close(master)
    if proc.returncode != 130:
        raise BenchmarkFailure(f"'gametime watch' stopped with SIGINT exited "
                               f"{proc.returncode}, not 130")
    return used * 100


# -- main ----------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--bookings", type=int, default=100_000)
    parser.add_argument("--pending", type=int, default=2_000)
    parser.add_argument("--runs", type=int, default=5, help="timed `list` runs (median)")
    parser.add_argument("--seconds", type=float, default=20.0,
                        help="how long the idle watch is measured")
    args = parser.parse_args()
    if args.bookings < 10 or not 1 <= args.pending <= args.bookings // 10:
        parser.error("--bookings at least 10; --pending from 1 to a tenth of --bookings")
    return args


def main() -> int:
    args = parse_args()
    small = args.bookings // 10
    misses: list[str] = []
    try:
        with tempfile.TemporaryDirectory(prefix="gametime-history-") as folder:
            homes = {}
            for count in (small, args.bookings):
                home = Path(folder) / f"home-{count}"
                filled = subprocess.run(  # in a child: this process stays small
                    [sys.executable, __file__, "--fill", str(home), str(count),
                     str(max(1, args.pending * count // args.bookings))],
                    capture_output=True, text=True, timeout=TIMEOUT)
                if filled.returncode != 0:
                    raise BenchmarkFailure(f"filling {home} failed: {filled.stderr[-300:]}")
                homes[count] = {**os.environ, "GAMETIME_HOME": str(home)}
                homes[count].pop("GAMETIME_NOW", None)
            env = homes[args.bookings]
            listed = time_list(env, args.runs, args.pending)
            dumps = {count: list_all_json(homes[count], count, Path(folder))
                     for count in (small, args.bookings)}
            idle = watch_idle(env, args.seconds)
    except BenchmarkFailure as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        return 2
    big, little = dumps[args.bookings], dumps[small]
    mib = 1024 * 1024
    print(f"gametime list, {args.bookings:,} bookings: median {listed:.3f} s "
          f"of {args.runs} (target ≤ {LIST_TARGET} s)")
    for count, m in sorted(dumps.items()):
        print(f"gametime list --all --json, {count:,} bookings: {m.seconds:.2f} s, "
              f"peak RSS {m.peak_rss / mib:.1f} MiB")
    print(f"gametime watch idle in a terminal, {args.bookings:,} bookings: {idle:.3f} % "
          f"of a core over {args.seconds:g} s (target ≤ {WATCH_TARGET} %)")
    print(f"({datetime.now(UTC):%Y-%m-%d %H:%M} UTC, Python {sys.version.split()[0]}, "
          f"{os.cpu_count()} CPUs)")
    if listed > LIST_TARGET:
        misses.append(f"list took {listed:.3f} s")
    if big.seconds > JSON_TARGET:
        misses.append(f"list --all --json took {big.seconds:.2f} s")
    if big.peak_rss > little.peak_rss * (1 + RSS_GROWTH) + RSS_SLACK:
        misses.append(f"list --all --json's peak RSS grew from {little.peak_rss / mib:.1f} "
                      f"to {big.peak_rss / mib:.1f} MiB")
    if idle > WATCH_TARGET:
        misses.append(f"watch used {idle:.3f} % of a core idle")
    for miss in misses:
        print(f"missed: {miss}")
    return 1 if misses else 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--fill"]:  # history.py --fill HOME BOOKINGS PENDING
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
        fill_home(Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
        sys.exit(0)
    sys.exit(main())
