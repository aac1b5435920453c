"""A slow site, with the default settings: every page the sandbox serves takes 3 s to
answer, and the login (its submit leads through a redirect: two pages, 6 s), the court
read and the booking all go through. About 45 s."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import pytest

from gametime_cli.sandbox import SandboxConfig, SandboxSite, SandboxUser

PASSWORD = "Sandbox-Sloth-3003"
USER = SandboxUser("slow.player", PASSWORD, 4412, "Player, Slow")
ANSWER_SECONDS = 3.0

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("needs_browser")]


def test_a_site_answering_in_3_s_logs_in_and_books_with_the_defaults(gametime, now):
    opening = (now - timedelta(hours=1)).replace(microsecond=0)
    day = (now + timedelta(days=1)).date()
    config = SandboxConfig(users=[replace(USER)], timezone="UTC", window_days=6,
                           opens_at=opening.time(), delay=ANSWER_SECONDS, seed=33)
    with SandboxSite(config) as site:
        added = gametime("club", "add", "slow", "--url", site.base_url,
                         "--accept-waiver", "--yes", "--timezone", "UTC",
                         "--window-days", "6", "--opens-at", opening.strftime("%H:%M:%S"))
        assert added.returncode == 0, added.stderr
        login = gametime("login", "--club", "slow", "--username", USER.username,
                         "--password-stdin", "--store", "file", input=PASSWORD + "\n",
                         timeout=120)
        assert login.returncode == 0, login.stderr
        assert "Saved the password of slow.player at slow" in login.stdout
        assert "slow has courts 1-6" in login.stdout
        booked = gametime("book", day.isoformat(), "19:00", "--club", "slow", "--court", "2",
                          "--json")
        assert booked.returncode == 0, booked.stderr
        ran = gametime("run-pending", "--json", timeout=120)
        assert ran.returncode == 0, ran.stderr
        [entry] = json.loads(ran.stdout)["bookings"]
        assert (entry["status"], entry["court"], entry["attempts"]) == ("confirmed", 2, 1)
        [held] = site.bookings()
        assert str(held["confirmation"]) == entry["confirmation"]
