"""Notifications through apprise to a loopback server of the test's own, and the
--on-result command."""

from __future__ import annotations

import json

from tests.support import import_or_missing
from tests.support import run_in_process as gt

import_or_missing("apprise")


def club(name: str, url: str) -> None:
    assert gt("club", "add", name, "--url", url, "--timezone", "UTC", "--window-days",
                    "7", "--opens-at", "00:00").returncode == 0


def test_results_reach_the_notifier(hook, home):
    url = hook.url("hook")
    assert gt("notify", "add", url).returncode == 0
    assert json.loads(gt("notify", "list", "--json").stdout) == [{"id": 1, "url": url}]
    club("ok", "simulate:?success=1&seed=2")
    club("down", "simulate:?success=0")
    gt("config", "set", "max_attempts", "1")
    gt("book", "tomorrow", "19:00", "--club", "ok", "--court", "2")
    gt("book", "tomorrow", "20:00", "--club", "down")
    result = gt("run-pending", "--json")
    assert result.returncode == 1
    titles = sorted(m["title"] for _, m in hook.posts())
    assert titles[0].startswith("Booking failed: down ") and titles[0].endswith(" 20:00")
    assert titles[1].startswith("Court booked: ok ") and titles[1].endswith(" 19:00")
    booked = next(m for _, m in hook.posts() if m["title"].startswith("Court booked"))
    confirmation = json.loads(gt("show", "1", "--json").stdout)["confirmation"]
    assert booked["message"] == f"Court 2, confirmation {confirmation}."
    # The game comes with its calendar entry, the same event `gametime calendar` writes.
    [(filename, _, data)] = hook.attachments(booked)
    assert filename == "game-1.ics"
    assert (home / "games" / filename).stat().st_mode & 0o777 == 0o600  # a file of ours
    from icalendar import Calendar

    [event] = Calendar.from_ical(data).walk("VEVENT")
    assert f"Confirmation {confirmation}" in str(event["description"])
    assert event["dtstart"].dt.strftime("%H:%M") == "19:00"
    failed = next(m for _, m in hook.posts() if m["title"].startswith("Booking failed"))
    assert "gave up after 1 attempts" in failed["message"]


def test_a_notifier_that_fails_changes_nothing():
    assert gt("notify", "add", "json://127.0.0.1:9/nowhere").returncode == 0
    club("ok", "simulate:?success=1")
    gt("book", "tomorrow", "19:00", "--club", "ok")
    result = gt("run-pending", "--json")
    assert result.returncode == 0
    assert json.loads(result.stdout)["bookings"][0]["status"] == "confirmed"
    assert "notification could not be sent" in result.stderr
    assert gt("notify", "test").returncode == 3


def test_on_result_runs_a_command_with_the_outcome(tmp_path):
    out = tmp_path / "result.txt"
    club("ok", "simulate:?success=1&seed=4")
    gt("book", "tomorrow", "19:00", "--club", "ok", "--court", "5")
    command = (f'echo "$GAMETIME_BOOKING_ID $GAMETIME_STATUS $GAMETIME_CLUB $GAMETIME_TIME '
               f'$GAMETIME_COURT $GAMETIME_CONFIRMATION" > {out}')
    assert gt("run-pending", "--on-result", command).returncode == 0
    confirmation = json.loads(gt("show", "1", "--json").stdout)["confirmation"]
    assert out.read_text().split() == ["1", "confirmed", "ok", "19:00", "5", confirmation]


def test_bad_notifier_input():
    bad = gt("notify", "add", "not a url")
    assert bad.returncode == 2 and "apprise" in bad.stderr
    assert gt("notify", "remove", "7").returncode == 2
    assert json.loads(gt("notify", "list", "--json").stdout) == []


def test_a_booking_the_site_holds_for_another_length_is_told_everywhere(hook, tmp_path):
    # The site holds 60 minutes of the 90 asked for (a save that landed before the page's
    # update of its hold): confirmed, and said in the table, the JSON, the hook, the notice.
    assert gt("notify", "add", hook.url("hook")).returncode == 0
    club("short", "simulate:?success=1&seed=3&held=60")
    gt("book", "tomorrow", "19:00", "--club", "short", "--court", "2", "--duration", "90")
    out = tmp_path / "hook.txt"
    command = f'echo "$GAMETIME_STATUS|$GAMETIME_BOOKED_MINUTES|$GAMETIME_LENGTH_NOTE" > {out}'
    result = gt("run-pending", "--json", "--on-result", command)
    assert result.returncode == 0, result.stderr
    [entry] = json.loads(result.stdout)["bookings"]
    note = "booked 60 minutes, not the 90 asked for"
    assert entry["status"] == "confirmed" and entry["booked_minutes"] == 60
    assert entry["length_note"] == note
    assert out.read_text().strip() == f"confirmed|60|{note}"
    [(_, message)] = hook.posts()
    assert note in message["message"]
    table = gt("run-pending", "--dry-run").stdout + gt("list").stdout + gt("show", "1").stdout
    assert table.count(note.split(",")[0]) >= 2  # in the list and in show
    assert json.loads(gt("show", "1", "--json").stdout)["length_note"] == note
