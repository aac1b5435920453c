"""The command as a whole: module entry point, version, help, settings, the demo."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.support import gametime_executable


@pytest.mark.slow  # a fresh interpreter
def test_python_dash_m_runs_the_same_command(home):
    """`python -m gametime_cli` is the Typer command (arguments no fast path takes)."""
    from gametime_cli.cli import fast_form

    args = ["club", "list", "--json"]
    assert fast_form(args) is None
    env = {**os.environ, "GAMETIME_HOME": str(home)}
    result = subprocess.run([sys.executable, "-m", "gametime_cli", *args],
                            capture_output=True, text=True, env=env, timeout=30)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []


def test_version_and_help(gametime):
    version = gametime("--version")
    assert version.returncode == 0 and version.stdout.startswith("gametime-cli ")
    helped = gametime("--help")
    assert helped.returncode == 0
    listed = _listed_commands(helped.stdout)
    for command in ("book", "list", "show", "cancel", "run-pending", "club", "config", "demo"):
        assert command in listed
    assert listed == list(_app_command().commands)  # every command, in the app's order


def _app_command():
    import typer

    from gametime_cli.cli.app import app

    return typer.main.get_command(app)


def _listed_commands(help_text: str) -> list[str]:
    """The names that start the rows of the help's Commands section."""
    lines = help_text.splitlines()
    rows = lines[lines.index("Commands:") + 1:]
    return [row.split()[0] for row in rows
            if row.startswith("  ") and not row.startswith("   ")]


def test_unknown_command_is_one_line_exit_2(gametime):
    result = gametime("bogus")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "gametime: error: No such command 'bogus'. (see 'gametime --help')"
    ]


def test_settings_round_trip_and_bad_values(cli):
    assert cli("config", "set", "max_attempts", "5").exit_code == 0
    values = json.loads(cli("config", "list", "--json").stdout)
    assert values["max_attempts"] == 5 and values["retry_base"] == 2.0
    for args in (["max_attempts", "0"], ["max_attempts", "many"], ["nonsense", "1"]):
        bad = cli("config", "set", *args)
        assert bad.exit_code == 2, args
        assert len(bad.stderr.strip().splitlines()) == 1
    assert cli("config", "unset", "max_attempts").exit_code == 0
    assert json.loads(cli("config", "list", "--json").stdout)["max_attempts"] == 3


@pytest.mark.browser
@pytest.mark.usefixtures("needs_browser")
def test_demo_books_a_busy_evening_and_cleans_up(gametime, home):
    result = gametime("demo", timeout=120)
    assert result.returncode == 0, result.stderr
    # Court 1 is taken, so the fallback shows; the site holds the booking once.
    assert "Confirmed on court 2: confirmation" in result.stdout
    assert "(the site holds it 1 time(s))" in result.stdout
    assert not home.exists(), "the demo runs in a temporary home of its own"


SAMPLE_VALUES = {"--status": ("pending", "confirmed"), "--limit": ("2",)}
"""Values for each fast form's options: a status with bookings and one without, and a
limit under the bookings there are (the line saying how many more)."""


def _fast_arguments(command: str, form) -> list[tuple[str, ...]]:
    """Every argument list a fast form answers, up to the order of its options: each
    choice of its flags and valued options, in the table's order and reversed, and
    with each leading -q/--quiet it takes."""
    from itertools import product

    choices = [[(), (flag,)] for flag in form.flags]
    choices += [[(), *((name, value) for value in SAMPLE_VALUES[name])] for name in form.values]
    forms: list[tuple[str, ...]] = []
    for picked in product(*choices):
        given = [part for part in picked if part]
        for order in (given, given[::-1]):
            options = tuple(word for part in order for word in part)
            forms.append((command, *options))
        if form.quiet:
            forms += [(quiet, command, *(w for part in given for w in part))
                      for quiet in ("-q", "--quiet")]
    return list(dict.fromkeys(forms))


def _parity(capsys, forms: list[tuple[str, ...]]) -> None:
    import typer

    from gametime_cli.cli import answer_fast, fast_form
    from gametime_cli.cli.app import app

    command = typer.main.get_command(app)
    for args in forms:
        assert fast_form(list(args)) is not None, args  # the table answers it
        capsys.readouterr()
        fast = answer_fast(list(args))
        fast_out, fast_err = capsys.readouterr()
        full = command.main(list(args), prog_name="gametime", standalone_mode=False)
        full_out, full_err = capsys.readouterr()
        assert fast is not None, args  # answered, not handed on
        assert (fast_out, fast_err, fast) == (full_out, full_err, full), args


def test_every_fast_form_answers_as_the_full_command(cli, capsys, pinned_now):
    """Each form in FAST_FORMS prints the same stdout and stderr, and exits with the
    same code, as the Typer command: in a new home, then with bookings to list."""
    from gametime_cli.cli import FAST_FORMS

    assert set(SAMPLE_VALUES) >= {name for form in FAST_FORMS.values() for name in form.values}
    forms = [args for command, form in FAST_FORMS.items()
             for args in _fast_arguments(command, form)]
    assert ("run-pending", "--json") in forms and ("-q", "list", "--all") in forms
    _parity(capsys, forms)
    assert cli("club", "add", "sim", "--url", "simulate:", "--timezone", "UTC",
               "--window-days", "7", "--opens-at", "08:00").exit_code == 0
    for day in ("+20d", "+21d", "+22d"):
        assert cli("book", day, "19:00", "--club", "sim").exit_code == 0
    _parity(capsys, forms)


@pytest.mark.parametrize("args", [("list", "--json"), ("--verbose", "list", "--json")],
                         ids=["fast", "full"])
def test_a_reader_that_stops_early_ends_the_listing_quietly(gametime, home, tmp_path, args):
    # More bookings than a pipe holds (64 KiB), so the write meets the closed pipe.
    rows = "".join(f"+{d}d,{h:02d}:00,sim\n" for d in range(2, 20) for h in range(7, 22))
    (tmp_path / "many.csv").write_text("date,time,club\n" + rows)
    assert gametime("club", "add", "sim", "--url", "simulate:", "--timezone", "UTC",
                    "--window-days", "30", "--opens-at", "00:00").returncode == 0
    assert gametime("import", str(tmp_path / "many.csv")).returncode == 0
    env = {**os.environ, "GAMETIME_HOME": str(home)}
    with subprocess.Popen([gametime_executable(), *args], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, env=env) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        assert proc.stdout.read(100).startswith(b"[\n{")
        proc.stdout.close()
        try:
            err = proc.stderr.read()
            proc.wait(timeout=30)
        finally:
            proc.kill()
    assert err == b""
    assert proc.returncode == 0
