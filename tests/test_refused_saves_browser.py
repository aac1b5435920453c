"""A save the club's bot check refuses: checked on the site, sent once more the other way
on the same hold, and, refused again, a failure that says what the site said and what
to try, in the run's report, the booking and the command told of the result."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from gametime_cli.sandbox import SandboxConfig, SandboxSite, SandboxUser

PASSWORD = "Sandbox-Heron-2291"
USER = SandboxUser("jo.player", PASSWORD, 4411, "Player, Jo")
REFUSED = "We could not validate your booking"

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("needs_browser")]


def sandbox(**knobs: bool) -> SandboxSite:
    return SandboxSite(SandboxConfig(users=[USER], timezone="UTC", seed=9, **knobs))


def club_and_booking(gametime, site: SandboxSite, day, submit: str) -> int:
    for args in (("club", "add", "sb", "--url", site.base_url,
                  "--accept-waiver", "--yes", "--timezone", "UTC",
                  "--window-days", "6", "--opens-at", "00:00"),
                 ("config", "set", "submit", submit)):
        assert gametime(*args).returncode == 0
    login = gametime("login", "--club", "sb", "--username", USER.username,
                     "--password-stdin", "--store", "file", input=PASSWORD + "\n")
    assert login.returncode == 0, login.stderr
    booked = gametime("book", day.isoformat(), "19:00", "--club", "sb", "--court", "4",
                      "--json")
    assert booked.returncode == 0, booked.stderr
    return json.loads(booked.stdout)["id"]


def read_between(site: SandboxSite, first: float, second: float) -> list[str]:
    return [r["path"] for r in site.requests() if first < r["at"] < second]


@pytest.mark.parametrize(("submit", "knob", "then"), [
    ("post", "refuse_direct_token", "page"),
    ("page", "refuse_page_submit", "post"),
])
def test_a_refused_save_goes_once_more_the_other_way_on_the_same_hold(
        gametime, day, submit, knob, then):
    with sandbox(**{knob: True}) as site:
        booking = club_and_booking(gametime, site, day, submit)
        result = gametime("run-pending", "--json", timeout=120)
        assert result.returncode == 0, result.stderr
        [entry] = json.loads(result.stdout)["bookings"]
        assert entry["status"] == "confirmed" and entry["court"] == 4
        refused, booked = site.saves()
        assert refused["booking_id"] is None and knob.replace("_", "-") in refused["flags"]
        assert booked["confirmation"] == int(entry["confirmation"]) and booked["flags"] == []
        # The site was asked whether it held the booking before the second save.
        between = read_between(site, refused["at"], booked["at"])
        assert any("/jsoncourtdata/" in path for path in between), between
        # The same slot held, and once booked.
        assert [b["court"] for b in site.bookings()] == [4]
        temps = [dict(s["fields"])["temp"] for s in (refused, booked)]
        assert temps[0] == temps[1] if then == "page" else temps[0] != temps[1]
        shown = json.loads(gametime("show", str(booking), "--json").stdout)
        assert shown["status"] == "confirmed" and len(shown["attempt_history"]) == 1


def test_refused_both_ways_the_booking_fails_saying_what_to_try(gametime, day, tmp_path):
    told = tmp_path / "told.json"
    hook = (f"{sys.executable} -c \"import json, os; open('{told}', 'w').write("
            f"json.dumps({{k: v for k, v in os.environ.items() if k.startswith('GAMETIME_')}}))\"")
    with sandbox(refuse_direct_token=True, refuse_page_submit=True) as site:
        booking = club_and_booking(gametime, site, day, "post")
        result = gametime("run-pending", "--json", "--on-result", hook, timeout=120)
        assert result.returncode == 1, result.stderr
        [entry] = json.loads(result.stdout)["bookings"]
        assert entry["status"] == "failed" and entry["outcome"] == "permanent"
        error = entry["error"]
        assert REFUSED in error
        assert "gametime config set browser_mode headed" in error
        assert "gametime config set submit page" in error
        assert len(site.saves()) == 2 and not site.bookings()  # one hold, two saves
        shown = json.loads(gametime("show", str(booking), "--json").stdout)
        [attempt] = shown["attempt_history"]
        png = [Path(a) for a in attempt["artifacts"] if a.endswith(".png")]
        assert png and png[0].read_bytes().startswith(b"\x89PNG")
        assert json.loads(told.read_text())["GAMETIME_ERROR"] == error
