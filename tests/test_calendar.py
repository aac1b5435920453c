"""`gametime calendar` (issue 14): the games as iCalendar, read back with the library's
own parser, in the club's zone on both sides of its next daylight-saving change."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar

ZONE = "America/Toronto"


def around_the_next_change(now: datetime) -> tuple[date, date]:
    """The days either side of the zone's next change of UTC offset after `now`."""
    zone = ZoneInfo(ZONE)
    day = now.astimezone(zone).date() + timedelta(days=2)
    for _ in range(400):
        before = datetime.combine(day, time(12), zone).utcoffset()
        after = datetime.combine(day + timedelta(days=1), time(12), zone).utcoffset()
        if before != after:
            return day, day + timedelta(days=1)
        day += timedelta(days=1)
    raise AssertionError("no offset change within 400 days")


def confirm(home, booking: int, court: int, confirmation: str, status="confirmed") -> None:
    """The run's record of a booked game (what run-pending writes when the club confirms)."""
    with sqlite3.connect(home / "gametime.db") as db:
        db.execute("UPDATE bookings SET status = ?, court = ?, confirmation = ?,"
                   " booked_time = time WHERE id = ?", [status, court, confirmation, booking])


def events(text: bytes) -> dict[str, object]:
    parsed = Calendar.from_ical(text)
    return {str(e["uid"]): e for e in parsed.walk("VEVENT")}


def test_games_round_trip_in_the_club_zone_across_a_dst_change(cli, home, now, tmp_path):
    first, second = around_the_next_change(now)
    cli("club", "add", "jct", "--url", "simulate:?success=1", "--timezone", ZONE,
        "--window-days", "6", "--opens-at", "09:00")
    for day in (first, second):
        made = cli("book", day.isoformat(), "19:00", "--club", "jct", "--partner", "Ann Lee",
                   "--duration", "90")
        assert made.exit_code == 0, made.stderr
    cli("book", first.isoformat(), "08:00", "--club", "jct")  # still to book
    confirm(home, 1, 2, "278890")
    confirm(home, 2, 3, "278891")
    out = tmp_path / "games.ics"
    written = cli("calendar", "--output", str(out))
    assert written.exit_code == 0, written.stderr
    assert "Wrote 2 game(s)" in written.stdout
    found = events(out.read_bytes())
    assert len(found) == 2
    zone = ZoneInfo(ZONE)
    starts = []
    for event in found.values():
        start = event["dtstart"].dt
        assert event["dtstart"].params["TZID"] == ZONE
        assert start.astimezone(zone).time() == time(19, 0)
        assert event["duration"].dt == timedelta(minutes=90)
        assert "With Ann Lee" in str(event["description"])
        assert event["status"] == "CONFIRMED"
        starts.append(start.astimezone(UTC))
    # 19:00 local is a different UTC time of day on each side of the change.
    expected = {datetime.combine(d, time(19), zone).astimezone(UTC) for d in (first, second)}
    assert set(starts) == expected
    assert len({s.time() for s in starts}) == 2
    assert b"BEGIN:VTIMEZONE" in out.read_bytes()
    assert sorted(str(e["description"]).splitlines()[2] for e in found.values()) == [
        "Confirmation 278890", "Confirmation 278891"]

    # Exported again after a cancel: the same UIDs, the cancelled one marked so.
    confirm(home, 2, 3, "278891", status="cancelled")
    again = events(cli("calendar").stdout_bytes)
    assert set(again) == set(found)
    cancelled = next(e for e in again.values() if "278891" in str(e["description"]))
    assert cancelled["status"] == "CANCELLED" and int(cancelled["sequence"]) > 0
    with_pending = events(cli("calendar", "--pending").stdout_bytes)
    assert len(with_pending) == 3
    assert sum(e["status"] == "TENTATIVE" for e in with_pending.values()) == 1


def test_a_bad_output_folder_is_one_line_and_writes_nothing(cli, tmp_path):
    result = cli("calendar", "--output", str(tmp_path / "nowhere" / "games.ics"))
    assert result.exit_code == 2
    assert result.stderr.strip().endswith(f"there is no folder {tmp_path / 'nowhere'}")
    assert not (tmp_path / "nowhere").exists()
