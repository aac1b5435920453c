"""Overlapping runs (cron, watch, a hand run) never execute one booking twice."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from gametime_cli.clock import utcnow
from gametime_cli.store import Store
from tests.support import db_rows, gametime_executable


@pytest.mark.slow
def test_eight_runs_together_execute_each_booking_once(home, cli):
    assert cli("club", "add", "sim", "--url", "simulate:?success=1&seed=3&delay=0.02",
               "--timezone", "UTC", "--window-days", "7", "--opens-at", "00:00").exit_code == 0
    for day in range(1, 6):
        for hour in range(8, 18):
            assert cli("book", f"+{day}d", f"{hour}:00", "--club", "sim").exit_code == 0
    store = Store.open(home)
    assert len(store.due_bookings(utcnow())) == 50
    store.close()

    env = {**os.environ, "GAMETIME_HOME": str(home)}
    runs = [
        subprocess.Popen([gametime_executable(), "run-pending", "--json"], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(8)
    ]
    docs = []
    for run in runs:
        out, err = run.communicate(timeout=120)
        assert run.returncode == 0, err
        docs.append(json.loads(out))

    reported = [b["id"] for doc in docs for b in doc["bookings"]]
    assert sorted(reported) == list(range(1, 51)), "each booking reported by exactly one run"
    attempts = db_rows(home, "SELECT booking_id, COUNT(*) AS n, COUNT(DISTINCT owner) AS owners"
                             " FROM attempts GROUP BY booking_id")
    assert len(attempts) == 50
    assert all(row["n"] == 1 and row["owners"] == 1 for row in attempts)
    statuses = db_rows(home, "SELECT status, COUNT(*) FROM bookings GROUP BY status")
    assert [tuple(r) for r in statuses] == [("confirmed", 50)]
    owners = db_rows(home, "SELECT COUNT(DISTINCT owner) FROM attempts")[0][0]
    print("runs that took part:", owners)
    assert owners >= 2, f"the runs should really have overlapped ({owners} took part)"
