"""Benchmark the idle tick: `gametime run-pending` with nothing due, as cron runs it.

Cron calls `gametime run-pending` every minute; with nothing due it must stay cheap and
must not import the browser automation or keyring code. This script fills a temporary
data home with many pending bookings whose windows open in the future (plus some
finished ones with their attempts), then compares the median wall time of the idle run
with the floor any Typer + Rich CLI pays, `python -c "import typer, rich"`.

Run it from the project root with the project's virtualenv:

    .venv/bin/python benchmarks/idle_tick.py [--runs N] [--bookings N] [--verbose]

Exit status: 0 when the ratio is under 2 and the idle path is clean; 1 when the ratio is
2 or more; 2 when the idle run misbehaves (fails, prints something) or imports
playwright, keyring or cryptography.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path

TARGET_RATIO = 2.0
CLUB = "bench"
WINDOW_DAYS = 2
SPREAD_DAYS = 300
"""The pending bookings are spread over this many days (more if they don't fit)."""
SLOTS_PER_DAY = 36
"""Half-hour slots from 06:00 to 23:30: every pending booking gets its own day and time."""
FORBIDDEN = ("playwright", "keyring", "cryptography")
"""Imported on the idle path, these fail the benchmark."""
UNWANTED = ("sqlite_utils",)
"""Imported on the idle path, these are reported (the store needs them only to migrate)."""
BASELINE_CODE = "import typer, rich"


class BenchmarkFailure(Exception):
    """The idle run did something an idle run must not do."""


@dataclass(frozen=True)
class ImportLine:
    name: str
    depth: int
    self_us: int
    cumulative_us: int


@dataclass(frozen=True)
class Timings:
    samples_ms: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.samples_ms)

    @property
    def minimum(self) -> float:
        return min(self.samples_ms)


# -- setup -----------------------------------------------------------------------------


def find_gametime() -> str:
    beside = Path(sys.executable).parent / "gametime"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which("gametime")
    if found is None:
        raise BenchmarkFailure(
            "no 'gametime' executable beside this Python or on PATH; "
            "install the project (pip install -e .) into this environment"
        )
    return found


def run_checked(cmd: list[str], env: dict[str, str], what: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise BenchmarkFailure(
            f"{what} exited {proc.returncode}: {proc.stderr.strip() or proc.stdout.strip()}"
        )
    return proc


def fill_home(home: Path, pending: int, finished: int) -> None:
    """Insert `pending` future bookings and `finished` past ones, each with an attempt.

    Rows mirror what `Store.add_booking` (and a run's `finish`) write, in one
    transaction: adding them one by one through the CLI would take minutes.
    """
    from gametime_cli.clock import to_iso, utcnow
    from gametime_cli.store import Store
    from gametime_cli.windows import local_instant, window_opens_at

    store = Store.open(home)
    try:
        club = store.get_club(CLUB)
        zone = club.zone
        now = utcnow()
        today = now.astimezone(zone).date()
        stamp = to_iso(now)
        slots = [dtime(6 + i // 2, 30 * (i % 2)) for i in range(SLOTS_PER_DAY)]
        days = max(SPREAD_DAYS, -(-pending // SLOTS_PER_DAY))
        first_day = today + timedelta(days=club.window_days + 1)

        booking_rows: list[tuple[object, ...]] = []
        for i in range(pending):
            day = first_day + timedelta(days=i % days)
            slot = slots[i // days]
            opens = window_opens_at(day, club.window_days, club.opens_at, zone)
            if opens <= now:
                raise BenchmarkFailure(f"bug: the window for {day} {slot} is already open")
            booking_rows.append(
                _booking_row(i, club.id, day, slot, "pending", to_iso(opens),
                             to_iso(local_instant(day, slot, zone)), stamp)
            )

        attempt_rows: list[tuple[object, ...]] = []
        finished_rows: list[tuple[object, ...]] = []
        with store.transaction() as conn:
            next_id = conn.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM bookings").fetchone()[0]
            for i in range(finished):
                booking_id = next_id + i
                day = today - timedelta(days=1 + i % SPREAD_DAYS)
                slot = slots[(i // SPREAD_DAYS) % SLOTS_PER_DAY]
                opens = window_opens_at(day, club.window_days, club.opens_at, zone)
                started = opens + timedelta(seconds=1)
                ended = started + timedelta(seconds=4)
                confirmed = i % 4 != 0
                status = "confirmed" if confirmed else "cancelled"
                row = list(_booking_row(i, club.id, day, slot, status, to_iso(opens),
                                        to_iso(local_instant(day, slot, zone)), to_iso(ended)))
                court = 1 + i % 6 if confirmed else None
                confirmation = f"GT{100000 + i}" if confirmed else None
                error = None if confirmed else "timed out waiting for the site"
                finished_rows.append((booking_id, *row, court, confirmation, error))
                attempt_rows.append(
                    (booking_id, 1, "bench-host:4242:0123456789abcdef", to_iso(started),
                     to_iso(ended), "confirmed" if confirmed else "transient",
                     court, confirmation, error)
                )
            conn.executemany(
                "INSERT INTO bookings (id, club_id, account, day, time, duration, courts,"
                " partners, type, status, execute_at, due_at, slot_start, created_at,"
                " updated_at, court, confirmation, last_error)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                finished_rows,
            )
            conn.executemany(
                "INSERT INTO attempts (booking_id, number, owner, started_at, finished_at,"
                " outcome, court, confirmation, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                attempt_rows,
            )
            conn.executemany(
                "INSERT INTO bookings (club_id, account, day, time, duration, courts, partners,"
                " type, status, execute_at, due_at, slot_start, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                booking_rows,
            )
        counts = dict(
            store.conn.execute("SELECT status, COUNT(*) FROM bookings GROUP BY status").fetchall()
        )
        if counts.get("pending", 0) != pending:
            raise BenchmarkFailure(f"expected {pending} pending bookings, the store has {counts}")
        if store.has_due(utcnow()):
            raise BenchmarkFailure("bug: a benchmark booking is already due")
    finally:
        store.close()


def _booking_row(
    i: int, club_id: int, day: date, slot: dtime, status: str, opens_iso: str,
    slot_iso: str, stamp: str,
) -> tuple[object, ...]:
    """The columns `Store.add_booking` writes, with a little variety between rows."""
    courts = [1 + (i + k) % 6 for k in range(1 + i % 3)]
    partners = [f"Partner {i % 97}"] if i % 2 else [f"Partner {i % 89}", f"Partner {i % 83}"]
    booking_type = ("singles", "doubles", None)[i % 3]
    duration = (60, 90, 120)[i % 3]
    return (club_id, None, day.isoformat(), slot.strftime("%H:%M"), duration,
            json.dumps(courts), json.dumps(partners), booking_type, status,
            opens_iso, opens_iso, slot_iso, stamp, stamp)


# -- measuring -------------------------------------------------------------------------


def idle_run(gametime: str, env: dict[str, str]) -> float:
    """One `gametime run-pending`; its wall time in ms, after checking it stayed idle."""
    cmd = [gametime, "run-pending"]
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    elapsed = (time.perf_counter() - start) * 1000
    if proc.returncode != 0:
        raise BenchmarkFailure(
            f"'gametime run-pending' exited {proc.returncode}: {proc.stderr.strip()}"
        )
    if proc.stdout:
        raise BenchmarkFailure(
            f"an idle run must print nothing, but 'gametime run-pending' printed: "
            f"{proc.stdout.strip()[:300]!r}"
        )
    return elapsed


def baseline_run(env: dict[str, str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", BASELINE_CODE], env=env, capture_output=True)
    elapsed = (time.perf_counter() - start) * 1000
    if proc.returncode != 0:
        raise BenchmarkFailure(
            f"python -c {BASELINE_CODE!r} exited {proc.returncode}: "
            f"{proc.stderr.decode(errors='replace').strip()}"
        )
    return elapsed


def measure(gametime: str, env: dict[str, str], runs: int) -> tuple[Timings, Timings]:
    idle_run(gametime, env)
    baseline_run(env)
    idle: list[float] = []
    base: list[float] = []
    for _ in range(runs):
        idle.append(idle_run(gametime, env))
        base.append(baseline_run(env))
    return Timings(idle), Timings(base)


# -- what the idle path imports ----------------------------------------------------------


def parse_importtime(stderr: str) -> list[ImportLine]:
    """Lines like 'import time:       310 |       1520 |   typer.main'."""
    lines: list[ImportLine] = []
    for raw in stderr.splitlines():
        if not raw.startswith("import time:"):
            continue
        parts = raw[len("import time:"):].split("|")
        if len(parts) != 3:
            continue
        try:
            self_us, cumulative_us = int(parts[0]), int(parts[1])
        except ValueError:  # the header line
            continue
        name_field = parts[2][1:] if parts[2].startswith(" ") else parts[2]
        name = name_field.lstrip(" ")
        depth = (len(name_field) - len(name)) // 2
        lines.append(ImportLine(name.strip(), depth, self_us, cumulative_us))
    return lines


def importer_chain(lines: list[ImportLine], index: int) -> list[str]:
    """Who imported lines[index]: each importer is the next line with a smaller depth."""
    chain = [lines[index].name]
    depth = lines[index].depth
    for line in lines[index + 1:]:
        if line.depth < depth:
            chain.append(line.name)
            depth = line.depth
            if depth == 0:
                break
    return chain


def idle_imports(env: dict[str, str]) -> list[ImportLine]:
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "gametime_cli", "run-pending"],
        env=env, capture_output=True, text=True,
    )
    if proc.returncode != 0 or proc.stdout:
        errors = [ln for ln in proc.stderr.splitlines() if not ln.startswith("import time:")]
        raise BenchmarkFailure(
            f"'python -X importtime -m gametime_cli run-pending' exited {proc.returncode}"
            f" and printed {proc.stdout.strip()[:300]!r}; stderr: {' | '.join(errors)[:300]}"
        )
    lines = parse_importtime(proc.stderr)
    if not lines:
        raise BenchmarkFailure("-X importtime printed nothing to parse")
    return lines


def report_imports(lines: list[ImportLine], verbose: bool) -> bool:
    """Print what the idle path imported that it should not; True if it is clean."""
    clean = True
    for package in FORBIDDEN + UNWANTED:
        hits = [i for i, ln in enumerate(lines) if ln.name.split(".")[0] == package]
        if not hits:
            continue
        top = max(hits, key=lambda i: lines[i].cumulative_us)
        verdict = "FORBIDDEN" if package in FORBIDDEN else "unexpected"
        print(f"{verdict} on the idle path: {package} ({len(hits)} modules, "
              f"{lines[top].cumulative_us / 1000:.1f} ms), imported via "
              + " <- ".join(importer_chain(lines, top)))
        if package in FORBIDDEN:
            clean = False
    if verbose:
        print("top 10 modules by cumulative import time (python -X importtime):")
        for line in sorted(lines, key=lambda ln: ln.cumulative_us, reverse=True)[:10]:
            print(f"  {line.cumulative_us / 1000:8.1f} ms  {line.name}")
        ours = sorted(ln.name for ln in lines if ln.name.split(".")[0] == "gametime_cli")
        print(f"gametime_cli modules imported ({len(ours)}): {', '.join(ours)}")
        total_ms = sum(ln.self_us for ln in lines) / 1000
        print(f"{len(lines)} modules imported, {total_ms:.1f} ms of import time in all")
    return clean


# -- main ------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=21, help="timed runs of each (default 21)")
    parser.add_argument("--bookings", type=int, default=10_000,
                        help="pending bookings in the home (default 10000)")
    parser.add_argument("--finished", type=int, default=2_000,
                        help="finished bookings, one attempt each (default 2000)")
    parser.add_argument("--verbose", "-v", action="store_true",
                        help="also show the top 10 modules by cumulative import time")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.bookings < 0 or args.finished < 0:
        parser.error("--runs must be at least 1; --bookings and --finished at least 0")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        gametime = find_gametime()
        with tempfile.TemporaryDirectory(prefix="gametime-idle-") as home:
            env = {**os.environ, "GAMETIME_HOME": home}
            env.pop("GAMETIME_DEBUG", None)
            run_checked(
                [gametime, "club", "add", CLUB, "--url", "simulate:?seed=1",
                 "--timezone", "Europe/Paris", "--window-days", str(WINDOW_DAYS),
                 "--opens-at", "08:00"],
                env, "'gametime club add'",
            )
            fill_home(Path(home), args.bookings, args.finished)
            listed = run_checked([gametime, "list", "--status", "pending", "--json"], env,
                                 "'gametime list --status pending --json'")
            if len(json.loads(listed.stdout)) != args.bookings:
                raise BenchmarkFailure(
                    f"'gametime list --status pending --json' does not list {args.bookings}"
                )
            imports_clean = report_imports(idle_imports(env), args.verbose)
            idle, base = measure(gametime, env, args.runs)
    except BenchmarkFailure as exc:
        print(f"idle_tick: {exc}", file=sys.stderr)
        return 2

    ratio = idle.median / base.median
    label = f"idle run-pending ({args.bookings} pending bookings):"
    baseline = f'python -c "{BASELINE_CODE}":'
    width = max(len(label), len(baseline))
    print(f"{label:<{width}} median {idle.median:.1f} ms (min {idle.minimum:.1f} ms)")
    print(f"{baseline:<{width}} median {base.median:.1f} ms (min {base.minimum:.1f} ms)")
    print(f"ratio: {ratio:.2f} (target < {TARGET_RATIO:g})")
    print(f"({args.runs} runs each, alternating, after one warm-up; "
          f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, Python {sys.version.split()[0]})")
    if ratio >= TARGET_RATIO and not args.verbose:
        print("(rerun with --verbose for the modules that dominate the idle run's imports)")
    if not imports_clean:
        print("idle_tick: the idle path imports " + "/".join(FORBIDDEN) + " code",
              file=sys.stderr)
        return 2
    return 1 if ratio >= TARGET_RATIO else 0


if __name__ == "__main__":
    sys.exit(main())
