"""`gametime import FILE.csv`: all rows or none."""

from __future__ import annotations

import json

from tests.support import db_snapshot
from tests.support import run_in_process as gt


def setup() -> None:
    assert gt("club", "add", "jct", "--url", "simulate:", "--timezone", "UTC",
                    "--window-days", "6", "--opens-at", "09:00").returncode == 0


def test_the_example_file_books_every_row(gametime):
    from pathlib import Path

    setup()
    example = Path(__file__).parent.parent / "examples" / "bookings.csv"
    result = gametime("import", str(example), "--json")
    assert result.returncode == 0, result.stderr
    made = json.loads(result.stdout)
    assert [(b["time"], b["courts"], b["partners"], b["guests"], b["type"], b["or_times"],
             b["any_court"]) for b in made] == [
        ("19:00", [3, 4], ["Sam Lee"], [], "singles", ["20:00"], False),
        ("19:00", [1], ["Sam Lee", "Ali Khan"], ["Jo Park"], "doubles", [], True)]
    assert made[1]["duration"] == 90


def test_a_bad_row_is_named_and_nothing_is_booked(home, tmp_path):
    setup()
    before = db_snapshot(home)
    bad = tmp_path / "bad.csv"
    bad.write_text("date,time,club\n+3d,19:00,jct\n+4d,25:00,jct\n+5d,19:00,jct\n")
    result = gt("import", str(bad))
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert f"{bad} line 3: '25:00' is not a time" in line and "nothing was booked" in line
    assert db_snapshot(home) == before
    header = tmp_path / "header.csv"
    header.write_text("day,time,club\n+3d,19:00,jct\n")
    assert "missing date" in gt("import", str(header)).stderr
    assert gt("import", str(tmp_path / "none.csv")).returncode == 2
