"""Recurring bookings: rrule in the club's zone, across DST, through the command."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from gametime_cli.booking.request import create_series
from gametime_cli.booking.series import materialize_due
from gametime_cli.store import Store
from tests.support import run_in_process as gt


@pytest.fixture
def paris(home):
    store = Store.open(home)
    store.add_club(name="paris", url="simulate:?success=1", timezone="Europe/Paris",
                   window_days=2, opens_at="08:00:00", sport=1)
    yield store
    store.close()


def test_a_weekly_game_keeps_its_local_time_across_the_clock_change(paris):
    # 19:00 Paris every Sunday from 2027-03-21: the clocks go forward on 2027-03-28.
    now = datetime(2027, 3, 18, 12, 0, tzinfo=UTC)
    series, made = create_series(paris, now=now, every="week", until_text=None, count=3,
                                 club_name="paris", day_text="2027-03-21", time_text="19:00",
                                 duration=60, courts=[], partners=[], booking_type=None,
                                 account=None)
    assert [b.day.isoformat() for b in made] == ["2027-03-21"]
    later = materialize_due(paris, datetime(2027, 3, 24, 12, 0, tzinfo=UTC))
    last = materialize_due(paris, datetime(2027, 3, 31, 12, 0, tzinfo=UTC))
    bookings = made + later + last
    assert [b.day.isoformat() for b in bookings] == ["2027-03-21", "2027-03-28", "2027-04-04"]
    # The same wall-clock time, so a different UTC hour after the change.
    assert [b.slot_start.hour for b in bookings] == [18, 17, 17]
    # The window opens at 08:00 Paris two days before: 07:00 UTC, then 06:00 UTC.
    assert [b.execute_at for b in bookings] == [
        datetime(2027, 3, 19, 7, 0, tzinfo=UTC), datetime(2027, 3, 26, 7, 0, tzinfo=UTC),
        datetime(2027, 4, 2, 6, 0, tzinfo=UTC)]
    assert paris.get_series(series.id).status == "finished"


def test_a_date_the_clocks_skip_is_passed_over_with_a_note(paris):
    now = datetime(2027, 3, 24, 12, 0, tzinfo=UTC)
    series, made = create_series(paris, now=now, every="day", until_text="2027-03-29",
                                 count=None, club_name="paris", day_text="2027-03-27",
                                 time_text="02:30", duration=60, courts=[], partners=[],
                                 booking_type=None, account=None)
    made += materialize_due(paris, datetime(2027, 3, 28, 12, 0, tzinfo=UTC))
    assert [b.day.isoformat() for b in made] == ["2027-03-27", "2027-03-29"]
    notes = paris.get_series(series.id).notes
    assert notes == ["2027-03-28: skipped, 02:30 does not exist in Europe/Paris that day"]


def test_book_every_through_the_command(home, pinned_now):
    gt("club", "add", "sim", "--url", "simulate:?success=1", "--timezone", "UTC",
             "--window-days", "0", "--opens-at", "00:00")
    result = gt("book", "tomorrow", "19:00", "--club", "sim", "--every", "day",
                      "--count", "5", "--json")
    assert result.returncode == 0, result.stderr
    series = json.loads(result.stdout)
    tomorrow = pinned_now.date() + timedelta(days=1)
    assert series["every"] == "day" and series["count"] == 5
    assert [b["date"] for b in series["bookings"]] == [
        tomorrow.isoformat(), (tomorrow + timedelta(days=1)).isoformat()]
    listed = json.loads(gt("list", "--json").stdout)
    assert {b["series"] for b in listed} == {series["id"]}
    shown = json.loads(gt("series", "show", str(series["id"]), "--json").stdout)
    assert len(shown["bookings"]) == 2 and shown["status"] == "active"
    assert json.loads(gt("series", "list", "--json").stdout)[0]["id"] == series["id"]
    # Two days on, cron's run makes the next game a booking (its 'now' moved for it here).
    conn = sqlite3.connect(home / "gametime.db")
    with conn:
        conn.execute("UPDATE series SET next_at = '2000-01-01T00:00:00.000Z'")
        conn.execute("UPDATE clubs SET window_days = 1")
    conn.close()
    assert gt("run-pending", "--lookahead", "0").returncode == 0
    assert len(json.loads(gt("list", "--json").stdout)) == 3
    cancelled = gt("series", "cancel", str(series["id"]))
    assert "3 booking(s)" in cancelled.stdout
    assert {b["status"] for b in json.loads(gt("list", "--json").stdout)} == {"cancelled"}


@pytest.mark.parametrize(("extra", "fragment"), [
    (["--every", "fortnight"], "use week, 2weeks or day"),
    (["--every", "week", "--count", "0"], "--count 0 is out of range"),
    (["--every", "week", "--count", "2", "--until", "+30d"], "not both"),
    (["--every", "week", "--until", "today"], "is before the first game"),
    (["--count", "3"], "go with --every"),
])
def test_bad_series_input(extra, fragment):
    gt("club", "add", "sim", "--url", "simulate:", "--timezone", "UTC",
             "--window-days", "0", "--opens-at", "00:00")
    result = gt("book", "+3d", "19:00", "--club", "sim", *extra)
    assert result.returncode == 2
    assert fragment in result.stderr
    assert json.loads(gt("series", "list", "--json").stdout) == []
    assert json.loads(gt("list", "--json").stdout) == []
