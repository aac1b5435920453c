"""Booking windows and the dates and times players type (gametime_cli.booking.windows).

Every instant here is fixed; nothing reads the wall clock. Expected UTC values are
worked out by hand from the zones' offsets in 2026:
  Europe/Paris      CET  = UTC+1, CEST = UTC+2; spring forward 2026-03-29 02:00 -> 03:00,
                    fall back 2026-10-25 03:00 -> 02:00 (both at 01:00Z)
  America/Toronto   EST  = UTC-5, EDT  = UTC-4; spring forward 2026-03-08 02:00 -> 03:00
                    (07:00Z), fall back 2026-11-01 02:00 -> 01:00 (06:00Z)
  America/Santiago  -04 in winter, -03 in summer; the changes fall at midnight:
                    2026-04-05 00:00 -03 (03:00Z) the clocks go back to 2026-04-04 23:00 -04,
                    so 23:00-23:59 on 2026-04-04 happens twice;
                    2026-09-06 00:00 -04 (04:00Z) the clocks jump to 01:00 -03, so
                    00:00-00:59 on 2026-09-06 never happens.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from gametime_cli.booking.windows import (
    local_instant,
    minutes_since_midnight,
    parse_day,
    parse_opens_at,
    parse_slot_time,
    parse_zone,
    window_opens_at,
)
from gametime_cli.errors import BadInput, ExitCode

PARIS = ZoneInfo("Europe/Paris")
TORONTO = ZoneInfo("America/Toronto")
SANTIAGO = ZoneInfo("America/Santiago")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_zone_data_has_the_2026_transitions_these_tests_assume():
    # Guards the hand-computed expectations below against a different tz database.
    assert datetime(2026, 3, 29, 0, 59, tzinfo=UTC).astimezone(PARIS).utcoffset() == timedelta(
        hours=1
    )
    assert datetime(2026, 3, 29, 1, 0, tzinfo=UTC).astimezone(PARIS).utcoffset() == timedelta(
        hours=2
    )
    assert datetime(2026, 9, 6, 4, 0, tzinfo=UTC).astimezone(SANTIAGO) == datetime(
        2026, 9, 6, 1, 0, tzinfo=SANTIAGO
    )
    assert datetime(2026, 4, 5, 3, 0, tzinfo=UTC).astimezone(SANTIAGO).replace(
        tzinfo=None
    ) == datetime(2026, 4, 4, 23, 0)


# --- window_opens_at ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        # opening day 2026-03-27, CET: 09:00+01 = 08:00Z
        (date(2026, 4, 2), utc(2026, 3, 27, 8, 0)),
        # opening day 2026-03-28 is still CET though the play day is CEST: 08:00Z, not 07:00Z
        (date(2026, 4, 3), utc(2026, 3, 28, 8, 0)),
        # opening day 2026-03-29 is the change day; 09:00 is after it, so CEST: 07:00Z
        (date(2026, 4, 4), utc(2026, 3, 29, 7, 0)),
        # opening day 2026-10-20, CEST: 07:00Z
        (date(2026, 10, 26), utc(2026, 10, 20, 7, 0)),
        # opening day 2026-10-24 is still CEST though the play day is CET: 07:00Z, not 08:00Z
        (date(2026, 10, 30), utc(2026, 10, 24, 7, 0)),
        # opening day 2026-10-25 is the change day; 09:00 is after it, so CET: 08:00Z
        (date(2026, 10, 31), utc(2026, 10, 25, 8, 0)),
    ],
)
def test_paris_window_uses_the_offset_of_the_opening_day(day, expected):
    result = window_opens_at(day, 6, time(9, 0), PARIS)
    assert result == expected
    assert result.tzinfo is UTC


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        # Joshua Creek: 6 days ahead at 09:00.
        # opening day 2026-03-07, EST: 09:00-05 = 14:00Z (play day is EDT)
        (date(2026, 3, 13), utc(2026, 3, 7, 14, 0)),
        # opening day 2026-03-08, 09:00 is after the 02:00 jump, EDT: 13:00Z
        (date(2026, 3, 14), utc(2026, 3, 8, 13, 0)),
        # opening day 2026-10-31, EDT: 13:00Z (play day is EST)
        (date(2026, 11, 6), utc(2026, 10, 31, 13, 0)),
        # opening day 2026-11-01, 09:00 is after the 02:00 fall back, EST: 14:00Z
        (date(2026, 11, 7), utc(2026, 11, 1, 14, 0)),
        # an ordinary summer day: opening 2026-07-09, EDT: 13:00Z
        (date(2026, 7, 15), utc(2026, 7, 9, 13, 0)),
    ],
)
def test_toronto_joshua_creek_window_across_dst(day, expected):
    result = window_opens_at(day, 6, time(9, 0), TORONTO)
    assert result == expected
    assert result.tzinfo is UTC


@pytest.mark.parametrize(
    ("day", "window_days", "opens_at", "expected"),
    [
        # 00:00 on 2026-09-06 is skipped (00:00 -04 is the jump itself): the window
        # opens at the instant the clocks jump, 04:00Z.
        (date(2026, 9, 6), 0, time(0, 0), utc(2026, 9, 6, 4, 0)),
        # same opening day reached through a 6-day window
        (date(2026, 9, 12), 6, time(0, 0), utc(2026, 9, 6, 4, 0)),
        # the midnight before the jump, -04: 04:00Z on 09-05
        (date(2026, 9, 5), 0, time(0, 0), utc(2026, 9, 5, 4, 0)),
        # the midnight after, -03: 03:00Z on 09-07
        (date(2026, 9, 7), 0, time(0, 0), utc(2026, 9, 7, 3, 0)),
        # 01:00 on 2026-09-06 is the first wall-clock time that exists after the jump
        (date(2026, 9, 6), 0, time(1, 0), utc(2026, 9, 6, 4, 0)),
        # 23:30 on 2026-04-04 happens twice: first at -03 (02:30Z), again at -04 (03:30Z);
        # the window opens at the first occurrence.
        (date(2026, 4, 4), 0, time(23, 30), utc(2026, 4, 5, 2, 30)),
        (date(2026, 4, 10), 6, time(23, 30), utc(2026, 4, 5, 2, 30)),
        # 23:00 on 2026-04-04, first occurrence at -03: 02:00Z (not 03:00Z)
        (date(2026, 4, 4), 0, time(23, 0), utc(2026, 4, 5, 2, 0)),
        # midnight on 2026-04-05 happens once, already at -04: 04:00Z
        (date(2026, 4, 5), 0, time(0, 0), utc(2026, 4, 5, 4, 0)),
        (date(2026, 4, 11), 6, time(0, 0), utc(2026, 4, 5, 4, 0)),
    ],
)
def test_santiago_window_across_midnight_changes(day, window_days, opens_at, expected):
    assert window_opens_at(day, window_days, opens_at, SANTIAGO) == expected


@pytest.mark.parametrize(
    ("zone", "day", "opens_at", "expected"),
    [
        # repeated 02:30 on 2026-10-25: first occurrence is CEST, 00:30Z (not 01:30Z)
        (PARIS, date(2026, 10, 25), time(2, 30), utc(2026, 10, 25, 0, 30)),
        # repeated 01:30 on 2026-11-01: first occurrence is EDT, 05:30Z (not 06:30Z)
        (TORONTO, date(2026, 11, 1), time(1, 30), utc(2026, 11, 1, 5, 30)),
    ],
)
def test_repeated_opening_time_opens_at_first_occurrence(zone, day, opens_at, expected):
    assert window_opens_at(day, 0, opens_at, zone) == expected


@pytest.mark.parametrize(
    ("zone", "day", "opens_at", "expected"),
    [
        # 02:00 is where Paris jumps (02:00+01 = 01:00Z)
        (PARIS, date(2026, 3, 29), time(2, 0), utc(2026, 3, 29, 1, 0)),
        # 02:00 is where Toronto jumps (02:00-05 = 07:00Z)
        (TORONTO, date(2026, 3, 8), time(2, 0), utc(2026, 3, 8, 7, 0)),
    ],
)
def test_opening_at_the_start_of_a_gap_opens_when_the_clocks_jump(zone, day, opens_at, expected):
    assert window_opens_at(day, 0, opens_at, zone) == expected


@pytest.mark.parametrize(
    ("zone", "day", "opens_at", "expected"),
    [
        # a skipped opens_at opens at the instant the clocks jump (01:00Z), not 01:30Z
        (PARIS, date(2026, 3, 29), time(2, 30), utc(2026, 3, 29, 1, 0)),
        # jump at 04:00Z, not 04:30Z
        (SANTIAGO, date(2026, 9, 6), time(0, 30), utc(2026, 9, 6, 4, 0)),
    ],
)
def test_opening_inside_a_gap_opens_when_the_clocks_jump(zone, day, opens_at, expected):
    assert window_opens_at(day, 0, opens_at, zone) == expected


@pytest.mark.parametrize(
    ("zone", "day", "expected"),
    [
        # window 0: opens on the play day itself; seconds are kept
        (PARIS, date(2026, 11, 26), utc(2026, 11, 26, 8, 0, 30)),
        (PARIS, date(2026, 7, 1), utc(2026, 7, 1, 7, 0, 30)),
        (TORONTO, date(2026, 7, 15), utc(2026, 7, 15, 13, 0, 30)),
    ],
)
def test_window_zero_days_with_seconds(zone, day, expected):
    assert window_opens_at(day, 0, time(9, 0, 30), zone) == expected


# --- local_instant --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "at", "zone"),
    [
        (date(2026, 3, 29), time(2, 30), PARIS),
        (date(2026, 3, 29), time(2, 0), PARIS),
        (date(2026, 3, 29), time(2, 59), PARIS),
        (date(2026, 3, 8), time(2, 30), TORONTO),
        (date(2026, 9, 6), time(0, 30), SANTIAGO),
        (date(2026, 9, 6), time(0, 0), SANTIAGO),
    ],
)
def test_local_instant_rejects_a_time_the_clocks_skip(day, at, zone):
    with pytest.raises(BadInput, match="does not exist") as info:
        local_instant(day, at, zone)
    message = str(info.value)
    assert day.isoformat() in message
    assert at.strftime("%H:%M") in message
    assert zone.key in message


@pytest.mark.parametrize(
    ("day", "at", "zone", "expected"),
    [
        (date(2026, 11, 26), time(19, 0), PARIS, utc(2026, 11, 26, 18, 0)),
        (date(2026, 7, 1), time(19, 0), PARIS, utc(2026, 7, 1, 17, 0)),
        # first times after the Paris and Santiago jumps
        (date(2026, 3, 29), time(3, 0), PARIS, utc(2026, 3, 29, 1, 0)),
        (date(2026, 3, 29), time(1, 59), PARIS, utc(2026, 3, 29, 0, 59)),
        (date(2026, 9, 6), time(1, 0), SANTIAGO, utc(2026, 9, 6, 4, 0)),
        (date(2026, 7, 15), time(19, 0), TORONTO, utc(2026, 7, 15, 23, 0)),
        (date(2026, 1, 15), time(19, 0), TORONTO, utc(2026, 1, 16, 0, 0)),
        # a repeated time is its first occurrence (-03 on 2026-04-04)
        (date(2026, 4, 4), time(23, 30), SANTIAGO, utc(2026, 4, 5, 2, 30)),
    ],
)
def test_local_instant_of_an_existing_time(day, at, zone, expected):
    result = local_instant(day, at, zone)
    assert result == expected
    assert result.tzinfo is UTC


# --- parse_slot_time ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("19:00", time(19, 0)),
        ("7:05", time(7, 5)),
        ("00:00", time(0, 0)),
        ("23:59", time(23, 59)),
        ("7pm", time(19, 0)),
        ("7:30pm", time(19, 30)),
        ("7am", time(7, 0)),
        ("12am", time(0, 0)),
        ("12:30am", time(0, 30)),
        ("12pm", time(12, 0)),
        (" 7PM ", time(19, 0)),
        ("7 pm", time(19, 0)),
    ],
)
def test_parse_slot_time_accepts(text, expected):
    assert parse_slot_time(text) == expected


@pytest.mark.parametrize(
    "text", ["25:00", "24:00", "7", "seven", "19:60", "13pm", "0pm", "7:5pm", "", "   "]
)
def test_parse_slot_time_rejects(text):
    with pytest.raises(BadInput, match="is not a time"):
        parse_slot_time(text)


# --- parse_opens_at -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("09:00", time(9, 0)),
        ("09:00:30", time(9, 0, 30)),
        ("00:00", time(0, 0)),
        ("23:59:59", time(23, 59, 59)),
    ],
)
def test_parse_opens_at_accepts(text, expected):
    assert parse_opens_at(text) == expected


@pytest.mark.parametrize("text", ["9", "24:00", "x", "", "09:60", "09:00:60", "9am"])
def test_parse_opens_at_rejects(text):
    with pytest.raises(BadInput, match="--opens-at"):
        parse_opens_at(text)


# --- parse_day ------------------------------------------------------------------------

# Thursday 2026-11-26, 18:00 in Paris
NOW = datetime(2026, 11, 26, 18, 0, tzinfo=PARIS)


def test_fixed_now_is_a_thursday():
    assert NOW.weekday() == 3


@pytest.mark.parametrize(
    ("text", "slot", "expected"),
    [
        ("today", time(19, 0), date(2026, 11, 26)),
        ("tomorrow", time(19, 0), date(2026, 11, 27)),
        ("+3d", time(19, 0), date(2026, 11, 29)),
        ("+0d", time(19, 0), date(2026, 11, 26)),
        ("2026-12-01", time(19, 0), date(2026, 12, 1)),
        ("friday", time(19, 0), date(2026, 11, 27)),
        ("fri", time(19, 0), date(2026, 11, 27)),
        (" Friday ", time(19, 0), date(2026, 11, 27)),
        ("sunday", time(19, 0), date(2026, 11, 29)),
        # a weekday already past this week is next week's
        ("wednesday", time(19, 0), date(2026, 12, 2)),
        ("wed", time(8, 0), date(2026, 12, 2)),
        # today's weekday counts while the slot is still ahead of now (18:00)
        ("Thursday", time(19, 0), date(2026, 11, 26)),
        ("thu", time(19, 0), date(2026, 11, 26)),
        # ... and not once it has passed, or is starting right now
        ("Thursday", time(17, 0), date(2026, 12, 3)),
        ("THU", time(17, 0), date(2026, 12, 3)),
        ("thursday", time(18, 0), date(2026, 12, 3)),
    ],
)
def test_parse_day_accepts(text, slot, expected):
    assert parse_day(text, slot, NOW) == expected


@pytest.mark.parametrize(
    "text", ["2026-02-30", "2026-13-01", "yesterday", "+d", "26/11/2026", "2026-1-5", "fr", ""]
)
def test_parse_day_rejects(text):
    with pytest.raises(BadInput):
        parse_day(text, time(19, 0), NOW)


def test_parse_day_says_an_impossible_date_is_not_real():
    with pytest.raises(BadInput, match="not a real date"):
        parse_day("2026-02-30", time(19, 0), NOW)


def test_parse_day_uses_the_local_date_of_now_not_utc():
    # 00:30 on Friday in Paris is still Thursday 23:30 UTC: "today" is the Friday.
    now = datetime(2026, 11, 27, 0, 30, tzinfo=PARIS)
    assert parse_day("today", time(19, 0), now) == date(2026, 11, 27)
    assert parse_day("friday", time(19, 0), now) == date(2026, 11, 27)


# --- parse_zone -----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["Europe/Paris", "America/Toronto", "America/Santiago"])
def test_parse_zone_accepts_iana_names(name):
    zone = parse_zone(name)
    assert isinstance(zone, ZoneInfo)
    assert zone.key == name


@pytest.mark.parametrize(
    "name",
    [
        "Mars/Olympus",
        "../etc",
        "",
        "europe/paris",
        " Europe/Paris",
        "/etc/passwd",
        "America",  # a folder of the zone database (OSError before Python 3.13)
        "a" * 300,
        "localtime",
        "posixrules",
    ],
)
def test_parse_zone_rejects(name):
    with pytest.raises(BadInput, match="unknown time zone"):
        parse_zone(name)


def test_bad_input_exits_with_code_2():
    assert BadInput.exit_code == ExitCode.BAD_INPUT == 2


# --- minutes_since_midnight -----------------------------------------------------------


@pytest.mark.parametrize(
    ("at", "expected"),
    [(time(0, 0), 0), (time(7, 5), 425), (time(19, 30), 1170), (time(23, 59, 59), 1439)],
)
def test_minutes_since_midnight(at, expected):
    assert minutes_since_midnight(at) == expected
