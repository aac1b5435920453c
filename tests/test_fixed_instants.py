"""The date-sensitive commands at fixed instants, pinned with GAMETIME_NOW: just before
and just after midnight UTC, 30 s before an 08:00 UTC opening, both 01:29:30 of
Toronto's fall-back night, either side of its spring-forward jump, and New Year's Eve.

Every expected date, opening and countdown below is written out by hand (not computed
with the code under test). Each instant is 30 s from the boundary it tests, so a
command's own run time (the pinned clock moves on in real time) can't cross it.
"""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime, timedelta

import pytest

from gametime_cli.clock import restart_pinned, utcnow
from gametime_cli.store import Store
from tests.support import db_snapshot, iso_z, pin_clock, run_in_process

AT = {
    "utc-23:59:30": datetime(2026, 11, 27, 23, 59, 30, tzinfo=UTC),  # Fri; Toronto 18:59:30
    "utc-00:00:30": datetime(2026, 11, 28, 0, 0, 30, tzinfo=UTC),  # Sat; Toronto Fri 19:00:30
    "utc-07:59:30": datetime(2026, 11, 27, 7, 59, 30, tzinfo=UTC),  # Fri; Toronto 02:59:30
    "fall-back-first-01:29:30": datetime(2026, 11, 1, 5, 29, 30, tzinfo=UTC),  # EDT
    "fall-back-second-01:29:30": datetime(2026, 11, 1, 6, 29, 30, tzinfo=UTC),  # EST
    "spring-forward-01:59:30": datetime(2027, 3, 14, 6, 59, 30, tzinfo=UTC),  # EST
    "spring-forward-03:00:30": datetime(2027, 3, 14, 7, 0, 30, tzinfo=UTC),  # EDT
    "new-year-23:59:30": datetime(2026, 12, 31, 23, 59, 30, tzinfo=UTC),  # Thu; Toronto 18:59:30
}
INSTANTS = list(AT)

CLUBS = [
    # name, zone, window days, opens at
    ("utc", "UTC", 2, "08:00:00"),
    ("midnight", "UTC", 1, "00:00:00"),
    ("tor", "America/Toronto", 1, "01:30:00"),  # 01:30 happens twice on 2026-11-01
    ("gap", "America/Toronto", 1, "02:30:00"),  # 02:30 doesn't happen on 2027-03-14
]
BEGUN = "has already begun"
SKIPPED = "does not exist in America/Toronto"


@pytest.fixture
def clubs(home):
    """The four clubs, written straight to the store (`club add` is tested elsewhere)."""
    store = Store.open(home)
    try:
        for name, zone, days, opens in CLUBS:
            store.add_club(name=name, url="simulate:?success=1", timezone=zone,
                           window_days=days, opens_at=opens, sport=1)
    finally:
        store.close()


@pytest.fixture
def at(monkeypatch):
    """Pin every command's clock (in-process and installed) to the instant named."""
    def pin(instant: datetime) -> datetime:
        pin_clock(monkeypatch, instant)
        return instant

    return pin


# -- book today / tomorrow / a weekday ------------------------------------------------

FALL_BACK = [
    ("utc", "today", "19:00", "2026-11-01"),
    ("utc", "tomorrow", "19:00", "2026-11-02"),
    ("tor", "today", "01:00", BEGUN),
    ("tor", "today", "02:00", "2026-11-01"),
    ("tor", "sunday", "19:00", "2026-11-01"),
    ("tor", "tomorrow", "19:00", "2026-11-02"),
    ("tor", "friday", "19:00", "2026-11-06"),
]
"""Toronto's fall-back night: the same answers at both 01:29:30s."""


WORDS = {
    "utc-23:59:30": [
        ("utc", "today", "19:00", BEGUN),
        ("utc", "tomorrow", "19:00", "2026-11-28"),
        ("utc", "friday", "19:00", "2026-12-04"),  # this Friday's 19:00 is over
        ("tor", "today", "19:00", "2026-11-27"),  # 30 s ahead in Toronto
        ("tor", "fri", "20:00", "2026-11-27"),
        ("tor", "tomorrow", "19:00", "2026-11-28"),
    ],
    "utc-00:00:30": [
        ("utc", "today", "19:00", "2026-11-28"),
        ("utc", "tomorrow", "19:00", "2026-11-29"),
        ("utc", "friday", "19:00", "2026-12-04"),
        ("tor", "today", "19:00", BEGUN),  # still Friday in Toronto, 19:00 just gone
        ("tor", "today", "20:00", "2026-11-27"),
        ("tor", "friday", "19:00", "2026-12-04"),
        ("tor", "tomorrow", "19:00", "2026-11-28"),
    ],
    "utc-07:59:30": [
        ("utc", "today", "07:59", BEGUN),
        ("utc", "today", "08:00", "2026-11-27"),
        ("utc", "tomorrow", "19:00", "2026-11-28"),
        ("utc", "fri", "19:00", "2026-11-27"),
        ("tor", "today", "02:59", BEGUN),
        ("tor", "today", "03:00", "2026-11-27"),
        ("tor", "+1d", "19:00", "2026-11-28"),
    ],
    "fall-back-first-01:29:30": FALL_BACK,
    "fall-back-second-01:29:30": FALL_BACK,
    "spring-forward-01:59:30": [
        ("tor", "today", "02:30", SKIPPED),
        ("tor", "today", "03:00", "2027-03-14"),  # 30 s ahead: the clocks jump to it
        ("tor", "sunday", "19:00", "2027-03-14"),
        ("tor", "tomorrow", "19:00", "2027-03-15"),
        ("utc", "today", "19:00", "2027-03-14"),
    ],
    "spring-forward-03:00:30": [
        ("tor", "today", "02:30", SKIPPED),
        ("tor", "today", "03:00", BEGUN),
        ("tor", "sunday", "19:00", "2027-03-14"),
        ("tor", "friday", "19:00", "2027-03-19"),
    ],
    "new-year-23:59:30": [
        ("utc", "today", "19:00", BEGUN),
        ("utc", "tomorrow", "19:00", "2027-01-01"),
        ("utc", "thursday", "19:00", "2027-01-07"),
        ("utc", "fri", "20:00", "2027-01-01"),
        ("utc", "+1d", "21:00", "2027-01-01"),
        ("tor", "today", "19:00", "2026-12-31"),
        ("tor", "tomorrow", "19:00", "2027-01-01"),
        ("tor", "thu", "20:00", "2026-12-31"),
    ],
}


@pytest.mark.parametrize("instant", INSTANTS)
def test_day_words_are_the_clubs_local_dates(cli, clubs, at, home, instant):
    at(AT[instant])
    for club, day, slot, expected in WORDS[instant]:
        before = db_snapshot(home)
        result = cli("book", day, slot, "--club", club, "--json")
        if re.fullmatch(r"\d{4}-\d\d-\d\d", expected):
            assert result.exit_code == 0, (club, day, slot, result.stderr)
            booked = json.loads(result.stdout)
            assert (booked["date"], booked["time"]) == (expected, slot), (club, day, slot)
        else:
            assert result.exit_code == 2, (club, day, slot, result.stdout)
            assert expected in result.stderr, (club, day, slot, result.stderr)
            assert db_snapshot(home) == before


# -- when the window opens, and the countdown -----------------------------------------

OPEN = None
"""The window is open already: the booking runs at the next run-pending."""

OPENINGS = {
    # club, day, date, window opening in UTC, as `book` shows it, countdown (a regex)
    "utc-23:59:30": [
        ("utc", "+5d", "2026-12-02", "2026-11-30T08:00:00", "Mon 30 Nov 2026 08:00:00 UTC",
         "in 2 days 8 h"),
        ("tor", "+2d", "2026-11-29", "2026-11-28T06:30:00", "Sat 28 Nov 2026 01:30:00 EST",
         "in 6 h 30 min"),
    ],
    "utc-00:00:30": [
        ("utc", "+5d", "2026-12-03", "2026-12-01T08:00:00", "Tue 01 Dec 2026 08:00:00 UTC",
         "in 3 days 7 h"),
        ("tor", "+2d", "2026-11-29", "2026-11-28T06:30:00", "Sat 28 Nov 2026 01:30:00 EST",
         "in 6 h 29 min"),
    ],
    "utc-07:59:30": [
        ("utc", "+5d", "2026-12-02", "2026-11-30T08:00:00", "Mon 30 Nov 2026 08:00:00 UTC",
         r"in 3 days (2\d|30) s"),
        ("utc", "+2d", "2026-11-29", "2026-11-27T08:00:00", "Fri 27 Nov 2026 08:00:00 UTC",
         r"in (2\d|30) s"),
    ],
    "fall-back-first-01:29:30": [
        # 01:30 comes twice tonight: the window opens at the first, in 30 s.
        ("tor", "tomorrow", "2026-11-02", "2026-11-01T05:30:00", "Sun 01 Nov 2026 01:30:00 EDT",
         r"in (2\d|30) s"),
        ("tor", "+2d", "2026-11-03", "2026-11-02T06:30:00", "Mon 02 Nov 2026 01:30:00 EST",
         "in 1 day 1 h"),
    ],
    "fall-back-second-01:29:30": [
        ("tor", "tomorrow", "2026-11-02", OPEN, None, None),  # opened at the first 01:30
        ("tor", "+2d", "2026-11-03", "2026-11-02T06:30:00", "Mon 02 Nov 2026 01:30:00 EST",
         r"in 1 day (2\d|30) s"),
    ],
    "spring-forward-01:59:30": [
        # 02:30 doesn't come tonight: the window opens at the jump, 03:00 EDT, in 30 s.
        ("gap", "tomorrow", "2027-03-15", "2027-03-14T07:00:00", "Sun 14 Mar 2027 03:00:00 EDT",
         r"in (2\d|30) s"),
        ("tor", "tomorrow", "2027-03-15", OPEN, None, None),  # 01:30 EST, half an hour ago
        ("gap", "+2d", "2027-03-16", "2027-03-15T06:30:00", "Mon 15 Mar 2027 02:30:00 EDT",
         "in 23 h 30 min"),
    ],
    "spring-forward-03:00:30": [
        ("gap", "tomorrow", "2027-03-15", OPEN, None, None),
        ("gap", "+2d", "2027-03-16", "2027-03-15T06:30:00", "Mon 15 Mar 2027 02:30:00 EDT",
         "in 23 h 29 min"),
    ],
    "new-year-23:59:30": [
        ("utc", "+5d", "2027-01-05", "2027-01-03T08:00:00", "Sun 03 Jan 2027 08:00:00 UTC",
         "in 2 days 8 h"),
        ("midnight", "+2d", "2027-01-02", "2027-01-01T00:00:00", "Fri 01 Jan 2027 00:00:00 UTC",
         r"in (2\d|30) s"),
        ("tor", "+2d", "2027-01-02", "2027-01-01T06:30:00", "Fri 01 Jan 2027 01:30:00 EST",
         "in 6 h 30 min"),
    ],
}


@pytest.mark.parametrize("instant", INSTANTS)
def test_book_list_and_show_tell_when_the_window_opens(cli, clubs, at, instant):
    now = at(AT[instant])
    expected_at = {}
    for club, day, date, opens, local, countdown in OPENINGS[instant]:
        result = cli("book", day, "19:00", "--club", club)
        assert result.exit_code == 0, result.stderr
        booking_id = int(re.match(r"Booking (\d+): ", result.stdout)[1])
        expected_at[booking_id] = opens
        if opens is OPEN:
            assert "Its window is already open" in result.stdout, result.stdout
        else:
            line = (re.escape(f"It runs when the window opens: {local} (") + countdown
                    + re.escape(")."))
            assert re.search(line, result.stdout), (line, result.stdout)
        shown = json.loads(cli("show", str(booking_id), "--json").stdout)
        assert (shown["club"], shown["date"], shown["time"]) == (club, date, "19:00")
    listed = {b["id"]: b["execute_at"] for b in json.loads(cli("list", "--json").stdout)}
    assert set(listed) == set(expected_at)
    for booking_id, opens in expected_at.items():
        if opens is OPEN:  # runs now: when it was registered
            registered = datetime.fromisoformat(listed[booking_id])
            assert timedelta(0) <= registered - now < timedelta(seconds=30)
        else:
            assert listed[booking_id] == f"{opens}.000Z"


# -- what run-pending finds due ------------------------------------------------------

DUE, SOON, LATER = "due", "soon", "later"
"""Due at the instant; opening within run-pending's 90 s lookahead; neither."""

BOOKED_EARLIER = {
    # club, date (19:00), window opening in UTC, state at the instant
    "utc-23:59:30": [
        ("midnight", "2026-11-28", "2026-11-27T00:00:00", DUE),
        ("midnight", "2026-11-29", "2026-11-28T00:00:00", SOON),
        ("utc", "2026-11-30", "2026-11-28T08:00:00", LATER),
    ],
    "utc-00:00:30": [
        ("midnight", "2026-11-29", "2026-11-28T00:00:00", DUE),
        ("midnight", "2026-11-30", "2026-11-29T00:00:00", LATER),
        ("tor", "2026-11-29", "2026-11-28T06:30:00", LATER),
    ],
    "utc-07:59:30": [
        ("utc", "2026-11-28", "2026-11-26T08:00:00", DUE),
        ("utc", "2026-11-29", "2026-11-27T08:00:00", SOON),
        ("utc", "2026-11-30", "2026-11-28T08:00:00", LATER),
    ],
    "fall-back-first-01:29:30": [
        ("tor", "2026-11-01", "2026-10-31T05:30:00", DUE),
        ("tor", "2026-11-02", "2026-11-01T05:30:00", SOON),  # at the first 01:30
        ("tor", "2026-11-03", "2026-11-02T06:30:00", LATER),
    ],
    "fall-back-second-01:29:30": [
        ("tor", "2026-11-02", "2026-11-01T05:30:00", DUE),  # the wall clock reads 01:29:30
        ("tor", "2026-11-03", "2026-11-02T06:30:00", LATER),
    ],
    "spring-forward-01:59:30": [
        ("tor", "2027-03-15", "2027-03-14T06:30:00", DUE),
        ("gap", "2027-03-15", "2027-03-14T07:00:00", SOON),  # at the jump
        ("gap", "2027-03-16", "2027-03-15T06:30:00", LATER),
    ],
    "spring-forward-03:00:30": [
        ("gap", "2027-03-15", "2027-03-14T07:00:00", DUE),
        ("gap", "2027-03-16", "2027-03-15T06:30:00", LATER),
    ],
    "new-year-23:59:30": [
        ("midnight", "2027-01-01", "2026-12-31T00:00:00", DUE),
        ("midnight", "2027-01-02", "2027-01-01T00:00:00", SOON),
        ("utc", "2027-01-03", "2027-01-01T08:00:00", LATER),
    ],
}


@pytest.mark.parametrize("instant", INSTANTS)
def test_run_pending_takes_what_is_due_at_the_instant(gametime, cli, clubs, at, instant):
    at(AT[instant] - timedelta(days=2))  # registered two days before, windows all shut
    states: dict[int, str] = {}
    for club, date, opens, state in BOOKED_EARLIER[instant]:
        booked = json.loads(cli("book", date, "19:00", "--club", club, "--json").stdout)
        assert booked["execute_at"] == f"{opens}.000Z", (club, date)
        states[booked["id"]] = state
    at(AT[instant])

    def would_run(lookahead: str) -> set[int]:
        result = cli("run-pending", "--dry-run", "--json", "--lookahead", lookahead)
        assert result.exit_code == 0, result.stderr
        return {b["id"] for b in json.loads(result.stdout)["bookings"]}

    due = {i for i, s in states.items() if s == DUE}
    soon = {i for i, s in states.items() if s == SOON}
    assert would_run("0") == due
    assert would_run("90") == due | soon
    # As cron runs it, with no lookahead, it books exactly what's due: the installed
    # command at the first instant (its clock set by GAMETIME_NOW), in-process at the rest.
    assert cli("config", "set", "lookahead", "0").exit_code == 0
    run = gametime if instant == INSTANTS[0] else run_in_process
    ran = run("run-pending", "--json", timeout=120)
    assert ran.returncode == 0, ran.stderr
    report = json.loads(ran.stdout)["bookings"]
    assert {b["id"] for b in report} == due
    assert {b["status"] for b in report} == {"confirmed"}
    # Then nothing is due at this instant: the idle tick prints nothing.
    idle = run("run-pending")
    assert (idle.returncode, idle.stdout, idle.stderr) == (0, "", "")
    statuses = {b["id"]: b["status"] for b in json.loads(cli("list", "--json").stdout)}
    assert {i for i, s in statuses.items() if s == "pending"} == set(states) - due


# -- a weekly game across the change -------------------------------------------------

SERIES = {
    # registered at, [(each Sunday's date, its window opening in UTC, a cron run at
    # 18:30 local that day)]; 19:00 is 23:00 UTC in EDT, 00:00 UTC in EST
    "fall-back": (datetime(2026, 10, 22, 12, 0, tzinfo=UTC), [
        ("2026-10-25", "2026-10-24T05:30:00", datetime(2026, 10, 25, 22, 30, tzinfo=UTC)),
        ("2026-11-01", "2026-10-31T05:30:00", datetime(2026, 11, 1, 23, 30, tzinfo=UTC)),
        ("2026-11-08", "2026-11-07T06:30:00", datetime(2026, 11, 8, 23, 30, tzinfo=UTC)),
    ]),
    "spring-forward": (datetime(2027, 3, 4, 12, 0, tzinfo=UTC), [
        ("2027-03-07", "2027-03-06T06:30:00", datetime(2027, 3, 7, 23, 30, tzinfo=UTC)),
        ("2027-03-14", "2027-03-13T06:30:00", datetime(2027, 3, 14, 22, 30, tzinfo=UTC)),
        ("2027-03-21", "2027-03-20T05:30:00", datetime(2027, 3, 21, 22, 30, tzinfo=UTC)),
    ]),
}


@pytest.mark.parametrize("change", list(SERIES))
def test_a_weekly_game_keeps_19_00_local_across_the_change(cli, clubs, at, home,
                                                           change):
    from gametime_cli.run.runner import Runner

    registered, games = SERIES[change]
    at(registered)
    made = cli("book", "sunday", "19:00", "--club", "tor", "--every", "week", "--count", "3",
               "--json")
    assert made.exit_code == 0, made.stderr
    series = json.loads(made.stdout)
    assert series["first_date"] == games[0][0]
    assert [b["date"] for b in series["bookings"]] == [games[0][0]]
    # Cron, by the Runner's own clock: at 18:30 on each game's Sunday, half an hour
    # before it starts (were 19:00 taken as a fixed UTC hour, one side of the change
    # would be 'missed'), and the Thursday after, when the next game becomes a booking.
    runs = sorted([day for _, _, day in games]
                  + [games[0][2] + timedelta(days=4), games[1][2] + timedelta(days=4)])
    for run_at in runs:
        store = Store.open(home)
        try:
            Runner(store, clock=lambda run_at=run_at: run_at).run_pending(max_wait=0,
                                                                          lookahead=0)
        finally:
            store.close()
    listed = json.loads(run_in_process("list", "--json").stdout)
    assert [(b["date"], b["time"], b["execute_at"], b["status"]) for b in listed] == [
        (day, "19:00", f"{opens}.000Z", "confirmed") for day, opens, _ in games]
    shown = json.loads(run_in_process("series", "show", str(series["id"]), "--json").stdout)
    assert shown["status"] == "finished" and shown["notes"] == []


# -- the testing aid itself ----------------------------------------------------------


@pytest.mark.parametrize(("value", "fragment", "command"), [
    ("tomorrow", "is not an ISO 8601 instant", ["run-pending"]),
    ("tomorrow", "is not an ISO 8601 instant", ["list", "--json"]),
    ("2026-12-31T23:59:30", "has no time zone", ["run-pending"]),
    ("2026-12-31T23:59:30+01:00", "is not in UTC", ["list", "--json"]),
])
def test_a_malformed_gametime_now_is_one_line_and_exit_2(gametime, value, fragment, command):
    result = gametime(*command, env={"GAMETIME_NOW": value})
    assert (result.returncode, result.stdout) == (2, "")
    [line] = result.stderr.splitlines()
    assert line.startswith("gametime: error: GAMETIME_NOW=") and fragment in line


def test_the_pinned_clock_starts_at_the_instant_and_runs_on(monkeypatch):
    instant = AT["new-year-23:59:30"]
    monkeypatch.setenv("GAMETIME_NOW", iso_z(instant))
    restart_pinned()
    first = utcnow()
    time.sleep(0.2)
    second = utcnow()
    assert timedelta(0) <= first - instant < timedelta(seconds=1)
    assert timedelta(seconds=0.2) <= second - first < timedelta(seconds=2)
    monkeypatch.delenv("GAMETIME_NOW")
    assert abs(utcnow() - datetime.now(UTC)) < timedelta(seconds=1)
