"""Keep trying (issue 14): a booking whose courts are all taken watches the day's courts
until its cut-off, and books the moment a wanted court frees. Simulated clubs here (a
court 'frees' when the club's simulated taken courts change); the real site's version,
with another member cancelling on the sandbox, is in test_keep_trying_browser.py."""

from __future__ import annotations

import json
import sqlite3
import time
from datetime import timedelta

import pytest

from tests.support import add_club, pin_clock, show

FULL = "simulate:?success=1&seed=3&courts=2&taken=1,2"


def free_a_court(home, court_taken: str) -> None:
    """Another member cancels: the simulated club's taken courts change."""
    with sqlite3.connect(home / "gametime.db") as db:
        db.execute("UPDATE clubs SET url = ? WHERE name = 'busy'",
                   [f"simulate:?success=1&seed=3&courts=2&taken={court_taken}"])


def test_a_full_day_is_watched_then_booked_when_a_court_frees(cli, home, pinned_now,
                                                             monkeypatch, hook):
    add_club(cli, "busy", FULL, accept_waiver=False)
    assert cli("notify", "add", hook.url("hook")).exit_code == 0
    day = (pinned_now + timedelta(days=1)).date().isoformat()
    made = cli("book", day, "19:00", "--club", "busy", "--keep-trying", "--json")
    assert json.loads(made.stdout)["keep_trying_until"] == "2h"
    first = cli("run-pending", "--max-wait", "0", "--json")
    assert first.exit_code == 0, first.stderr  # watching is not a failure
    [entry] = json.loads(first.stdout)["bookings"]
    assert (entry["status"], entry["outcome"]) == ("pending", "watching")
    assert entry["error"].startswith("watching for a free court")
    watched = show(cli, 1)
    assert watched["watching_since"] is not None and watched["checks"] == 0
    human = cli("show", "1").stdout
    assert "watching for a free court since" in human and "checked 0 times" in human

    # Still full at the next read: counted, nothing else happens.
    pin_clock(monkeypatch, pinned_now + timedelta(seconds=40))
    again = cli("run-pending", "--max-wait", "0", "--json")
    assert json.loads(again.stdout)["bookings"][0]["outcome"] == "watching"
    assert show(cli, 1)["checks"] == 1
    assert show(cli, 1)["attempts"] == 1  # a read is not an attempt

    free_a_court(home, "1")
    pin_clock(monkeypatch, pinned_now + timedelta(seconds=80))
    booked = cli("run-pending", "--max-wait", "0", "--json")
    assert booked.exit_code == 0, booked.stderr
    [entry] = json.loads(booked.stdout)["bookings"]
    assert (entry["status"], entry["court"]) == ("confirmed", 2)
    assert show(cli, 1)["checks"] == 2
    [(_, notice)] = hook.posts()  # nothing was said while it watched
    assert notice["title"].startswith("Court freed and booked: busy ")


def test_without_keep_trying_a_full_day_fails_at_once(cli, pinned_now):
    add_club(cli, "busy", FULL, accept_waiver=False)
    day = (pinned_now + timedelta(days=1)).date().isoformat()
    cli("book", day, "19:00", "--club", "busy")
    ran = cli("run-pending", "--max-wait", "0", "--json")
    assert ran.exit_code == 1
    [entry] = json.loads(ran.stdout)["bookings"]
    assert (entry["status"], entry["outcome"]) == ("failed", "taken")


def test_at_the_cut_off_it_fails_saying_why(cli, pinned_now, monkeypatch):
    add_club(cli, "busy", FULL, accept_waiver=False)
    slot = (pinned_now + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    day, at = slot.date().isoformat(), slot.strftime("%H:%M")
    cli("book", day, at, "--club", "busy", "--keep-trying-until", "3h")
    assert cli("run-pending", "--max-wait", "0").exit_code == 0
    pin_clock(monkeypatch, slot - timedelta(hours=3, seconds=5))  # the next read would be past it
    ended = cli("run-pending", "--max-wait", "0", "--json")
    assert ended.exit_code == 1
    [entry] = json.loads(ended.stdout)["bookings"]
    assert entry["status"] == "failed"
    cut = (slot - timedelta(hours=3)).strftime("%H:%M")
    assert entry["error"] == (f"no court came free by {cut}, the cut-off for keeping "
                              "trying (checked 1 time)")


def test_the_setting_is_the_default_and_the_option_overrides_it(cli, pinned_now):
    add_club(cli, "busy", FULL, accept_waiver=False)
    day = (pinned_now + timedelta(days=1)).date().isoformat()
    assert cli("config", "set", "keep_trying", "true").exit_code == 0
    assert cli("config", "set", "keep_trying_until", "17:30").exit_code == 0
    made = json.loads(cli("book", day, "19:00", "--club", "busy", "--json").stdout)
    assert made["keep_trying_until"] == "17:30"
    plain = json.loads(cli("book", day, "20:00", "--club", "busy", "--no-keep-trying",
                           "--json").stdout)
    assert plain["keep_trying_until"] is None


@pytest.mark.parametrize(("args", "words"), [
    (["--keep-trying-until", "soon"], "is not a cut-off; write a time of day (17:00)"),
    (["--no-keep-trying", "--keep-trying-until", "3h"], "goes with --keep-trying"),
])
def test_a_bad_cut_off_is_one_line(cli, pinned_now, args, words):
    add_club(cli, "busy", FULL, accept_waiver=False)
    result = cli("book", "tomorrow", "19:00", "--club", "busy", *args)
    assert result.exit_code == 2 and words in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert cli("list", "--json").stdout.strip() == "[]"


def test_the_interval_has_a_floor(cli):
    result = cli("config", "set", "keep_trying_every", "5")
    assert result.exit_code == 2 and "must be between 10 and 3600" in result.stderr


def test_a_series_and_an_import_keep_trying_too(cli, pinned_now, tmp_path):
    add_club(cli, "busy", FULL, accept_waiver=False)
    first = (pinned_now + timedelta(days=1)).date()
    made = json.loads(cli("book", first.isoformat(), "19:00", "--club", "busy", "--every",
                          "day", "--count", "2", "--keep-trying-until", "17:00",
                          "--json").stdout)
    assert made["keep_trying_until"] == "17:00"
    assert [b["keep_trying_until"] for b in made["bookings"]] == ["17:00", "17:00"]
    assert cli("config", "set", "keep_trying", "yes").exit_code == 0
    rows = tmp_path / "games.csv"
    rows.write_text(f"date,time,club\n{first.isoformat()},08:00,busy\n")
    assert cli("import", str(rows)).exit_code == 0
    imported = json.loads(cli("list", "--json").stdout)
    assert [b["keep_trying_until"] for b in imported if b["time"] == "08:00"] == ["2h"]


def test_one_read_of_a_day_serves_every_booking_watching_it(cli, pinned_now, monkeypatch):
    from gametime_cli.sites.simulated import SimulatedSite

    add_club(cli, "busy", FULL, accept_waiver=False)
    day = (pinned_now + timedelta(days=1)).date().isoformat()
    for at in ("19:00", "20:00"):
        assert cli("book", day, at, "--club", "busy", "--keep-trying").exit_code == 0
    assert cli("run-pending", "--max-wait", "0").exit_code == 0
    due = {b["id"]: b["next_try_at"] for b in json.loads(cli("list", "--json").stdout)}
    assert due[1] == due[2]  # the second reads with the first
    reads = []
    real = SimulatedSite.day_courts
    monkeypatch.setattr(SimulatedSite, "day_courts",
                        lambda self, d: reads.append(d) or real(self, d))
    pin_clock(monkeypatch, pinned_now + timedelta(seconds=40))
    again = json.loads(cli("run-pending", "--max-wait", "0", "--json").stdout)
    assert [b["outcome"] for b in again["bookings"]] == ["watching", "watching"]
    assert len(reads) == 1
    assert [b["checks"] for b in json.loads(cli("list", "--json").stdout)] == [1, 1]


@pytest.mark.slow
def test_cron_reads_again_within_max_wait_where_the_interval_is_shorter(cli):
    """One `run-pending` (cron's tick) stays up to max_wait: with reads every 10 s and
    15 s to stay, it reads the day again before it ends, and no more than it allows."""
    add_club(cli, "busy", FULL, accept_waiver=False)
    cli("book", "tomorrow", "19:00", "--club", "busy", "--keep-trying")
    assert cli("config", "set", "keep_trying_every", "10").exit_code == 0
    started = time.monotonic()
    ran = cli("run-pending", "--max-wait", "15", "--json")
    took = time.monotonic() - started
    assert ran.exit_code == 0
    assert json.loads(ran.stdout)["bookings"][0]["outcome"] == "watching"
    checks = show(cli, 1)["checks"]
    assert 1 <= checks <= took / 8, (checks, took)
    assert took < 15 + 12 + 5  # it left once the next read was past its stay
