"""`gametime cancel` without a browser: at the club when it was booked, what the player
reads after a failure or a booked game, a series for a script. The cancel at each stage
of a real booking, in Chromium against the sandbox, is in test_cancel_browser.py."""

from __future__ import annotations

import json


def test_cancel_a_confirmed_booking_cancels_it_at_the_club(cli, sim_club):
    cli("club", "add", "sure", "--url", "simulate:?success=1", "--timezone", "UTC",
        "--window-days", "7", "--opens-at", "00:00")
    cli("book", "+2d", "19:00", "--club", "sure")
    assert cli("run-pending").exit_code == 0
    result = cli("cancel", "1")
    assert result.exit_code == 0, result.stderr
    assert "cancelled on sure's site" in result.stdout
    assert json.loads(cli("show", "1", "--json").stdout)["status"] == "cancelled"


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


def test_cancelling_a_booking_that_just_failed_is_not_bad_input(cli):
    cli("club", "add", "never", "--url", "simulate:?success=0", "--timezone", "UTC",
        "--window-days", "7", "--opens-at", "00:00")
    assert cli("config", "set", "max_attempts", "1").exit_code == 0
    assert cli("book", "tomorrow", "19:00", "--club", "never").exit_code == 0
    assert cli("run-pending", "--max-wait", "0").exit_code == 1
    cancelled = cli("cancel", "1")
    assert cancelled.exit_code == 0, cancelled.stderr
    assert cancelled.stdout.strip() == ("Booking 1 had already ended as failed; nothing was "
                                        "booked to cancel.")
    assert json.loads(cli("cancel", "1", "--json").stdout)["status"] == "failed"


def test_a_game_cancelled_after_it_was_booked_says_it_was(cli):
    cli("club", "add", "sim", "--url", "simulate:?success=1&seed=2", "--timezone", "UTC",
        "--window-days", "7", "--opens-at", "00:00")
    cli("book", "tomorrow", "19:00", "--club", "sim", "--court", "3")
    assert cli("run-pending").exit_code == 0
    confirmation = json.loads(cli("show", "1", "--json").stdout)["confirmation"]
    assert cli("cancel", "1").exit_code == 0
    row = next(line for line in cli("list").stdout.splitlines() if "sim" in line)
    assert "cancelled" in row and f"was #{confirmation} court 3" in row.replace("\u00a0", " ")
