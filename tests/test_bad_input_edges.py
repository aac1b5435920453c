"""Input at the edges, generated, in-process (the fast lane): ids past SQLite's 64-bit
integers, dates at the ends of the calendar in any zone, and a tampered credentials.enc.
Each command ends 0, 2 or 3 with one line on stderr, never 70 and never a traceback,
and a command that fails leaves the database and the file as they were.
(tests/test_bad_input.py fuzzes every command through the installed one, in the slow lane.)"""

from __future__ import annotations

import base64
import json
import time as clock
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from gametime_cli.booking.request import HORIZON_DAYS
from gametime_cli.booking.windows import local_instant, parse_day, window_opens_at
from gametime_cli.errors import BadInput
from tests.support import db_snapshot, run_in_process

SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])
ZONES = ("UTC", "Etc/GMT-14", "Etc/GMT+12", "America/Toronto")
"""The zones furthest east and west of UTC, and one with daylight-saving time."""
WINDOW_DAYS = (0, 365)
PASSWORD = "Zebra-Quasar-9137!"
PASSPHRASE = "correct horse"


def ends(result, home, before, *, allowed=(0, 2)) -> None:
    """The promise: an allowed exit code, never a traceback; a failure is one line and
    wrote nothing."""
    assert "Traceback" not in result.stdout + result.stderr
    assert result.returncode in allowed, (result.args, result.returncode, result.stderr)
    if result.returncode != 0:
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("gametime: error: "), result.stderr
        assert db_snapshot(home) == before


# -- ids ---------------------------------------------------------------------------------

ID_COMMANDS = (("show",), ("cancel",), ("series", "show"), ("series", "cancel"),
               ("notify", "remove"))
IDS = st.one_of(
    st.integers().map(str),
    st.integers(min_value=2**63 - 2, max_value=2**70).map(str),  # SQLite's largest and past it
    st.integers(max_value=-(2**63) + 2).map(str),
    st.sampled_from(["99999999999999999999", "0", "-1", "00", "+1", " 1 ", "1_0", "1e3",
                     "0x1", "\u0661", "", "--", "nan"]),  # U+0661: an Arabic-Indic 1
    st.text(max_size=12),
)


@pytest.fixture
def with_ids(cli, home, pinned_now):
    assert cli("club", "add", "sim", "--url", "simulate:", "--timezone", "UTC",
               "--window-days", "2", "--opens-at", "08:00").exit_code == 0
    assert cli("book", "+5d", "19:00", "--club", "sim").exit_code == 0  # booking 1
    made = cli("book", "+9d", "19:00", "--club", "sim", "--every", "week", "--count", "3")
    assert made.exit_code == 0, made.stderr  # series 1
    return home


def as_int(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


@pytest.mark.slow  # generated cases, as in test_bad_input.py
@SETTINGS
@given(command=st.sampled_from(ID_COMMANDS), ident=IDS, after_dashes=st.booleans())
def test_any_id_text_is_exit_0_or_2(with_ids, command, ident, after_dashes):
    existing = {"show": {1}, "cancel": {1}, "series": {1}, "notify": set()}
    before = db_snapshot(with_ids)
    args = [*command, "--", ident] if after_dashes else [*command, ident]
    result = run_in_process(*args)
    event(f"exit {result.returncode}")
    ends(result, with_ids, before)
    if result.returncode == 0 and not (ident in ("-h", "--help") and not after_dashes):
        assert as_int(ident) in existing[command[0]], (args, result.stdout)


def test_ids_sqlite_cannot_hold_are_not_found(with_ids):
    """Past 2^63 - 1 SQLite can't be asked (it was an OverflowError, exit 70)."""
    for command in ID_COMMANDS:
        for ident in ("99999999999999999999", str(2**63), str(-(2**63) - 1), "-1", "0"):
            before = db_snapshot(with_ids)
            result = run_in_process(*command, "--", ident)
            assert result.returncode == 2, (command, ident, result.stderr)
            assert f" {ident};" in result.stderr and "shows them" in result.stderr
            assert db_snapshot(with_ids) == before


# -- dates at the ends of the calendar -------------------------------------------------------

EDGE_DATES = st.one_of(st.dates(max_value=date(1, 1, 14)), st.dates(min_value=date(9999, 12, 18)),
                       st.dates())
DAY_TEXTS = st.one_of(
    EDGE_DATES.map(date.isoformat),
    st.integers(min_value=0, max_value=10**12).map(lambda n: f"+{n}d"),
    st.sampled_from(["today", "tomorrow", "friday", "sun", "+999d", "+1000d", "9999-12-31",
                     "0001-01-01", "10000-01-01", "0000-12-31"]),
)
TIMES = st.times().map(lambda t: t.strftime("%H:%M"))
CLUBS = st.sampled_from([f"z{i}w{days}" for i in range(len(ZONES)) for days in WINDOW_DAYS])
REPEATS = st.one_of(
    st.just([]),
    st.tuples(st.sampled_from(["week", "2weeks", "day"]), DAY_TEXTS).map(
        lambda r: ["--every", r[0], "--until", r[1]]),
    st.tuples(st.sampled_from(["week", "day"]), st.integers(0, 600)).map(
        lambda r: ["--every", r[0], "--count", str(r[1])]),
)


@pytest.fixture
def zoned_clubs(cli, home, pinned_now):
    for i, zone in enumerate(ZONES):
        for days in WINDOW_DAYS:
            result = cli("club", "add", f"z{i}w{days}", "--url", "simulate:", "--timezone",
                         zone, "--window-days", str(days), "--opens-at", "23:59:59")
            assert result.exit_code == 0, result.stderr
    return home


@pytest.mark.slow  # generated cases, as in test_bad_input.py
@SETTINGS
@given(day=DAY_TEXTS, at=TIMES, club=CLUBS, repeat=REPEATS,
       duration=st.sampled_from(["30", "480"]))
def test_dates_at_the_ends_of_the_calendar(zoned_clubs, pinned_now, day, at, club, repeat,
                                           duration):
    before = db_snapshot(zoned_clubs)
    result = run_in_process("book", day, at, "--club", club, "--duration", duration, *repeat)
    event(f"exit {result.returncode}")
    ends(result, zoned_clubs, before)
    if result.returncode == 0:
        today = pinned_now.date()
        booked = as_date(day, today)
        assert booked is None or today - timedelta(days=1) <= booked <= today + timedelta(
            days=HORIZON_DAYS + 1), (day, result.stdout)


def as_date(text: str, today: date) -> date | None:
    if text.startswith("+"):
        return today + timedelta(days=int(text[1:-1]))
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def test_the_ends_of_the_calendar_are_bad_input(zoned_clubs):
    """Each of these was an OverflowError (exit 70)."""
    for args in (
        ["book", "9999-12-31", "23:30", "--club", "z2w0"],  # UTC-12: the slot is in 10000
        ["book", "9999-12-31", "23:30", "--club", "z0w365"],
        ["book", "9999-12-31", "12:00", "--club", "z3w0"],
        ["book", "0001-01-01", "00:00", "--club", "z1w365"],  # UTC+14: the slot is in year 0
        ["book", "0001-01-01", "12:00", "--club", "z1w0", "--every", "week", "--count", "3"],
        ["book", "+999d", "10:00", "--club", "z2w0", "--every", "week", "--until",
         "9999-12-31"],
        ["book", "+1000000000000d", "10:00", "--club", "z0w0"],
    ):
        before = db_snapshot(zoned_clubs)
        result = run_in_process(*args)
        assert result.returncode == 2, (args, result.stderr)
        ends(result, zoned_clubs, before)


def test_a_clock_pinned_at_the_ends_of_the_calendar(zoned_clubs):
    """GAMETIME_NOW (a testing aid) near the ends: refused, or far enough inside."""
    for instant in ("9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z", "9000-12-31T23:59:59Z",
                    "2000-01-01T00:00:00Z"):
        for args in (["book", "tomorrow", "23:30", "--club", "z2w0"],
                     ["book", "+999d", "00:00", "--club", "z1w365", "--every", "day"],
                     ["run-pending"], ["list"]):
            before = db_snapshot(zoned_clubs)
            result = run_in_process(*args, env={"GAMETIME_NOW": instant})
            ends(result, zoned_clubs, before)
            if instant.startswith(("9999", "0001")) and args[0] != "list":  # reads no clock
                assert result.returncode == 2 and "is out of range" in result.stderr, args


@settings(max_examples=150, deadline=None)
@given(day=st.one_of(EDGE_DATES, st.just(date.max), st.just(date.min)),
       at=st.times(), zone=st.sampled_from(ZONES), days=st.sampled_from(WINDOW_DAYS),
       text=st.sampled_from(["today", "tomorrow", "+999d", "sunday", "9999-12-31"]))
def test_window_arithmetic_at_the_ends_is_an_instant_or_bad_input(day, at, zone, days, text):
    """Below the commands: the functions that turn days into instants either answer or
    raise BadInput, whatever the day, zone and window."""
    tz = ZoneInfo(zone)
    for compute in (lambda: local_instant(day, at.replace(second=0, microsecond=0), tz),
                    lambda: window_opens_at(day, days, at, tz),
                    lambda: parse_day(text, at, datetime.combine(day, at, tzinfo=tz))):
        try:
            compute()
        except BadInput as exc:
            assert "\n" not in str(exc)


# -- a tampered credentials.enc -----------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                 max_size=3),
    max_leaves=6,
)
NUMBERS = st.one_of(st.integers(0, 40).map(lambda k: 2**k), st.integers(-3, 20),
                    st.integers(2**62, 2**66), JSON_VALUES)
KEEP, DROP = object(), object()


def change(values: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(st.just(KEEP), st.just(KEEP), st.just(DROP), values)


TOP = {"format": change(JSON_VALUES), "algorithm": change(JSON_VALUES),
       "key": change(JSON_VALUES), "token": change(JSON_VALUES)}
KEY = {"source": change(JSON_VALUES), "file": change(JSON_VALUES), "kdf": change(JSON_VALUES),
       "n": change(NUMBERS), "r": change(NUMBERS), "p": change(NUMBERS),
       "salt": change(st.one_of(JSON_VALUES, st.binary(max_size=40).map(
           lambda b: base64.urlsafe_b64encode(b).decode())))}
EXTRA = st.dictionaries(st.text(max_size=6), JSON_VALUES, max_size=2)


def apply(document: dict, changes: dict, extra: dict) -> dict:
    changed = {**extra, **document}
    for name, how in changes.items():
        if how is DROP:
            changed.pop(name, None)
        elif how is not KEEP:
            changed[name] = how
    return changed


def passphrase_header(password: str) -> dict:
    """A file as the tool writes one with a passphrase, at scrypt's cheapest bound
    (n=2^14) so that each generated example costs milliseconds."""
    import os

    from cryptography.fernet import Fernet
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    salt = os.urandom(16)
    params = {"n": 2**14, "r": 8, "p": 1}
    key = base64.urlsafe_b64encode(Scrypt(salt=salt, length=32, **params).derive(
        PASSPHRASE.encode()))
    token = Fernet(key).encrypt(json.dumps({"sim:jo": password}).encode()).decode()
    return {"format": 1, "algorithm": "fernet", "token": token,
            "key": {"source": "passphrase", "kdf": "scrypt", **params,
                    "salt": base64.urlsafe_b64encode(salt).decode()}}


@pytest.fixture
def vault_headers(cli, home):
    """An account whose password is in the file, and the two headers the tool writes:
    with the key file, and (cheaply) with a passphrase."""
    assert cli("club", "add", "sim", "--url", "simulate:", "--timezone", "UTC",
               "--window-days", "2", "--opens-at", "08:00").exit_code == 0
    login = cli("login", "--club", "sim", "--username", "jo", "--password-stdin", "--store",
                "file", "--no-verify", input=PASSWORD + "\n")
    assert login.exit_code == 0, login.stderr
    keyfile = json.loads((home / "credentials.enc").read_text())
    return {"keyfile": keyfile, "passphrase": passphrase_header(PASSWORD)}


def login_again(home):
    return run_in_process("login", "--club", "sim", "--username", "jo", "--password-stdin",
                          "--store", "file", "--no-verify", input=PASSWORD + "\n",
                          env={"GAMETIME_PASSPHRASE": PASSPHRASE})


def check_vault_command(home, raw: bytes, result, before) -> None:
    ends(result, home, before, allowed=(0, 3))
    path = home / "credentials.enc"
    if result.returncode != 0:
        assert path.read_bytes() == raw  # untouched
    else:  # written again, and readable
        from gametime_cli.secrets.vault import Vault

        assert Vault(home).get("sim:jo") == PASSWORD


@pytest.mark.slow  # generated cases, as in test_bad_input.py
@SETTINGS
@given(which=st.sampled_from(["keyfile", "passphrase"]), top=st.fixed_dictionaries(TOP),
       key=st.fixed_dictionaries(KEY), extra=EXTRA, extra_key=EXTRA)
def test_fuzzed_headers_are_exit_0_or_3_and_left_alone(vault_headers, home, monkeypatch, which,
                                                       top, key, extra, extra_key):
    monkeypatch.setenv("GAMETIME_PASSPHRASE", PASSPHRASE)  # for the check that reads it back
    document = dict(vault_headers[which])
    if top["key"] is KEEP:
        top = {**top, "key": apply(document["key"], key, extra_key)}
    raw = json.dumps(apply(document, top, extra)).encode()
    (home / "credentials.enc").write_bytes(raw)
    before = db_snapshot(home)
    result = login_again(home)
    event(f"exit {result.returncode}")
    check_vault_command(home, raw, result, before)


def scrypt_key(**changes) -> dict:
    return {"source": "passphrase", "kdf": "scrypt", "n": 2**14, "r": 8, "p": 1,
            "salt": base64.urlsafe_b64encode(b"s" * 16).decode(), **changes}


TAMPERED_KEYS = [
    (scrypt_key(n=2**24), "out of bounds"),  # hung past a minute
    (scrypt_key(n=2**20, r=8), "out of bounds"),  # 1 GiB
    (scrypt_key(n=2**20, r=1), "out of bounds"),  # scrypt itself refuses (n < 2^(16 r))
    (scrypt_key(n=1000), "out of bounds"),
    (scrypt_key(r=0), "out of bounds"),
    (scrypt_key(p=-1), "out of bounds"),
    (scrypt_key(p=2**64), "out of bounds"),
    (scrypt_key(n=True), "'n' is missing"),
    (scrypt_key(n=131072.0), "'n' is missing"),
    (scrypt_key(n="131072"), "'n' is missing"),
    ({k: v for k, v in scrypt_key().items() if k != "salt"}, "'salt' is missing"),
    (scrypt_key(salt=3), "'salt' is missing"),
    (scrypt_key(salt="AAAA"), "salt is 3 bytes"),
    (scrypt_key(salt="***not base64***"), "salt is not base64"),
    (scrypt_key(salt="é" * 24), "salt is not base64"),
    (scrypt_key(kdf="argon2"), "is not scrypt"),
    ({"source": "keyfile"}, "'file' is missing"),
    ({"source": "keyfile", "file": "/etc/shadow"}, "key file is '/etc/shadow'"),
    ({"source": "telepathy"}, "key source this version doesn't know"),
    ([], "'key' is missing"),
    ("keyfile", "'key' is missing"),
]


def test_a_tampered_key_source_is_exit_3_at_once(vault_headers, home):
    """Each was exit 70 (KeyError, TypeError, ValueError, AttributeError, OverflowError),
    or, n=2^24, a derivation that ran past a minute."""
    for key, fragment in TAMPERED_KEYS:
        raw = json.dumps({**vault_headers["passphrase"], "key": key}).encode()
        (home / "credentials.enc").write_bytes(raw)
        before = db_snapshot(home)
        started = clock.monotonic()
        result = login_again(home)
        assert clock.monotonic() - started < 2, key
        assert result.returncode == 3 and fragment in result.stderr, (key, result.stderr)
        assert "left untouched" in result.stderr
        check_vault_command(home, raw, result, before)


def test_a_header_that_is_not_an_object_is_exit_3(vault_headers, home):
    for raw in (b"[" * 100_000 + b"]" * 100_000, b"\xff\xfe", b"null", b"[]",
                b'{"format": 1, "format": "1"}', b'{"format": 1e400}'):
        (home / "credentials.enc").write_bytes(raw)
        before = db_snapshot(home)
        result = login_again(home)
        assert result.returncode == 3, (raw[:20], result.stderr)
        check_vault_command(home, raw, result, before)


def test_the_bounds_take_what_the_tool_writes_and_drop_unknown_fields(tmp_path):
    from gametime_cli.secrets.vault import SCRYPT, _check_header

    salt = base64.urlsafe_b64encode(bytes(16)).decode()
    written = {"format": 1, "algorithm": "fernet", "token": "t", "extra": [1],
               "key": {"source": "passphrase", "kdf": "scrypt", **SCRYPT, "salt": salt,
                       "note": "x"}}
    checked = _check_header(tmp_path / "credentials.enc", written)
    assert checked == {"format": 1, "algorithm": "fernet", "token": "t",
                       "key": {"source": "passphrase", "kdf": "scrypt", **SCRYPT,
                               "salt": salt}}
