"""The docs' promises about runs, series, import and `on_result` (docs/guide.md,
docs/how-it-works.md, docs/scripting.md), each tested as a player sees it: the exit
code, the JSON or the table on stdout, the line on stderr, the status that `show --json`
tells.

The fast ones run the app in-process against simulated clubs, with the commands' clock
pinned (GAMETIME_NOW) at the test's one instant or at instants built from it; the slow
ones start the installed command with a real Chromium against the sandbox site, whose
own record shows what was sent (a run that lost its lease; the cap on too-early reloads
at the opening)."""

from __future__ import annotations

import itertools
import json
import os
import shlex
import sqlite3
import subprocess
import threading
import time
from datetime import UTC, date, datetime, timedelta

import pytest

from gametime_cli.clock import to_iso
from tests.support import (
    add_club,
    book,
    book_json,
    db_snapshot,
    gametime_executable,
    pin_clock,
    show,
)


def slot_start(day: date, at: str = "19:00") -> datetime:
    """A slot's start at a club in UTC."""
    return datetime.combine(day, datetime.strptime(at, "%H:%M").time(), tzinfo=UTC)


# -- statuses and outcomes -------------------------------------------------------------


def test_a_booking_whose_slot_began_before_it_could_be_booked_is_missed(cli, pinned_now,
                                                                       monkeypatch):
    """docs/guide.md (Commands): `missed` (its slot began before it could be booked)."""
    add_club(cli, "sim", "simulate:?success=1", accept_waiver=False)
    day = pinned_now.date() + timedelta(days=1)
    booking = book(cli, day, "19:00", club="sim")
    # Nothing ran it (the machine was off, say) until a minute after the slot began.
    pin_clock(monkeypatch, slot_start(day) + timedelta(minutes=1))
    result = cli("run-pending", "--json")
    assert result.exit_code == 1, result.stderr
    [entry] = json.loads(result.stdout)["bookings"]
    assert (entry["id"], entry["status"], entry["outcome"]) == (booking, "missed", "missed")
    assert entry["error"] == "the slot began before it could be booked"
    assert entry["attempts"] == 0 and entry["next_try_at"] is None  # nothing was sent
    shown = show(cli, booking)
    assert shown["status"] == "missed" and shown["attempt_history"] == []
    assert shown["last_error"] == "the slot began before it could be booked"
    assert [b["id"] for b in json.loads(cli("list", "--status", "missed", "--json").stdout)
            ] == [booking]


def test_no_retry_is_started_at_or_after_the_slots_start(cli, pinned_now, monkeypatch):
    """docs/how-it-works.md (Never twice, never lost): No retry is started at or after
    the slot's own start: the booking ends `missed`, with the reason."""
    add_club(cli, "flaky", "simulate:?success=0", accept_waiver=False)
    assert cli("config", "set", "retry_base", "60").exit_code == 0  # a first retry 30-60 s on
    day = pinned_now.date() + timedelta(days=1)
    booking = book(cli, day, "19:00", club="flaky")
    pin_clock(monkeypatch, slot_start(day) - timedelta(seconds=20))
    result = cli("run-pending", "--json")
    assert result.exit_code == 1, result.stderr
    [entry] = json.loads(result.stdout)["bookings"]
    assert entry["status"] == "missed"
    assert entry["error"] == ("the slot began before another try: "
                              "simulated site error (HTTP 503)")
    assert entry["attempts"] == 1 and entry["next_try_at"] is None
    shown = show(cli, booking)
    assert shown["status"] == "missed"
    assert [a["outcome"] for a in shown["attempt_history"]] == ["transient"]


@pytest.mark.slow
@pytest.mark.browser
def test_a_run_that_lost_its_lease_submits_nothing_and_says_lost(gametime, home, now,
                                                                  needs_browser):
    """docs/scripting.md (`run-pending`): outcome `lost` — another run took it over.
    docs/how-it-works.md (Never twice, never lost): the submit is fenced: the write
    before it fails if the lease was lost, and then nothing is submitted. The site's
    own record shows one save: the run that took the booking over."""
    from gametime_cli.sandbox import SandboxConfig, SandboxSite, SandboxUser

    user = SandboxUser("jo", "pw-jo-lease", 4411, "Jo, Player")
    day = now.date() + timedelta(days=2)
    config = SandboxConfig(users=[user], timezone="UTC", window_days=7,
                           opens_at=datetime.min.time(), seed=9)
    with SandboxSite(config) as site:
        assert gametime("club", "add", "sb", "--url", site.base_url,
                        "--accept-waiver", "--yes", "--timezone", "UTC",
                        "--window-days", "7", "--opens-at", "00:00").returncode == 0
        login = gametime("login", "--club", "sb", "--username", user.username,
                         "--password-stdin", "--store", "file", "--no-verify",
                         input=user.password + "\n")
        assert login.returncode == 0, login.stderr
        # The first run's form may stay on its screen while the other run books.
        assert gametime("config", "set", "navigation_timeout", "60").returncode == 0
        made = gametime("book", day.isoformat(), "19:00", "--club", "sb", "--court", "1",
                        "--json")
        booking = json.loads(made.stdout)["id"]
        served, release = threading.Event(), threading.Event()
        real_open_form = site.open_form

        def open_form(*args, **kwargs):
            outcome = real_open_form(*args, **kwargs)
            if outcome.refusal is None and not served.is_set():
                served.set()  # the first run holds the form and waits here
                release.wait(90)
            return outcome

        site.open_form = open_form
        env = {**os.environ, "GAMETIME_HOME": str(home)}
        first = subprocess.Popen([gametime_executable(), "run-pending", "--json"], env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            assert served.wait(60), "the first run should load the booking form"
            # Its lease runs out while it waits (the machine slept, say) ...
            with sqlite3.connect(home / "gametime.db") as conn:
                conn.execute("UPDATE bookings SET lease_expires = ? WHERE id = ?",
                             [to_iso(datetime.now(UTC) - timedelta(seconds=1)), booking])
            conn.close()
            # ... and the next run takes the booking over and books it.
            second = gametime("run-pending", "--json", timeout=120)
            release.set()
            out, err = first.communicate(timeout=60)
        finally:
            release.set()
            if first.poll() is None:
                first.kill()
                first.communicate(timeout=10)
        assert second.returncode == 0, second.stderr
        [booked] = json.loads(second.stdout)["bookings"]
        assert (booked["status"], booked["outcome"]) == ("confirmed", "confirmed")
        assert first.returncode == 0, err
        [taken_over] = json.loads(out)["bookings"]
        assert (taken_over["id"], taken_over["outcome"]) == (booking, "lost")
        assert "another run took it over" in err
        assert len(site.form_loads()) == 2
        assert [s["status"] for s in site.saves()] == [302]  # the first run sent nothing
        assert [str(b["confirmation"]) for b in site.bookings()] == [booked["confirmation"]]
    shown = json.loads(gametime("show", str(booking), "--json").stdout)
    assert shown["status"] == "confirmed" and shown["confirmation"] == booked["confirmation"]
    assert [(a["outcome"], a["submitted_at"] is not None)
            for a in shown["attempt_history"]] == [("interrupted", False), ("confirmed", True)]


# -- recurring bookings ----------------------------------------------------------------


def test_every_2weeks_books_a_game_a_fortnight(cli, pinned_now):
    """docs/guide.md (The weekly game): `--every week|2weeks|day`, ending after
    `--count N`."""
    add_club(cli, "sim", "simulate:?success=1", window_days=30, accept_waiver=False)
    first = pinned_now.date() + timedelta(days=1)
    made = book_json(cli, first, "19:00", "--every", "2weeks", "--count", "3", club="sim")
    expected = [(first + timedelta(days=14 * n)).isoformat() for n in range(3)]
    # Every game's window opens within 30 days, so each is a booking already.
    assert [b["date"] for b in made["bookings"]] == expected
    assert made["every"] == "2weeks" and made["count"] == 3
    listed = json.loads(cli("list", "--json").stdout)
    assert [(b["date"], b["time"], b["series"]) for b in listed] == [
        (d, "19:00", made["id"]) for d in expected]
    shown = cli("series", "show", str(made["id"]))
    assert shown.exit_code == 0
    assert f"every 2 weeks on {first.strftime('%A')} at 19:00 at sim" in shown.stdout
    assert "3 games" in shown.stdout


def test_until_is_the_series_last_date(cli, pinned_now):
    """docs/guide.md (The weekly game): a series ends `--until DATE`: no game after it
    (the date itself is the last game when it falls on the rule)."""
    add_club(cli, "sim", "simulate:?success=1", window_days=30, accept_waiver=False)
    first = pinned_now.date() + timedelta(days=1)
    on_a_game = book_json(cli, first, "19:00", "--every", "week",
                          "--until", (first + timedelta(days=14)).isoformat(), club="sim")
    between = book_json(cli, first, "20:00", "--every", "week",
                        "--until", (first + timedelta(days=13)).isoformat(), club="sim")
    # Windows open 30 days ahead: the weeks after --until would all be bookings by now.
    games = {(b["series"], b["date"]) for b in json.loads(cli("list", "--json").stdout)}
    assert games == {
        *((on_a_game["id"], (first + timedelta(days=d)).isoformat()) for d in (0, 7, 14)),
        *((between["id"], (first + timedelta(days=d)).isoformat()) for d in (0, 7)),
    }
    for series in (on_a_game, between):
        shown = json.loads(cli("series", "show", str(series["id"]), "--json").stdout)
        assert shown["status"] == "finished" and shown["next_booking_made_at"] is None


def test_series_show_notes_a_date_the_clocks_skip(cli, monkeypatch):
    """docs/guide.md (The weekly game): a date whose time the clocks skip is passed
    over with a note (`series show`). Paris moves its clocks from 02:00 to 03:00 on
    2027-03-28."""
    pin_clock(monkeypatch, datetime(2027, 3, 24, 12, 0, tzinfo=UTC))
    add_club(cli, "paris", "simulate:?success=1", window_days=2, timezone="Europe/Paris",
             opens_at="08:00", accept_waiver=False)
    made = book_json(cli, date(2027, 3, 27), "02:30", "--every", "day",
                     "--until", "2027-03-29", club="paris")
    note = "2027-03-28: skipped, 02:30 does not exist in Europe/Paris that day"
    shown = cli("series", "show", str(made["id"]))
    assert shown.exit_code == 0, shown.stderr
    assert f"  note: {note}" in shown.stdout.splitlines()
    assert json.loads(cli("series", "show", str(made["id"]), "--json").stdout)["notes"] == [
        note]
    assert [b["date"] for b in json.loads(cli("list", "--json").stdout)] == ["2027-03-27"]


# -- import -----------------------------------------------------------------------------


def test_import_books_each_row_with_its_account_column(cli, home, pinned_now, tmp_path):
    """docs/guide.md (Many at once): import's `account` column (a club with several
    accounts needs it, as `book --account`); a bad row is reported by its line number,
    and then nothing from the file is booked."""
    add_club(cli, "sim", "simulate:?success=1", accept_waiver=False)
    for user in ("jo", "sam"):
        login = cli("login", "--club", "sim", "--username", user, "--password-stdin",
                    "--store", "file", "--no-verify", input=f"pw-{user}\n")
        assert login.exit_code == 0, login.stderr
    day = (pinned_now.date() + timedelta(days=3)).isoformat()
    good = tmp_path / "good.csv"
    good.write_text(f"club,date,time,account\nsim,{day},19:00,sam\nsim,{day},19:00,jo\n")
    result = cli("import", str(good), "--json")
    assert result.exit_code == 0, result.stderr
    assert [(b["date"], b["time"], b["account"]) for b in json.loads(result.stdout)] == [
        (day, "19:00", "sam"), (day, "19:00", "jo")]
    assert sorted(b["account"] for b in json.loads(cli("list", "--json").stdout)) == [
        "jo", "sam"]
    before = db_snapshot(home)
    for text, fragment in [
        (f"club,date,time,account\nsim,{day},20:00,jo\nsim,{day},20:00,max\n",
         "line 3: no account 'max' at sim (known: jo, sam)"),
        (f"club,date,time,account\nsim,{day},21:00,\nsim,{day},21:00,sam\n",
         "line 2: sim has several accounts (jo, sam)"),
    ]:
        bad = tmp_path / "bad.csv"
        bad.write_text(text)
        refused = cli("import", str(bad))
        assert refused.exit_code == 2
        [line] = refused.stderr.strip().splitlines()
        assert line.startswith(f"gametime: error: {bad} {fragment}"), line
        assert line.endswith("nothing was booked"), line
        assert db_snapshot(home) == before


# -- on_result ---------------------------------------------------------------------------


def recorder(tmp_path) -> tuple[str, object]:
    """A command that appends what it was given, one line per result."""
    out = tmp_path / "results.txt"
    script = tmp_path / "record.sh"
    script.write_text(
        'printf "%s|%s|%s|%s|%s|%s\\n" "$GAMETIME_BOOKING_ID" "$GAMETIME_STATUS" '
        '"$GAMETIME_CLUB" "$GAMETIME_DATE" "$GAMETIME_TIME" "$GAMETIME_ERROR" '
        f'>> {shlex.quote(str(out))}\n')
    return f"sh {shlex.quote(str(script))}", out


def test_the_on_result_setting_runs_a_command_with_date_and_error(cli, pinned_now,
                                                                  tmp_path, monkeypatch):
    """docs/guide.md (Being told): the `on_result` setting runs a command after each
    result with GAMETIME_DATE, GAMETIME_ERROR, … set (confirmed, failed or missed)."""
    command, out = recorder(tmp_path)
    assert cli("config", "set", "on_result", command).exit_code == 0
    assert json.loads(cli("config", "list", "--json").stdout)["on_result"] == command
    add_club(cli, "ok", "simulate:?success=1&seed=4", accept_waiver=False)
    add_club(cli, "down", "simulate:?success=0", accept_waiver=False)
    assert cli("config", "set", "max_attempts", "1").exit_code == 0
    day = pinned_now.date() + timedelta(days=1)
    later = day + timedelta(days=1)
    booked = book(cli, day, "19:00", club="ok")
    failed = book(cli, later, "20:00", club="down")
    result = cli("run-pending", "--json")
    assert result.exit_code == 1, result.stderr
    reason = show(cli, failed)["last_error"]
    assert reason.startswith("gave up after 1 attempts: simulated site error")
    assert sorted(out.read_text().splitlines()) == sorted([
        f"{booked}|confirmed|ok|{day.isoformat()}|19:00|",
        f"{failed}|failed|down|{later.isoformat()}|20:00|{reason}",
    ])
    # A missed booking is a result too: its reason comes in GAMETIME_ERROR.
    missed = book(cli, later, "18:00", club="ok")
    pin_clock(monkeypatch, slot_start(later, "18:00") + timedelta(minutes=1))
    assert cli("run-pending").exit_code == 1
    assert out.read_text().splitlines()[-1] == (
        f"{missed}|missed|ok|{later.isoformat()}|18:00|"
        "the slot began before it could be booked")


def test_a_failing_on_result_command_is_logged_and_changes_nothing(cli, home, pinned_now):
    """docs/guide.md (Being told): A notice or command that fails is logged and never
    changes the booking's outcome."""
    add_club(cli, "ok", "simulate:?success=1&seed=4", accept_waiver=False)
    booking = book(cli, pinned_now.date() + timedelta(days=1), "19:00", club="ok")
    result = cli("run-pending", "--json", "--on-result", "echo no >&2; exit 7")
    assert result.exit_code == 0, result.stderr
    [entry] = json.loads(result.stdout)["bookings"]
    assert (entry["id"], entry["status"], entry["outcome"]) == (booking, "confirmed",
                                                                "confirmed")
    assert "gametime: the on-result command exited 7" in result.stderr.splitlines()
    assert "the on-result command exited 7" in (home / "gametime.log").read_text()
    shown = show(cli, booking)
    assert shown["status"] == "confirmed" and shown["confirmation"] == entry["confirmation"]


# -- at the very opening: the cap on too-early reloads ------------------------------------


@pytest.mark.slow
@pytest.mark.browser
def test_too_early_at_the_opening_is_asked_again_for_fire_retry_seconds_only(
        gametime, now, needs_browser):
    """docs/how-it-works.md (At the very opening): at T0, if the site still says too
    early, it asks again at once, then at most every 100 ms, for up to
    `fire_retry_seconds`. Here the site opens the day a day later than the club's rule
    says; with `--max-wait 0` the run stops when the burst does."""
    from gametime_cli.sandbox import SandboxConfig, SandboxSite, SandboxUser

    t0 = (now + timedelta(seconds=15)).replace(microsecond=0)
    day = t0.date() + timedelta(days=2)
    user = SandboxUser("jo", "pw-jo-early", 4411, "Jo, Player")
    config = SandboxConfig(users=[user], timezone="UTC", window_days=1, opens_at=t0.time(),
                           seed=7)
    with SandboxSite(config) as site:
        assert gametime("club", "add", "sb", "--url", site.base_url,
                        "--accept-waiver", "--yes", "--timezone", "UTC",
                        "--window-days", "2", "--opens-at",
                        t0.time().isoformat()).returncode == 0
        login = gametime("login", "--club", "sb", "--username", user.username,
                         "--password-stdin", "--store", "file", "--no-verify",
                         input=user.password + "\n")
        assert login.returncode == 0, login.stderr
        assert gametime("config", "set", "fire_retry_seconds", "2").returncode == 0
        made = gametime("book", day.isoformat(), "19:00", "--club", "sb", "--court", "1",
                        "--json")
        booking = json.loads(made.stdout)
        assert datetime.fromisoformat(booking["execute_at"]) == t0
        result = gametime("run-pending", "--json", "--max-wait", "0", timeout=120)
        ended = time.time()
        assert result.returncode == 0, result.stderr
        [entry] = json.loads(result.stdout)["bookings"]
        assert (entry["status"], entry["outcome"]) == ("pending", "not_open")
        assert entry["next_try_at"] is not None
        asks = [r["at"] - t0.timestamp() for r in site.requests()
                if r["method"] == "GET" and r["path"].startswith("/scheduling/index/book/")]
        assert site.form_loads() == [] and site.saves() == []
    fired = [a for a in asks if a >= -0.05]
    assert len(fired) >= 8, asks  # asked again and again, at most 100 ms apart
    assert len(fired) <= 2.0 * 10 + 10, asks  # not hammering: about ten a second
    assert max(b - a for a, b in itertools.pairwise(fired)) < 0.5, fired
    assert fired[-1] <= 2.0 + 0.3, fired  # and no longer than fire_retry_seconds
    assert ended - t0.timestamp() < 2.0 + 5, "the run should end with the burst"
