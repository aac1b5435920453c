"""`login`, `logout`, `accounts`, `credentials check` and the encrypted file."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys

import keyring
import pytest

from gametime_cli.secrets.credentials import Secret
from tests.memory_keyring import MemoryKeyring
from tests.support import db_rows, db_snapshot
from tests.support import run_in_process as gt

PASSWORD = "Zebra-Quasar-9137!"


@pytest.fixture
def memory_keyring():
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def club(cli):
    assert cli("club", "add", "sim", "--url", "simulate:?success=1", "--timezone", "UTC",
               "--window-days", "7", "--opens-at", "00:00").exit_code == 0
    return "sim"


def no_session_bus_env(home) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR", "GAMETIME_PASSPHRASE")}
    env["GAMETIME_HOME"] = str(home)
    env["XDG_RUNTIME_DIR"] = str(home.parent / "no-runtime")
    return env


def test_login_keeps_the_password_in_the_keyring_only(cli, club, home, memory_keyring):
    result = cli("login", "--club", club, "--username", "jo", "--password-stdin",
                 input=PASSWORD + "\n")
    assert result.exit_code == 0, result.stderr
    assert "in the OS keyring" in result.stdout
    assert memory_keyring.entries == {("gametime-cli", "sim:jo"): PASSWORD}
    # The cron-like check runs in a fresh process without this in-memory keyring.
    assert "warning: cron won't be able to read it" in result.stderr
    assert "--store file" in result.stderr
    assert json.loads(cli("accounts", "--json").stdout) == [
        {"club": "sim", "username": "jo", "store": "keyring"}
    ]
    assert not (home / "credentials.enc").exists()


def test_a_repr_or_traceback_never_shows_a_secret():
    secret = Secret(PASSWORD)
    assert PASSWORD not in repr(secret) and PASSWORD not in str(secret)
    assert PASSWORD not in f"{secret} {[secret]} {({'p': secret})}"
    with pytest.raises(TypeError):
        import pickle

        pickle.dumps(secret)


@pytest.mark.slow  # fresh processes without the keyring
def test_no_keyring_falls_back_to_the_encrypted_file(gametime, club, home):
    result = gametime("login", "--club", club, "--username", "jo", "--password-stdin",
                      input=PASSWORD + "\n", env=no_session_bus_env(home))
    assert result.returncode == 0, result.stderr
    assert "The OS keyring can't be used here: no OS keyring is available" in result.stdout
    assert f"encrypted in {home / 'credentials.enc'}" in result.stdout
    assert json.loads(gametime("accounts", "--json").stdout)[0]["store"] == "file"
    document = json.loads((home / "credentials.enc").read_text())
    assert document["format"] == 1 and document["algorithm"] == "fernet"
    assert document["key"] == {"source": "keyfile", "file": "credentials.key"}
    assert PASSWORD not in (home / "credentials.enc").read_text()
    check = gametime("credentials", "check", "--json", env=no_session_bus_env(home))
    assert check.returncode == 0, check.stdout + check.stderr
    [row] = json.loads(check.stdout)
    assert row["now"] == {"ok": True, "error": None}
    assert row["cron"] == {"ok": True, "error": None}


@pytest.mark.slow  # scrypt at its real cost, in four fresh processes
def test_store_file_with_a_passphrase_uses_scrypt(gametime, club, home):
    env = {**no_session_bus_env(home), "GAMETIME_PASSPHRASE": "correct horse"}
    result = gametime("login", "--club", club, "--username", "jo", "--password-stdin",
                      "--store", "file", input=PASSWORD + "\n", env=env)
    assert result.returncode == 0, result.stderr
    assert "GAMETIME_PASSPHRASE" in result.stdout
    assert "Cron needs GAMETIME_PASSPHRASE" in result.stderr
    document = json.loads((home / "credentials.enc").read_text())
    key = document["key"]
    assert (key["source"], key["kdf"], key["n"], key["r"], key["p"]) == (
        "passphrase", "scrypt", 2**17, 8, 1)
    assert len(key["salt"]) >= 20
    assert not (home / "credentials.key").exists()

    gametime("book", "tomorrow", "19:00", "--club", club, env=env)
    before = (home / "credentials.enc").read_bytes()
    wrong = gametime("run-pending", env={**env, "GAMETIME_PASSPHRASE": "wrong horse"})
    assert wrong.returncode == 3
    assert "GAMETIME_PASSPHRASE does not open" in wrong.stderr
    assert (home / "credentials.enc").read_bytes() == before
    assert json.loads(gametime("show", "1", "--json").stdout)["status"] == "pending"
    missing = gametime("credentials", "check", "--no-cron",
                       env={k: v for k, v in env.items() if k != "GAMETIME_PASSPHRASE"})
    assert missing.returncode == 3 and "set GAMETIME_PASSPHRASE" in missing.stdout
    right = gametime("run-pending", "--json", env=env)
    assert right.returncode == 0, right.stderr
    assert json.loads(right.stdout)["bookings"][0]["status"] == "confirmed"


@pytest.mark.parametrize("damage", ["truncate", "flip", "not-json"])
def test_a_damaged_file_is_a_clear_error_and_left_alone(club, home, damage):
    gt("login", "--club", club, "--username", "jo", "--password-stdin", "--store",
             "file", input=PASSWORD + "\n")
    path = home / "credentials.enc"
    data = path.read_bytes()
    if damage == "truncate":
        data = data[: len(data) // 2]
    elif damage == "flip":
        document = json.loads(data)
        token = document["token"]
        document["token"] = token[:40] + ("A" if token[40] != "A" else "B") + token[41:]
        data = json.dumps(document).encode()
    else:
        data = b"hello"
    path.write_bytes(data)
    gt("book", "tomorrow", "19:00", "--club", club)
    result = gt("run-pending")
    assert result.returncode == 3
    assert "left untouched" in result.stderr
    assert "Traceback" not in result.stderr
    assert path.read_bytes() == data
    assert json.loads(gt("show", "1", "--json").stdout)["status"] == "pending"


@pytest.mark.slow  # a fresh process under umask 000
def test_files_are_0600_under_umask_000(club, home):
    code = (
        "import os, sys; os.umask(0)\n"
        "from gametime_cli.cli import main\n"
        "main(sys.argv[1:])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, "login", "--club", club, "--username", "jo",
         "--password-stdin", "--store", "file"],
        input=PASSWORD + "\n", text=True, capture_output=True, timeout=60,
        env=no_session_bus_env(home),
    )
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    for name in ("credentials.enc", "credentials.key", "credentials.lock", "gametime.db"):
        assert stat.S_IMODE((home / name).stat().st_mode) == 0o600, name
    assert not [p for p in home.iterdir() if p.name.endswith(".tmp")]


def test_no_option_takes_the_password(club):
    helped = gt("login", "--help")
    assert "--password-stdin" in helped.stdout
    result = gt("login", "--club", club, "--username", "jo", "--password", PASSWORD)
    assert result.returncode == 2
    assert "No such option" in result.stderr


def test_an_empty_password_or_no_terminal_stores_nothing(club, home):
    before = db_snapshot(home)
    empty = gt("login", "--club", club, "--username", "jo", "--password-stdin",
                     input="\n")
    assert empty.returncode == 2 and "empty" in empty.stderr
    no_tty = gt("login", "--club", club, "--username", "jo", input=PASSWORD + "\n")
    assert no_tty.returncode == 2 and "--password-stdin" in no_tty.stderr
    no_user = gt("login", "--club", club, "--password-stdin", input=PASSWORD + "\n")
    assert no_user.returncode == 2 and "--username" in no_user.stderr
    assert db_snapshot(home) == before
    assert not (home / "credentials.enc").exists()


def test_several_accounts_need_account_on_book(cli, club, memory_keyring):
    for user in ("jo", "sam"):
        assert cli("login", "--club", club, "--username", user, "--password-stdin",
                   input=f"{PASSWORD}-{user}\n").exit_code == 0
    ambiguous = cli("book", "tomorrow", "19:00", "--club", club)
    assert ambiguous.exit_code == 2
    assert "several accounts (jo, sam)" in ambiguous.stderr
    unknown = cli("book", "tomorrow", "19:00", "--club", club, "--account", "max")
    assert unknown.exit_code == 2 and "no account 'max'" in unknown.stderr
    booked = json.loads(cli("book", "tomorrow", "19:00", "--club", club, "--account", "sam",
                            "--json").stdout)
    assert booked["account"] == "sam"
    assert cli("run-pending").exit_code == 0
    assert cli("logout", "--club", club, "--username", "jo").exit_code == 0
    assert ("gametime-cli", "sim:jo") not in memory_keyring.entries
    single = json.loads(cli("book", "tomorrow", "20:00", "--club", club, "--json").stdout)
    assert single["account"] == "sam"


def test_logout_forgets_the_file_password(club, home):
    gt("login", "--club", club, "--username", "jo", "--password-stdin", "--store",
             "file", input=PASSWORD + "\n")
    result = gt("logout", "--club", club)
    assert result.returncode == 0, result.stderr
    assert json.loads(gt("accounts", "--json").stdout) == []
    from gametime_cli.secrets.vault import Vault

    assert Vault(home).get("sim:jo") is None


def test_removing_a_club_forgets_its_passwords(cli, club, memory_keyring):
    cli("login", "--club", club, "--username", "jo", "--password-stdin", input=PASSWORD + "\n")
    result = cli("club", "remove", club)
    assert result.exit_code == 0
    assert "1 account(s) and their passwords" in result.stdout
    assert memory_keyring.entries == {}


@pytest.mark.slow  # fresh processes without the keyring
def test_a_booking_whose_password_is_gone_waits_with_exit_3(gametime, cli, club, home,
                                                            memory_keyring):
    cli("login", "--club", club, "--username", "jo", "--password-stdin", input=PASSWORD + "\n")
    cli("book", "tomorrow", "19:00", "--club", club)
    # A fresh process has no in-memory keyring: the password can't be read there.
    result = gametime("run-pending", env=no_session_bus_env(home))
    assert result.returncode == 3
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("gametime: error: cannot read the password of jo at sim")
    assert lines[0].endswith("fix: gametime login --club sim --username jo --store file")
    [row] = db_rows(home, "SELECT status, lease_owner FROM bookings")
    assert tuple(row) == ("pending", None)
    assert db_rows(home, "SELECT COUNT(*) FROM attempts")[0][0] == 0
