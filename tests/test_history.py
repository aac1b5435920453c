"""A long history (issue 13): `list` shows what is to come and the last week's results,
capped, with a line saying how many more; `--all` everything; `--json` the same
bookings as JSON; `watch` keeps only the next few it shows."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest


def _club(cli) -> None:
    cli("club", "add", "sim", "--url", "simulate:?success=1", "--timezone", "UTC",
        "--window-days", "30", "--opens-at", "00:00")


def _booking(home, slot: datetime, status: str, now: datetime, **columns: object) -> int:
    """A booking for `slot`, its window opened two days before, then set to `status`."""
    from gametime_cli.store import Store

    store = Store.open(home)
    try:
        made = store.add_booking(
            club=store.get_club("sim"), account=None, day=slot.date().isoformat(),
            time=slot.strftime("%H:%M"), duration=60, courts=[2], partners=["Sam Lee"],
            type=None, execute_at=slot - timedelta(days=2), slot_start=slot,
            now=min(now, slot - timedelta(days=3)))
        sets = {"status": status, **columns}
        store.conn.execute(f"UPDATE bookings SET {', '.join(f'{k} = ?' for k in sets)}"
                           " WHERE id = ?", [*sets.values(), made.id])
        return made.id
    finally:
        store.close()


@pytest.fixture
def history(cli, home, pinned_now) -> dict[str, int]:
    """One booking of each kind, from one instant: long ago, last week, still to come."""
    _club(cli)
    at = pinned_now.replace(hour=19, minute=0, second=0, microsecond=0)
    return {
        "old": _booking(home, at - timedelta(days=40), "confirmed", pinned_now,
                        confirmation="GT1", court=2),
        "last_week": _booking(home, at - timedelta(days=3), "confirmed", pinned_now,
                              confirmation="GT2", court=2),
        "failed": _booking(home, at - timedelta(days=2, hours=1), "failed", pinned_now,
                           last_error="court 2 is booked"),
        "next": _booking(home, at + timedelta(days=2), "pending", pinned_now),
        "after": _booking(home, at + timedelta(days=4), "pending", pinned_now),
    }


def _listed_ids(stdout: str) -> list[int]:
    return [int(line.split()[0]) for line in stdout.splitlines()
            if line.split() and line.split()[0].isdigit()]


def test_list_shows_what_is_to_come_and_the_last_week_not_older(cli, history):
    result = cli("list")
    assert result.exit_code == 0, result.stderr
    assert _listed_ids(result.stdout) == [history["last_week"], history["failed"],
                                          history["next"], history["after"]]
    assert result.stdout.rstrip().splitlines()[-1] == "… 1 older: gametime list --all"
    assert cli("-q", "list").stdout.rstrip().splitlines()[-1].split()[0].isdigit()


def test_list_is_capped_at_limit_keeping_what_is_to_come(cli, history):
    result = cli("list", "--limit", "3")
    assert _listed_ids(result.stdout) == [history["failed"], history["next"],
                                          history["after"]]
    assert result.stdout.rstrip().splitlines()[-1] == (
        "… 2 more: 1 to come or from the last week (gametime list --limit 4), 1 older "
        "(gametime list --all)")
    failed = cli("list", "--status", "confirmed", "--limit", "1")
    assert _listed_ids(failed.stdout) == [history["last_week"]]
    assert failed.stdout.rstrip().splitlines()[-1] == (
        "… 1 older: gametime list --status confirmed --all")


def test_list_all_shows_everything(cli, history):
    result = cli("list", "--all")
    assert _listed_ids(result.stdout) == list(history.values())
    assert "more" not in result.stdout and "older" not in result.stdout
    capped = cli("list", "--all", "--limit", "2")
    assert _listed_ids(capped.stdout) == [history["old"], history["last_week"]]
    assert capped.stdout.rstrip().splitlines()[-1] == "… 3 more: gametime list --all"


def test_list_json_lists_the_same_bookings_as_valid_json(cli, history, home):
    listed = json.loads(cli("list", "--json").stdout)
    assert [b["id"] for b in listed] == [history["last_week"], history["failed"],
                                         history["next"], history["after"]]
    assert [b["id"] for b in json.loads(cli("list", "--json", "--all").stdout)] == list(
        history.values())
    failed = json.loads(cli("list", "--json", "--status", "failed").stdout)
    assert [(b["id"], b["last_error"]) for b in failed] == [(history["failed"],
                                                             "court 2 is booked")]
    assert json.loads(cli("list", "--json", "--status", "running").stdout) == []
    assert json.loads(cli("list", "--json", "--limit", "1").stdout)[0]["id"] == history["next"]


def test_list_json_says_what_show_json_says(cli, history, home):
    """The JSON `list` builds in SQLite is `show --json`'s, field for field."""
    extra = _booking(home, datetime.fromisoformat("2030-01-05T19:00:00+00:00"), "confirmed",
                     datetime.fromisoformat("2029-01-01T00:00:00+00:00"),
                     or_times='["20:00"]', any_court=1, booked_time="20:00",
                     confirmation="GT9", court=4, account="jsmith")
    every = json.loads(cli("list", "--json", "--all").stdout)
    # Every booking the test made is compared, so the loop below cannot pass by being empty.
    assert sorted(b["id"] for b in every) == sorted([*history.values(), extra])
    for listed in every:
        shown = json.loads(cli("show", str(listed["id"]), "--json").stdout)
        shown.pop("attempt_history")
        assert listed == shown


def test_a_history_with_nothing_recent_says_where_the_rest_is(cli, home, pinned_now):
    _club(cli)
    _booking(home, pinned_now - timedelta(days=30), "confirmed", pinned_now)
    result = cli("list")
    assert result.stdout == ""
    assert result.stderr.strip() == ("No bookings to come or from the last week; "
                                     "1 older: gametime list --all.")
    assert cli("-q", "list").stderr == ""


def test_the_quick_path_prints_what_the_command_prints(cli, history, capsys):
    from gametime_cli.cli import answer_fast as quick_list

    for args in (["list"], ["list", "--limit", "2", "--status", "pending"],
                 ["list", "--all", "--json"]):
        capsys.readouterr()
        assert quick_list(args) == 0
        assert capsys.readouterr().out == cli(*args).stdout, args
    assert quick_list(["list", "--status", "nope"]) is None  # the app says why
    assert quick_list(["list", "-v"]) is None


def test_watch_keeps_only_the_next_bookings_it_shows(cli, home, pinned_now):
    from gametime_cli.output import watch as render
    from gametime_cli.store import Store

    _club(cli)
    at = pinned_now.replace(hour=19, minute=0, second=0, microsecond=0)
    ids = [_booking(home, at + timedelta(days=40 - i), "pending", pinned_now)
           for i in range(render.WATCH_ROWS + 4)]
    store = Store.open(home)
    try:
        coming = store.next_pending(render.WATCH_ROWS)
    finally:
        store.close()
    assert [b.id for b in coming] == ids[::-1][:render.WATCH_ROWS]  # soonest due first
    upcoming, done = render.watch_rows(coming, [], {}, pinned_now)
    assert [row[0] for row in upcoming] == [str(i) for i in ids[::-1][:render.WATCH_ROWS]]
    assert upcoming[0][-1].startswith("in ") and done == ()
