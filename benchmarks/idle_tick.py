"""Benchmark the idle tick: `gametime run-pending` with nothing due, as cron runs it.

Cron calls `gametime run-pending` every minute, and scripts `gametime run-pending
--json`; with nothing due both must stay cheap and must not import sqlite-utils (the
store needs it only to migrate), the site drivers (`gametime_cli.sites`), the browser
automation, or the keyring and cryptography code. This script fills a temporary data
home with many pending bookings whose windows open in the future (plus some finished
ones with their attempts), then compares the median wall time of each idle form with
the floor any Typer + Rich CLI pays, `python -c "import typer, rich"`.

Each idle run is checked as README promises: it exits 0 and writes nothing to the log;
`run-pending` prints nothing at all (stdout and stderr); `run-pending --json` prints one
JSON document, the empty report, and nothing on stderr.

Run it from the project root with the project's virtualenv:

    .venv/bin/python benchmarks/idle_tick.py [--runs N] [--bookings N] [--verbose]

Exit status: 0 when both ratios are under 2 and the idle path is clean; 1 when a ratio
is 2 or more; 2 when an idle run misbehaves (fails, prints something it must not,
writes to the log) or either form imports sqlite_utils, gametime_cli.sites, playwright,
keyring or cryptography.
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
FORBIDDEN = ("sqlite_utils", "gametime_cli.sites", "playwright", "keyring", "cryptography")
"""Imported on the idle path (a module or any of its submodules), these fail the
benchmark: sqlite-utils is needed only to migrate, the rest only to book."""
IDLE_FORMS = (("run-pending",), ("run-pending", "--json"))
"""The two argument lists README promises the idle path for."""
EMPTY_REPORT = {"version": 1, "dry_run": False, "exit_code": 0, "bookings": []}
"""What `run-pending --json` prints with nothing due (README: For scripts)."""
LOG_NAME = "gametime.log"
BASELINE_CODE = "import typer, rich"
TIMEOUT = 60


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
    proc = run(cmd, env)
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
    from gametime_cli.booking.windows import local_instant, window_opens_at
    from gametime_cli.clock import to_iso, utcnow
    from gametime_cli.store import Store

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


def run(cmd: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        raise BenchmarkFailure(f"{' '.join(cmd)!r} took more than {TIMEOUT} s") from None


def check_idle_output(form: tuple[str, ...], proc: subprocess.CompletedProcess[str],
                      stderr: str) -> None:
    """What README promises an idle run prints: nothing at all, or with --json the
    empty report alone on stdout."""
    name = "gametime " + " ".join(form)
    if proc.returncode != 0:
        raise BenchmarkFailure(f"idle {name!r} exited {proc.returncode}: {stderr.strip()[:300]}")
    if stderr:
        raise BenchmarkFailure(f"idle {name!r} must print nothing on stderr, but printed: "
                               f"{stderr.strip()[:300]!r}")
    if "--json" not in form:
        if proc.stdout:
            raise BenchmarkFailure(f"an idle run must print nothing, but {name!r} printed: "
                                   f"{proc.stdout.strip()[:300]!r}")
        return
    try:
        report = json.loads(proc.stdout)
    except ValueError:
        raise BenchmarkFailure(f"idle {name!r} must print one JSON document, but printed: "
                               f"{proc.stdout.strip()[:300]!r}") from None
    if report != EMPTY_REPORT:
        raise BenchmarkFailure(f"idle {name!r} printed {report!r}, not the empty report "
                               f"{EMPTY_REPORT!r}")


def idle_run(gametime: str, form: tuple[str, ...], env: dict[str, str]) -> float:
    """One idle `gametime run-pending [--json]`; its wall time in ms, after checking
    it stayed idle."""
    start = time.perf_counter()
    proc = run([gametime, *form], env)
    elapsed = (time.perf_counter() - start) * 1000
    check_idle_output(form, proc, proc.stderr)
    return elapsed


def baseline_run(env: dict[str, str]) -> float:
    start = time.perf_counter()
    proc = run([sys.executable, "-c", BASELINE_CODE], env)
    elapsed = (time.perf_counter() - start) * 1000
    if proc.returncode != 0:
        raise BenchmarkFailure(
            f"python -c {BASELINE_CODE!r} exited {proc.returncode}: {proc.stderr.strip()}"
        )
    return elapsed


def measure(gametime: str, env: dict[str, str], runs: int) -> tuple[list[Timings], Timings]:
    """The idle forms and the baseline, alternating, after one warm-up of each."""
    for form in IDLE_FORMS:
        idle_run(gametime, form, env)
    baseline_run(env)
    idle: list[list[float]] = [[] for _ in IDLE_FORMS]
    base: list[float] = []
    for _ in range(runs):
        for samples, form in zip(idle, IDLE_FORMS, strict=True):
            samples.append(idle_run(gametime, form, env))
        base.append(baseline_run(env))
    return [Timings(samples) for samples in idle], Timings(base)


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


def idle_imports(gametime: str, form: tuple[str, ...], env: dict[str, str]) -> list[ImportLine]:
    """What the installed command imports on the idle path (its very script, the one
    cron runs, under `python -X importtime`), after checking the run stayed idle."""
    proc = run([sys.executable, "-X", "importtime", gametime, *form], env)
    stderr = "".join(ln + "\n" for ln in proc.stderr.splitlines()
                     if not ln.startswith("import time:"))
    check_idle_output(form, proc, stderr)
    lines = parse_importtime(proc.stderr)
    if not lines:
        raise BenchmarkFailure("-X importtime printed nothing to parse")
    return lines


def in_package(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def report_imports(form: tuple[str, ...], lines: list[ImportLine], verbose: bool) -> bool:
    """Print what the idle path imported that it must not; True if it is clean."""
    clean = True
    for package in FORBIDDEN:
        hits = [i for i, ln in enumerate(lines) if in_package(ln.name, package)]
        if not hits:
            continue
        top = max(hits, key=lambda i: lines[i].cumulative_us)
        print(f"FORBIDDEN on the idle path of 'gametime {' '.join(form)}': {package} "
              f"({len(hits)} modules, {lines[top].cumulative_us / 1000:.1f} ms), imported via "
              + " <- ".join(importer_chain(lines, top)))
        clean = False
    if verbose:
        print(f"'gametime {' '.join(form)}':")
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
            listed = run_checked(
                [gametime, "list", "--all", "--status", "pending", "--json"], env,
                "'gametime list --all --status pending --json'")
            if len(json.loads(listed.stdout)) != args.bookings:
                raise BenchmarkFailure(
                    f"'gametime list --all --status pending --json' does not list {args.bookings}"
                )
            log = Path(home) / LOG_NAME
            log_size = log.stat().st_size if log.exists() else 0
            imports_clean = all([report_imports(form, idle_imports(gametime, form, env),
                                                args.verbose) for form in IDLE_FORMS])
            idle, base = measure(gametime, env, args.runs)
            grown = (log.stat().st_size if log.exists() else 0) - log_size
            if grown:
                raise BenchmarkFailure(f"the idle runs wrote {grown} bytes to {LOG_NAME}; "
                                       "the idle tick must write nothing")
    except BenchmarkFailure as exc:
        print(f"idle_tick: {exc}", file=sys.stderr)
        return 2

    ratios = [timings.median / base.median for timings in idle]
    labels = [f"idle {' '.join(form)} ({args.bookings} pending bookings):"
              for form in IDLE_FORMS]
    baseline = f'python -c "{BASELINE_CODE}":'
    width = max(len(baseline), *map(len, labels))
    for label, timings in zip(labels, idle, strict=True):
        print(f"{label:<{width}} median {timings.median:.1f} ms "
              f"(min {timings.minimum:.1f} ms)")
    print(f"{baseline:<{width}} median {base.median:.1f} ms (min {base.minimum:.1f} ms)")
    print("ratios: " + ", ".join(f"{' '.join(form)} {ratio:.2f}"
                                 for form, ratio in zip(IDLE_FORMS, ratios, strict=True))
          + f" (target < {TARGET_RATIO:g})")
    print(f"({args.runs} runs each, alternating, after one warm-up; "
          f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, Python {sys.version.split()[0]})")
    slow = max(ratios) >= TARGET_RATIO
    if slow and not args.verbose:
        print("(rerun with --verbose for the modules that dominate the idle run's imports)")
    if not imports_clean:
        print("idle_tick: the idle path imports what it must not (the FORBIDDEN lines above)",
              file=sys.stderr)
        return 2
    if slow:
        print(f"idle_tick: an idle run took {TARGET_RATIO:g} times the baseline or more",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
