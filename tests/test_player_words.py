"""What a player reads when input is wrong or there is nothing to say (issue 13, in
part): one line in the player's words, quiet when asked, JSON where a script needs it."""

from __future__ import annotations

import json

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


def test_cancelling_a_series_for_a_script(cli):
    cli("club", "add", "sim", "--url", "simulate:?success=1", "--timezone", "UTC",
        "--window-days", "0", "--opens-at", "00:00")
    made = json.loads(cli("book", "tomorrow", "19:00", "--club", "sim", "--every", "day",
                          "--count", "3", "--json").stdout)
    result = cli("series", "cancel", str(made["id"]), "--json")
    assert result.exit_code == 0, result.stderr
    cancelled = json.loads(result.stdout)
    assert cancelled["id"] == made["id"] and cancelled["status"] == "cancelled"
    assert cancelled["cancelled_bookings"] == len(made["bookings"])


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
