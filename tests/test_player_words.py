"""What a player reads when input is wrong or there is nothing to say (issue 13, in
part): one line in the player's words, quiet when asked, JSON where a script needs it."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest


def test_an_id_that_is_not_a_number_says_where_the_ids_are(cli):
    for args, lister in ((["show", "abc"], "gametime list"),
                         (["cancel", "x1"], "gametime list"),
                         (["series", "cancel", "two"], "gametime series list"),
                         (["notify", "remove", "y"], "gametime notify list")):
        result = cli(*args)
        assert result.exit_code == 2, args
        assert f"is not an id; ids are the numbers '{lister}' shows" in result.stderr
        assert "Input should be" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(("key", "value", "words"), [
    ("max_attempts", "abc", "max_attempts = 'abc' is not valid: it takes a whole number "
                            "from 1 to 50"),
    ("lookahead", "-5", "lookahead = '-5' is not valid: must be between 0 and 3600"),
    ("lead_seconds", "soon", "it takes a number from 5 to 3600"),
])
def test_a_setting_out_of_its_range_or_not_a_number(cli, key, value, words):
    result = cli("config", "set", key, value)
    assert result.exit_code == 2
    assert words in result.stderr
    assert "invalid literal" not in result.stderr and "No such option" not in result.stderr


def test_quiet_list_says_nothing_when_there_is_nothing(cli):
    quiet = cli("-q", "list")
    assert quiet.exit_code == 0 and quiet.stdout == "" and quiet.stderr == ""
    assert "No bookings." in cli("list").stderr


def test_a_club_opening_one_day_ahead_is_said_in_words(cli):
    added = cli("club", "add", "near", "--url", "simulate:?success=1", "--timezone", "UTC",
                "--window-days", "1", "--opens-at", "07:00")
    assert "each day opens 1 day ahead at 07:00:00 UTC" in added.stdout
    same = cli("club", "add", "walkin", "--url", "simulate:?success=1", "--timezone", "UTC",
               "--window-days", "0", "--opens-at", "07:00")
    assert "each day opens the same day at 07:00:00 UTC" in same.stdout


def test_config_set_help_lists_every_key_with_its_meaning(cli):
    from gametime_cli.settings import KNOWN

    shown = " ".join(cli("config", "set", "--help").stdout.split())
    for key, setting in KNOWN.items():
        assert f"{key} (" in shown and " ".join(setting.help.split()) in shown, key


def test_show_says_when_the_window_was_already_open(cli):
    cli("club", "add", "open", "--url", "simulate:?success=1", "--timezone", "UTC",
        "--window-days", "30", "--opens-at", "00:00")
    cli("club", "add", "later", "--url", "simulate:?success=1", "--timezone", "UTC",
        "--window-days", "0", "--opens-at", "00:00")
    open_now = cli("book", "+2d", "19:00", "--club", "open", "--json")
    ahead = cli("book", "+2d", "19:00", "--club", "later", "--json")
    shown_open = cli("show", str(json.loads(open_now.stdout)["id"])).stdout
    shown_ahead = cli("show", str(json.loads(ahead.stdout)["id"])).stdout
    assert "already open when it was registered" in shown_open
    assert "Window opens" not in shown_open
    assert "Window opens" in shown_ahead


def test_took_counts_from_the_opening_not_from_the_wait_before_it():
    from datetime import UTC, datetime, timedelta

    from rich.console import Console

    from gametime_cli.models import Attempt
    from gametime_cli.output.tables import attempts_table

    opening = datetime(2026, 11, 27, 14, 0, tzinfo=UTC)  # a fixed instant: any will do
    prepared = Attempt(1, 1, 1, opening - timedelta(seconds=58), opening
                       + timedelta(seconds=0.46), "confirmed", 2, "278001", None)
    later = Attempt(2, 1, 2, opening + timedelta(seconds=30), opening
                    + timedelta(seconds=31.25), "taken", 3, None, "court 3 is booked")
    console = Console(width=200, record=True)
    console.print(attempts_table([prepared, later], opening))
    text = console.export_text()
    assert "0.46 s" in text and "58.46 s" not in text
    assert "1.25 s" in text


def test_an_overdue_booking_is_due_now_not_seconds_ago(cli, monkeypatch, now):
    from gametime_cli.clock import to_iso

    cli("club", "add", "open", "--url", "simulate:?success=1", "--timezone", "UTC",
        "--window-days", "30", "--opens-at", "00:00")
    monkeypatch.setenv("GAMETIME_NOW", to_iso(now))
    cli("book", "+2d", "19:00", "--club", "open")  # registered while open: due at once
    monkeypatch.setenv("GAMETIME_NOW", to_iso(now + timedelta(seconds=16)))  # no run since
    listed = cli("list").stdout
    assert "due now" in listed and " ago" not in listed


def test_a_booking_that_got_no_court_shows_none_in_the_run_table(cli):
    cli("club", "add", "full", "--url", "simulate:?courts=2&taken=1,2", "--timezone", "UTC",
        "--window-days", "30", "--opens-at", "00:00")
    cli("book", "+2d", "19:00", "--club", "full", "--court", "2")
    result = cli("run-pending", "--max-wait", "0")
    row = next(line for line in result.stdout.splitlines() if line.split()[:2] == ["1", "full"])
    cells = [cell.strip() for cell in row.split("  ") if cell.strip()]
    assert "2" not in cells[4:6], row  # no "Court 2": nothing was booked


def _every_command(group, path=()):
    for name, command in sorted(group.commands.items()):
        if getattr(command, "commands", None):
            yield from _every_command(command, (*path, name))
        else:
            yield (*path, name)


def test_help_names_a_value_only_where_one_is_taken(cli):
    import typer

    from gametime_cli.cli.app import app

    commands = list(_every_command(typer.main.get_command(app)))
    assert ("book",) in commands and ("config", "set") in commands
    for command in commands:
        shown = cli(*command, "--help").stdout
        assert "<bool>" not in shown and "list[" not in shown and "<str>" not in shown, command
        usage = next(line for line in shown.splitlines() if "Usage:" in line)
        assert "{" not in usage, (command, usage)
    book = cli("book", "--help").stdout
    assert "Usage: gametime book [OPTIONS] DATE TIME" in book
    rows = [line.strip("│ *").split() for line in book.splitlines()]
    flags = {row[0]: row[1] for row in rows if row and row[0].startswith("--")}
    assert flags["--court"] == "N" and flags["--club"] == "NAME"
    assert flags["--json"] == "Print" and flags["--any-court"] == "After"  # no type shown
    assert "Usage: gametime club add [OPTIONS] NAME" in cli("club", "add", "--help").stdout


def test_a_dry_run_shows_what_opens_within_the_lookahead_and_when(cli, pinned_now):
    opens = (pinned_now + timedelta(seconds=60)).strftime("%H:%M:%S")
    day = (pinned_now + timedelta(days=1)).date().isoformat()
    cli("club", "add", "soon", "--url", "simulate:?success=1", "--timezone", "UTC",
        "--window-days", "1", "--opens-at", opens)
    assert cli("book", day, "19:00", "--club", "soon").exit_code == 0
    dry = cli("run-pending", "--dry-run")
    assert dry.exit_code == 0
    row = next(line for line in dry.stdout.splitlines() if line.split()[:2] == ["1", "soon"])
    assert "would run at its opening, in" in row and "pending" in row
    assert "would run" not in cli("run-pending", "--dry-run", "--lookahead", "30").stdout
    assert cli("show", "1", "--json").stdout.count('"attempts": 0') == 1  # changed nothing


def test_quiet_means_errors_and_what_was_asked_for(cli):
    added = cli("-q", "club", "add", "sim", "--url", "simulate:?success=1", "--timezone",
                "UTC", "--window-days", "7", "--opens-at", "00:00")
    assert added.exit_code == 0 and added.stdout == "" and added.stderr == ""
    booked = cli("-q", "book", "tomorrow", "19:00", "--club", "sim")
    assert booked.exit_code == 0 and booked.stdout == "" and booked.stderr == ""
    asked = cli("-q", "book", "tomorrow", "20:00", "--club", "sim", "--json")
    assert json.loads(asked.stdout)["time"] == "20:00"
    assert cli("-q", "cancel", "1").stdout == ""
    refused = cli("-q", "book", "tomorrow", "25:00", "--club", "sim")
    assert refused.exit_code == 2 and refused.stderr.startswith("gametime: error:")
