"""`gametime book|list|show|cancel`: what a player sees, and what bad input does."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta

import pytest

from tests.support import db_snapshot
from tests.support import run_in_process as gt


@pytest.fixture
def club(sim_club: str) -> str:
    """conftest's `sim_club`: "sim", opening two days ahead at 08:00, the clock pinned."""
    return sim_club


def test_book_prints_id_and_when_it_runs(gametime, cli, pinned_now):
    # A club whose window for the booked day opens 3 days 5 h 29-30 min from now,
    # whatever the hour: the countdown always reads the same.
    opening = (pinned_now + timedelta(days=3, hours=5, minutes=30)).replace(second=0,
                                                                            microsecond=0)
    assert cli("club", "add", "soon", "--url", "simulate:", "--timezone", "UTC",
               "--window-days", "2", "--opens-at", opening.strftime("%H:%M")).exit_code == 0
    day = opening.date() + timedelta(days=2)
    ahead = (day - pinned_now.date()).days
    result = gametime("book", f"+{ahead}d", "7pm", "--club", "soon", "--court", "3",
                      "--court", "1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"Booking 1: {day.strftime('%a %d %b %Y')} 19:00 at soon")
    assert "court 3, 1" in result.stdout
    assert (f"It runs when the window opens: {opening.strftime('%a %d %b %Y %H:%M:%S')} UTC "
            "(in 3 days 5 h).") in result.stdout


def test_book_json_has_the_documented_fields(cli, club, pinned_now):
    result = cli("book", "+5d", "19:00", "--club", club, "--partner", "Sam", "--partner", "Ali",
                 "--type", "doubles", "--duration", "90", "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    day = pinned_now.date() + timedelta(days=5)
    opens = datetime.combine(day - timedelta(days=2), time(8), UTC)  # 08:00, 2 days before
    assert data["id"] == 1
    assert data["date"] == day.isoformat()
    assert data["time"] == "19:00"
    assert data["duration"] == 90
    assert data["partners"] == ["Sam", "Ali"]
    assert data["type"] == "doubles"
    assert data["status"] == "pending"
    assert data["execute_at"] == opens.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    assert data["attempts"] == 0 and data["confirmation"] is None


def test_a_booking_whose_window_is_open_is_due_now(cli, club, pinned_now):
    result = cli("book", "tomorrow", "19:00", "--club", club)
    assert result.exit_code == 0
    assert "window is already open" in result.stdout
    listed = json.loads(cli("list", "--json").stdout)
    assert listed[0]["date"] == (pinned_now.date() + timedelta(days=1)).isoformat()
    run_at = datetime.fromisoformat(listed[0]["execute_at"])
    assert timedelta(0) <= run_at - pinned_now.replace(microsecond=0) < timedelta(seconds=30)


def test_a_weekday_name_is_its_next_occurrence(cli, club, pinned_now):
    target = pinned_now.date() + timedelta(days=3)
    result = cli("book", target.strftime("%A").lower(), "19:00", "--club", club, "--json")
    assert json.loads(result.stdout)["date"] == target.isoformat()


def test_the_same_slot_twice_is_refused(cli, club):
    assert cli("book", "+4d", "19:00", "--club", club).exit_code == 0
    again = cli("book", "+4d", "7pm", "--club", club)
    assert again.exit_code == 2
    assert "booking 1 already covers" in again.stderr


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["2020-01-01", "19:00"], "has already begun"),
        (["today", "00:00"], "has already begun"),
        (["2026-02-30", "19:00"], "not a real date"),
        (["someday", "19:00"], "is not a date"),
        (["+2d", "25:00"], "is not a time"),
        (["+2d", "19:00", "--duration", "45"], "multiple of 30"),
        (["+2d", "19:00", "--duration", "0"], "multiple of 30"),
        (["+2d", "19:00", "--duration", "-30"], "multiple of 30"),
        (["+2d", "19:00", "--court", "0"], "not a court number"),
        (["+2d", "19:00", "--court", "x"], "--court"),
        (["+2d", "19:00", "--type", "mixed"], "singles or doubles"),
        (["+2d", "19:00", "--partner", "a\x07b"], "control characters"),
        (["+2d", "19:00", "--club", "nope"], "no club named 'nope'"),
        (["+2d"], "Missing argument"),
    ],
)
def test_bad_booking_input(club, home, args, fragment):
    before = db_snapshot(home)
    if "--club" not in args and len(args) > 1:
        args = [*args, "--club", club]
    result = gt("book", *args)
    assert result.returncode == 2, result.stderr
    assert fragment in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    assert db_snapshot(home) == before


def test_a_time_the_clocks_skip_is_refused(cli, now):
    cli("club", "add", "paris", "--url", "simulate:", "--timezone", "Europe/Paris",
        "--window-days", "6", "--opens-at", "08:00")
    year = now.year + 1
    # The last Sunday of March: Paris skips 02:00-03:00.
    day = max(d for d in (datetime(year, 3, 31) - timedelta(days=i) for i in range(7))
              if d.weekday() == 6).date()
    result = cli("book", day.isoformat(), "02:30", "--club", "paris")
    assert result.exit_code == 2
    assert "does not exist in Europe/Paris" in result.stderr


def test_list_show_cancel(cli, club):
    cli("book", "+5d", "19:00", "--club", club, "--court", "2")
    cli("book", "+6d", "20:00", "--club", club)
    table = cli("list")
    assert table.exit_code == 0
    lines = table.stdout.splitlines()
    assert any(line.split()[:2] == ["1", "sim"] and "pending" in line for line in lines)
    shown = cli("show", "1")
    assert "Booking 1" in shown.stdout and "Window opens" in shown.stdout
    assert cli("cancel", "1").stdout.strip() == "Cancelled booking 1."
    assert cli("cancel", "1").stdout.strip() == "Booking 1 was already cancelled."
    pending = json.loads(cli("list", "--status", "pending", "--json").stdout)
    assert [b["id"] for b in pending] == [2]
    cancelled = json.loads(cli("show", "1", "--json").stdout)
    assert cancelled["status"] == "cancelled"
    assert cancelled["attempt_history"] == []


def test_unknown_ids_and_statuses(club):
    for args in (["show", "42"], ["cancel", "42"], ["show", "x"], ["list", "--status", "done"]):
        result = gt(*args)
        assert result.returncode == 2, args
        assert len(result.stderr.strip().splitlines()) == 1


def test_empty_list_says_so_on_stderr(gametime):
    result = gametime("list")
    assert result.returncode == 0
    assert result.stdout == ""
    assert "No bookings" in result.stderr
    assert json.loads(gt("list", "--json").stdout) == []
