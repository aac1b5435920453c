"""Leases in corners: a lost lease ends one booking's attempt quietly, the court seen at
the submit is kept, checks follow the order of attempts (not the wall clock), and
settings that can't work together are refused."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from gametime_cli.run.lane import AccountLane
from gametime_cli.run.runner import Runner
from gametime_cli.store import Store
from tests.support import db_rows

LEASE = timedelta(minutes=5)


def simulated_booking(cli, home) -> tuple[Store, int]:
    assert cli("club", "add", "sim", "--url", "simulate:?success=1&seed=1", "--timezone",
               "UTC", "--window-days", "7", "--opens-at", "00:00").exit_code == 0
    result = cli("book", "+2d", "19:00", "--club", "sim", "--json")
    assert result.exit_code == 0, result.stderr
    return Store.open(home), json.loads(result.stdout)["id"]


def test_a_lease_lost_before_the_attempt_ends_that_booking_quietly(cli, home):
    store, booking_id = simulated_booking(cli, home)
    now = datetime.now(UTC)
    mine = store.claim_next_due("mine", now, LEASE)
    assert mine is not None and mine.id == booking_id
    # another run takes it over (our lease ran out while we slept, say)
    store.conn.execute("UPDATE bookings SET lease_owner = 'theirs' WHERE id = ?", [booking_id])
    lane = AccountLane(store, owner="mine")
    try:
        result = lane.run_one(mine)  # start_attempt meets the lost lease
    finally:
        lane.close()
    assert result is not None and result.outcome == "lost"
    assert db_rows(home, "SELECT COUNT(*) FROM attempts")[0][0] == 0
    [row] = db_rows(home, "SELECT status, lease_owner FROM bookings")
    assert tuple(row) == ("running", "theirs")  # nothing of ours was written


def test_a_run_goes_on_after_one_booking_is_cancelled_under_it(cli, home):
    store, first = simulated_booking(cli, home)
    second = json.loads(cli("book", "+2d", "20:00", "--club", "sim", "--json").stdout)["id"]
    now = datetime.now(UTC)
    claimed = store.claim_next_due("mine", now, LEASE)
    assert cli("cancel", str(claimed.id)).exit_code == 0
    lane = AccountLane(store, owner="mine")
    try:
        assert lane.run_one(claimed).outcome == "cancelled"
    finally:
        lane.close()
    report = Runner(store, owner="mine").run_pending(max_wait=0)
    statuses = {r.booking.id: r.booking.status for r in report.results}
    assert statuses == {second: "confirmed"}
    assert store.get_booking(first).status == "cancelled"


def test_the_court_recorded_at_the_submit_is_kept(cli, home):
    store, booking_id = simulated_booking(cli, home)
    now = datetime.now(UTC)
    booking = store.claim_next_due("mine", now, LEASE)
    attempt, _ = store.start_attempt(booking, "mine", now, LEASE)
    store.mark_submitting(booking, attempt, "mine", 3, now, LEASE)
    store.finish(booking, attempt, "mine", outcome="transient", status="pending", now=now,
                 due_at=now, error="the site answered HTTP 500 to the booking")
    [row] = db_rows(home, "SELECT court FROM attempts")
    assert row[0] == 3
    shown = json.loads(cli("show", str(booking_id), "--json").stdout)
    assert shown["attempt_history"][0]["court"] == 3


def test_a_clock_step_back_does_not_skip_the_check_after_a_submit(cli, home):
    store, booking_id = simulated_booking(cli, home)
    now = datetime.now(UTC)

    def unanswered_submit(at: datetime) -> None:
        booking = store.claim_next_due("mine", at, LEASE)
        attempt, _ = store.start_attempt(booking, "mine", at, LEASE)
        store.mark_submitting(booking, attempt, "mine", 1, at, LEASE)
        store.finish(booking, attempt, "mine", outcome="transient", status="pending", now=at,
                     due_at=at - timedelta(hours=1), error="no answer")

    unanswered_submit(now)
    assert store.needs_check(booking_id)
    booking = store.claim_next_due("mine", now, LEASE)
    store.mark_checked(booking, "mine", now + timedelta(seconds=5))
    store.release(booking, "mine", now, "test")
    assert not store.needs_check(booking_id)
    # The machine's clock steps back a minute; the next submit goes unanswered too.
    unanswered_submit(now - timedelta(minutes=1))
    assert store.needs_check(booking_id)


def test_config_set_refuses_settings_that_cannot_work_together(cli, home):
    short = cli("config", "set", "lease_seconds", "30")
    assert short.exit_code == 2
    assert "lease_seconds = 30 is too short" in short.stderr
    assert "at least" in short.stderr
    long_burst = cli("config", "set", "fire_retry_seconds", "600")
    assert long_burst.exit_code == 2 and "lease_seconds" in long_burst.stderr
    assert cli("config", "set", "lease_seconds", "900").exit_code == 0
    assert cli("config", "set", "fire_retry_seconds", "600").exit_code == 0
    # and going back would break it again
    assert cli("config", "unset", "lease_seconds").exit_code == 2
    assert json.loads(cli("config", "list", "--json").stdout)["lease_seconds"] == 900


def test_a_retry_another_run_took_over_is_left_to_it_without_spinning(cli, home):
    """Two overlapping runs: ours failed an attempt and stays for its retry, but when the
    retry falls due the other run holds the booking. Ours leaves it to that run and ends,
    rather than looking again and again until its max_wait is up (it once spun a core
    for the whole max_wait)."""
    import threading
    import time

    assert cli("club", "add", "sim", "--url", "simulate:?success=0", "--timezone", "UTC",
               "--window-days", "7", "--opens-at", "00:00").exit_code == 0
    assert cli("config", "set", "retry_base", "1").exit_code == 0
    booking_id = json.loads(cli("book", "+2d", "19:00", "--club", "sim", "--json").stdout)["id"]
    spent: dict[str, float] = {}

    def run() -> None:  # a run of its own: its store and Runner in its thread
        started, cpu = time.monotonic(), time.thread_time()
        runner = Runner(Store.open(home), owner="ours")
        try:
            runner.run_pending(max_wait=12, lookahead=0)
        finally:
            runner.store.close()
            spent.update(wall=time.monotonic() - started, cpu=time.thread_time() - cpu)

    ours = threading.Thread(target=run)
    ours.start()
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not db_rows(
                home, "SELECT 1 FROM bookings WHERE status = 'pending' AND"
                " (SELECT COUNT(*) FROM attempts) = 1"):
            time.sleep(0.02)
        # The other run claims it now, before our retry (a second away) falls due.
        theirs = Store.open(home)
        try:
            claimed = theirs.claim_next_due("theirs", datetime.now(UTC) + timedelta(minutes=1),
                                            LEASE)
        finally:
            theirs.close()
        assert claimed is not None and claimed.id == booking_id
    finally:
        ours.join(30)
    assert not ours.is_alive()
    assert spent["wall"] < 6, spent  # not the 12 s of max_wait
    assert spent["cpu"] < 2, spent
    [row] = db_rows(home, "SELECT status, lease_owner FROM bookings")
    assert tuple(row) == ("running", "theirs")  # left to the run that holds it
    assert db_rows(home, "SELECT COUNT(*) FROM attempts")[0][0] == 1
