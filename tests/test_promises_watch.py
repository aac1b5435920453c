"""The docs' promises about `gametime watch` (docs/how-it-works.md, docs/guide.md,
docs/scripting.md), through the installed command: `--json` is one JSON object per line,
`--on-result` runs a command after each result, and Ctrl-C (SIGINT) or SIGTERM ends it
cleanly, handing back any booking it holds, with exit 130 (the exit-code table: 130,
Ctrl-C or SIGTERM). Simulated clubs: no browser."""

from __future__ import annotations

import json
import os
import queue
import shlex
import signal
import subprocess
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest

from tests.support import add_club, book, db_rows, gametime_executable

pytestmark = pytest.mark.slow  # each starts `watch` and waits on it


class Watch:
    """`gametime watch --json …` in the test's home, its stdout read line by line."""

    def __init__(self, home: Path, *extra: str):
        self.errors = home.parent / "watch.err"
        with open(self.errors, "w") as err:
            self.process = subprocess.Popen(
                [gametime_executable(), "watch", "--json", *extra], stdout=subprocess.PIPE,
                stderr=err, text=True, env={**os.environ, "GAMETIME_HOME": str(home)})
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self._queue.put(line)
        self._queue.put(None)

    def next_event(self, kind: str, timeout: float) -> dict:
        """Read lines until an event of this kind (each line must be a JSON object)."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self._queue.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                break
            self.lines.append(line)
            event = json.loads(line)
            if event["event"] == kind:
                return event
        raise AssertionError(f"no {kind!r} event from watch within {timeout} s: "
                             f"{self.lines} {self.errors.read_text()}")

    def stop(self, signum: int, timeout: float = 30) -> int:
        """Send the signal; wait for the exit and the rest of its output."""
        self.process.send_signal(signum)
        code = self.process.wait(timeout=timeout)
        self._reader.join(timeout)
        while (line := self._queue.get_nowait()) is not None:
            self.lines.append(line)
        return code

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


def test_watch_json_is_one_object_a_line_runs_on_result_and_ctrl_c_exits_130(
        cli, home, now, tmp_path):
    """docs/how-it-works.md (At the very opening): `watch --json`: one JSON object per
    line; docs/guide.md (Being told): `watch --on-result` runs a command after each
    result with GAMETIME_DATE, GAMETIME_ERROR, … set; docs/scripting.md (Exit codes):
    Ctrl-C ends it (exit 130)."""
    add_club(cli, "sim", "simulate:?success=1&seed=2", accept_waiver=False)
    day = now.date() + timedelta(days=1)
    booking = book(cli, day, "19:00", club="sim")
    out = tmp_path / "results.txt"
    command = (f'printf "%s|%s|%s|%s|%s\\n" "$GAMETIME_BOOKING_ID" "$GAMETIME_STATUS" '
               f'"$GAMETIME_DATE" "$GAMETIME_TIME" "$GAMETIME_ERROR" >> {shlex.quote(str(out))}')
    watch = Watch(home, "--on-result", command)
    try:
        assert watch.next_event("started", 30)["at"].endswith("Z")
        result = watch.next_event("result", 30)
        watch.next_event("waiting", 30)
        code = watch.stop(signal.SIGINT)
    finally:
        watch.kill()
    assert code == 130, watch.errors.read_text()
    events = [json.loads(line) for line in watch.lines]
    assert all(isinstance(e, dict) and {"event", "at"} <= set(e) for e in events)
    assert events[0]["event"] == "started" and events[-1]["event"] == "stopped"
    entry = result["booking"]
    assert (entry["id"], entry["status"], entry["date"]) == (booking, "confirmed",
                                                             day.isoformat())
    # The command ran once, after the result, with the booking's date and no error.
    assert out.read_text().splitlines() == [f"{booking}|confirmed|{day.isoformat()}|19:00|"]
    shown = json.loads(cli("show", str(booking), "--json").stdout)
    assert shown["status"] == "confirmed" and shown["confirmation"] == entry["confirmation"]
    assert db_rows(home, "SELECT lease_owner FROM bookings")[0][0] is None


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM],
                         ids=["SIGINT", "SIGTERM"])
def test_a_signal_ends_watch_with_130_handing_back_the_booking_it_holds(cli, home, now,
                                                                        signum):
    """docs/how-it-works.md (At the very opening): SIGINT and SIGTERM end it cleanly,
    handing back any booking it holds; docs/scripting.md's exit-code table: 130, Ctrl-C
    or SIGTERM."""
    opening = (now + timedelta(seconds=40)).replace(microsecond=0)
    add_club(cli, "soon", "simulate:?success=1", window_days=1,
             opens_at=opening.time().isoformat(), accept_waiver=False)
    booking = book(cli, opening.date() + timedelta(days=1), "19:00", club="soon")
    watch = Watch(home)
    try:
        watch.next_event("started", 30)
        # The opening is within lead_seconds: watch claims it and waits for the instant.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not db_rows(
                home, "SELECT 1 FROM bookings WHERE status = 'running'"):
            time.sleep(0.05)
        [(status, owner)] = db_rows(home, "SELECT status, lease_owner FROM bookings")
        assert status == "running" and owner is not None, "watch should hold the booking"
        code = watch.stop(signum)
    finally:
        watch.kill()
    assert code == 130, watch.errors.read_text()
    assert json.loads(watch.lines[-1])["event"] == "stopped"
    shown = json.loads(cli("show", str(booking), "--json").stdout)
    assert (shown["status"], shown["confirmation"]) == ("pending", None)
    assert all(a["submitted_at"] is None for a in shown["attempt_history"])
    [(status, owner)] = db_rows(home, "SELECT status, lease_owner FROM bookings")
    assert (status, owner) == ("pending", None)


def test_a_booking_that_needs_the_player_is_held_back_not_run_again_and_again(cli, home,
                                                                             now):
    """A booking watch can't run (here: no account at its club) stays pending and due.
    Watch says so once and holds it back (PARK_SECONDS) instead of running it again at
    once, which once printed hundreds of results a second; another club's opening a few
    seconds later is still booked at its time."""
    add_club(cli, "real", "https://club.gametime.net", accept_waiver=False)
    stuck = book(cli, now.date() + timedelta(days=1), "19:00", club="real")
    # The opening comes 10 s and more after watch starts: beyond its first look ahead
    # (lead_seconds 5 + 5 s), so the watch has seconds in which it could spin.
    assert cli("config", "set", "lead_seconds", "5").exit_code == 0
    opening = (now + timedelta(seconds=16)).replace(microsecond=0)
    add_club(cli, "soon", "simulate:?success=1", window_days=1,
             opens_at=opening.time().isoformat(), accept_waiver=False)
    later = book(cli, opening.date() + timedelta(days=1), "19:00", club="soon")
    watch = Watch(home)
    try:
        first = watch.next_event("result", 30)["booking"]
        assert (first["id"], first["status"], first["outcome"]) == (stuck, "pending",
                                                                    "environment")
        deadline = time.monotonic() + 40
        booked = None
        while booked is None and time.monotonic() < deadline:
            entry = watch.next_event("result", 40)["booking"]
            if entry["id"] == later:
                booked = entry
        code = watch.stop(signal.SIGINT)
    finally:
        watch.kill()
    assert code == 130, watch.errors.read_text()
    assert booked is not None and booked["status"] == "confirmed"
    results = [json.loads(line)["booking"]["id"] for line in watch.lines
               if json.loads(line)["event"] == "result"]
    # Once at the start, at most once more when the other opening's run claims what is due.
    assert results.count(stuck) <= 2, results
