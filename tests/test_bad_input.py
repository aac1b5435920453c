"""Bad input to every command, generated: never a traceback, exit 2 with one line on
stderr, and the database unchanged. Through the installed command."""

from __future__ import annotations

import os
import re
import subprocess
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support import db_snapshot, gametime_executable

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
ARGS = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
               max_size=30)
ODD_BYTES = st.binary(min_size=1, max_size=20).filter(lambda b: b"\x00" not in b)
SETTINGS = settings(max_examples=12, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


def run(home, *args: str | bytes) -> subprocess.CompletedProcess[bytes]:
    argv = [os.fsencode(gametime_executable()),
            *(a if isinstance(a, bytes) else os.fsencode(a) for a in args)]
    return subprocess.run(argv, capture_output=True, timeout=60,
                          env={**os.environ, "GAMETIME_HOME": str(home)})


def check(home, result: subprocess.CompletedProcess[bytes], before, *, may_pass: bool) -> None:
    """exit 2 with one line and nothing written; exit 0 only for input that is valid."""
    err = result.stderr.decode("utf-8", "replace")
    assert b"Traceback" not in result.stderr + result.stdout
    may_pass = may_pass or any(arg in (b"--help", b"-h") for arg in result.args)
    if result.returncode == 0:
        assert may_pass, f"accepted bad input: {result.args!r}"
        return
    assert result.returncode == 2, (result.args, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gametime: error: "), err
    assert db_snapshot(home) == before


def valid_day(text: str, today: date) -> bool:
    """Whether `book` may accept the day: `today` is the club's (UTC) date at the test's
    instant; a later command's date can only be the same or later."""
    cleaned = text.strip().lower()
    if cleaned in ("today", "tomorrow") or re.fullmatch(r"\+[0-9]{1,3}d", cleaned):
        return True
    if any(cleaned in (w, w[:3]) for w in WEEKDAYS):
        return True
    try:
        return date.fromisoformat(cleaned) >= today  # today: while 20:00 is still ahead
    except ValueError:
        return False


def valid_time(text: str) -> bool:
    cleaned = text.strip().lower()
    return bool(re.fullmatch(r"([01]?[0-9]|2[0-3]):[0-5][0-9]", cleaned)
                or re.fullmatch(r"(1[0-2]|0?[1-9])(:[0-5][0-9])?\s*(am|pm)", cleaned))


@pytest.fixture
def prepared(home):
    assert run(home, "club", "add", "sim", "--url", "simulate:", "--timezone", "UTC",
               "--window-days", "2", "--opens-at", "08:00").returncode == 0
    assert run(home, "book", "+5d", "19:00", "--club", "sim").returncode == 0
    return home


pytestmark = pytest.mark.slow


@SETTINGS
@given(day=ARGS)
def test_book_dates(prepared, now, day):
    before = db_snapshot(prepared)
    result = run(prepared, "book", day, "20:00", "--club", "sim")
    check(prepared, result, before, may_pass=valid_day(day, now.date()))


@SETTINGS
@given(at=ARGS)
def test_book_times(prepared, at):
    before = db_snapshot(prepared)
    result = run(prepared, "book", "+6d", at, "--club", "sim")
    check(prepared, result, before, may_pass=valid_time(at))


@SETTINGS
@given(duration=ARGS, court=ARGS)
def test_book_durations_and_courts(prepared, duration, court):
    before = db_snapshot(prepared)
    result = run(prepared, "book", "+7d", "18:00", "--club", "sim", "--duration", duration,
                 "--court", court)
    valid = (duration.strip().isascii() and duration.strip().isdigit()
             and 0 < int(duration) <= 480 and int(duration) % 30 == 0
             and court.strip().isascii() and court.strip().isdigit()
             and 1 <= int(court) <= 99)
    check(prepared, result, before, may_pass=valid)


@SETTINGS
@given(ident=ARGS)
def test_ids(prepared, ident):
    before = db_snapshot(prepared)
    for command in ("show", "cancel"):
        result = run(prepared, command, ident)
        check(prepared, result, before, may_pass=ident.strip() in ("1", "01", "+1"))


@SETTINGS
@given(name=ARGS)
def test_club_names(prepared, name):
    before = db_snapshot(prepared)
    for args in (["book", "+5d", "21:00", "--club", name], ["club", "remove", name],
                 ["courts", "tomorrow", "--club", name], ["logout", "--club", name]):
        result = run(prepared, *args)
        check(prepared, result, before, may_pass=False)


@SETTINGS
@given(name=ARGS, zone=ARGS, opens=ARGS)
def test_club_add(prepared, name, zone, opens):
    before = db_snapshot(prepared)
    result = run(prepared, "club", "add", name or "x", "--url", "simulate:", "--timezone",
                 zone, "--window-days", "3", "--opens-at", opens)
    valid_zone = bool(re.fullmatch(r"[A-Za-z_]+(/[A-Za-z_+-]+)+|UTC", zone))
    check(prepared, result, before,
          may_pass=valid_zone and bool(re.fullmatch(r"[0-2][0-9]:[0-5][0-9](:[0-5][0-9])?",
                                                    opens.strip())))


@SETTINGS
@given(key=ARGS, value=ARGS, status=ARGS)
def test_config_and_list(prepared, key, value, status):
    before = db_snapshot(prepared)
    check(prepared, run(prepared, "config", "set", key, value), before,
          may_pass=key == "max_attempts" and value.strip().isdigit())
    check(prepared, run(prepared, "list", "--status", status), before,
          may_pass=status in ("pending", "running", "confirmed", "failed", "missed",
                              "cancelled"))


@SETTINGS
@given(raw=ODD_BYTES)
def test_odd_bytes_anywhere(prepared, raw):
    before = db_snapshot(prepared)
    for args in (["book", raw, b"19:00", b"--club", b"sim"],
                 [b"book", b"+5d", raw, b"--club", b"sim"],
                 [b"book", b"+5d", b"19:00", b"--club", raw],
                 [b"show", raw], [b"club", b"add", raw, b"--url", raw, b"--timezone", raw,
                                  b"--window-days", b"1", b"--opens-at", raw],
                 [raw]):
        result = run(prepared, *args)
        check(prepared, result, before, may_pass=False)
