"""`gametime club add|list|remove` through CliRunner and the installed command."""

from __future__ import annotations

import json

import pytest

from tests.support import db_snapshot

ADD = ["club", "add", "jct", "--url", "https://jct.gametime.net", "--timezone",
       "America/Toronto", "--window-days", "6", "--opens-at", "09:00"]


def test_add_and_list_json(cli):
    result = cli(*ADD)
    assert result.exit_code == 0, result.stderr
    assert "6 days ahead at 09:00:00 America/Toronto" in result.stdout
    listed = cli("club", "list", "--json")
    assert json.loads(listed.stdout) == [{
        "name": "jct", "url": "https://jct.gametime.net", "timezone": "America/Toronto",
        "window_days": 6, "opens_at": "09:00:00", "sport": 1, "login_url": None,
    }]


def test_list_table_through_installed_command(gametime):
    assert gametime(*ADD).returncode == 0
    result = gametime("club", "list")
    assert result.returncode == 0
    assert "jct" in result.stdout and "America/Toronto" in result.stdout


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"--timezone": "Mars/Olympus"}, "unknown time zone"),
        ({"--opens-at": "9am"}, "--opens-at"),
        ({"--window-days": "-1"}, "--window-days"),
        ({"--url": "ftp://x"}, "not a club URL"),
        ({"--url": "simulate:?success=2"}, "success must be"),
        ({"--url": "simulate:?bogus=1"}, "unknown simulate: option"),
        ({"name": "bad name!"}, "club name"),
        ({"--sport": "0"}, "--sport"),
    ],
)
def test_bad_club_input_is_one_line_exit_2_nothing_written(cli, home, change, fragment):
    assert cli("club", "list").exit_code == 0  # create the empty store first
    before = db_snapshot(home)
    args = list(ADD)
    for key, value in change.items():
        if key == "name":
            args[2] = value
        elif key in args:
            args[args.index(key) + 1] = value
        else:
            args += [key, value]
    result = cli(*args)
    assert result.exit_code == 2
    assert fragment in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
    assert db_snapshot(home) == before


def test_duplicate_name_is_refused_case_insensitively(cli):
    assert cli(*ADD).exit_code == 0
    args = list(ADD)
    args[2] = "JCT"
    result = cli(*args)
    assert result.exit_code == 2
    assert "already exists" in result.stderr


def test_remove_refuses_a_club_with_bookings_unless_forced(cli):
    cli("club", "add", "sim", "--url", "simulate:", "--timezone", "UTC",
        "--window-days", "1", "--opens-at", "00:00")
    assert cli("book", "+3d", "19:00", "--club", "sim").exit_code == 0
    refused = cli("club", "remove", "sim")
    assert refused.exit_code == 2
    assert "--force" in refused.stderr
    assert json.loads(cli("club", "list", "--json").stdout)[0]["name"] == "sim"
    forced = cli("club", "remove", "sim", "--force")
    assert forced.exit_code == 0
    assert json.loads(cli("club", "list", "--json").stdout) == []
    assert json.loads(cli("list", "--json").stdout) == []


def test_remove_unknown_club(cli):
    result = cli("club", "remove", "nope")
    assert result.exit_code == 2
    assert "no club named 'nope'" in result.stderr
