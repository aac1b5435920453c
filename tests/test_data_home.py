"""The data home is trusted only when it is ours: its owner and mode, links in place of
the files the tool writes, the parents it creates, the key file (issue 11)."""

from __future__ import annotations

import gc
import json
import logging
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from gametime_cli import paths
from gametime_cli.errors import EnvironmentProblem
from tests.support import run_in_process as gt

VICTIM_TEXT = "someone else's file, never to be written by gametime\n"


def mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("gametime: error: ")
    return lines[0]


@pytest.fixture
def victim(tmp_path: Path) -> Path:
    path = tmp_path / "victim.txt"
    path.write_text(VICTIM_TEXT)
    path.chmod(0o644)
    return path


@pytest.fixture
def made(home: Path) -> Path:
    """A home the tool has made and used once."""
    assert gt("club", "add", "sim", "--url", "simulate:?success=1", "--timezone", "UTC",
              "--window-days", "7", "--opens-at", "00:00").returncode == 0
    # The in-process command leaves its connection to the process's end; end it now, as
    # the installed command's exit would: closing the last connection in WAL mode
    # deletes the -wal file by name, which must not happen to a link the test puts there.
    gc.collect()
    return home


def test_the_names_we_write_are_the_modules_names():
    from gametime_cli.run import watch as watcher
    from gametime_cli.secrets import vault
    from gametime_cli.sites import ARTIFACTS_DIR
    from gametime_cli.system import crontab, logs

    ours = {logs.LOG_NAME, *(f"{logs.LOG_NAME}.{n}" for n in range(1, logs.BACKUPS + 1)),
            vault.VAULT_NAME, vault.KEY_NAME, vault.LOCK_NAME, watcher.LOCK_NAME,
            crontab.CRON_LOG, ARTIFACTS_DIR, *paths.DB_FILES}
    assert ours == paths.OWN_NAMES


# -- whose home, and who can write to it ----------------------------------------------


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a folder to another "
                    "user (chown to nobody)")
def test_a_home_owned_by_another_user_is_refused(home):
    import pwd

    nobody = pwd.getpwnam("nobody")
    home.mkdir(mode=0o700)
    os.chown(home, nobody.pw_uid, nobody.pw_gid)
    result = gt("list")
    assert result.returncode == 3
    line = one_error_line(result)
    assert f"the data home {home} belongs to nobody" in line
    assert f"chown -R {pwd.getpwuid(os.geteuid()).pw_name} {home}" in line
    assert list(home.iterdir()) == []  # nothing created in it
    assert home.stat().st_uid == nobody.pw_uid and mode(home) == 0o700


@pytest.mark.parametrize("open_mode", [0o770, 0o707, 0o777, 0o1777])
def test_a_home_others_can_write_is_refused_and_left_as_it_is(home, open_mode):
    home.mkdir()
    planted = home / "planted"
    planted.write_text("x")
    home.chmod(open_mode)
    result = gt("list")
    assert result.returncode == 3
    line = one_error_line(result)
    assert "so someone else could have put files in it" in line
    assert line.endswith(f"check what is in it, then run 'chmod 700 {home}'")
    # Refused, not repaired: its mode is the user's to fix once they have looked.
    assert stat.S_IMODE(home.stat().st_mode) == open_mode
    assert [p.name for p in home.iterdir()] == ["planted"]


def test_a_home_others_can_only_read_is_ours_and_tightened(home):
    # (tests/test_store.py has the 0755 case: being readable plants nothing.)
    home.mkdir()
    home.chmod(0o750)
    assert gt("list").returncode == 0
    assert mode(home) == 0o700


UMASK_0 = """
import os, sys
os.umask(0)
from gametime_cli.cli import main
main(sys.argv[1:])
"""


@pytest.mark.slow  # a fresh process under umask 000
def test_parents_the_tool_creates_are_0700_under_umask_000(tmp_path):
    top = tmp_path / "top"
    top.mkdir(mode=0o755)
    home = top / "a" / "b" / "home"
    env = {**os.environ, "GAMETIME_HOME": str(home)}
    result = subprocess.run([sys.executable, "-c", UMASK_0, "list"], env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert {p.name: mode(p) for p in (top / "a", top / "a" / "b", home)} == {
        "a": 0o700, "b": 0o700, "home": 0o700}
    assert mode(top) == 0o755  # what existed is left as it was
    assert mode(home / "gametime.db") == 0o600


# -- links in place of our files ------------------------------------------------------


def test_a_linked_log_is_refused_and_never_followed(made, victim):
    log = made / "gametime.log"
    log.symlink_to(victim)
    for args in (["list"], ["book", "tomorrow", "19:00", "--club", "sim"],
                 ["-v", "run-pending", "--max-wait", "0"]):
        result = gt(*args)
        assert result.returncode == 3, (args, result.stderr)
        line = one_error_line(result)
        assert f"{log} is a symbolic link to {victim}" in line
        assert line.endswith(f"remove the link ('rm {log}') and run again")
    assert victim.read_text() == VICTIM_TEXT
    assert mode(victim) == 0o644
    assert log.is_symlink()


def test_the_log_handler_itself_never_writes_through_a_link(home, victim):
    from gametime_cli.system import logs

    home.mkdir(mode=0o700)
    (home / "gametime.log").symlink_to(victim)
    logs.configure(home)
    try:
        logging.getLogger("gametime").error("this must not reach the victim")
    finally:
        logs.configure(home)  # drop the handler (and its failed open)
    assert victim.read_text() == VICTIM_TEXT


def test_the_idle_tick_refuses_a_linked_file_too(made, victim, gametime):
    """The cron tick answers before Typer; an unsafe home falls through to the full
    command, which says what is wrong (exit 3) and writes nothing."""
    (made / "gametime.log").symlink_to(victim)
    result = gametime("run-pending")
    assert result.returncode == 3
    assert "gametime.log is a symbolic link" in one_error_line(result)
    assert victim.read_text() == VICTIM_TEXT


@pytest.mark.parametrize("name", ["gametime.db", "gametime.db-wal", "gametime.db-shm",
                                  "gametime.log.1", "credentials.enc", "credentials.key",
                                  "credentials.lock", "watch.lock", "cron.log"])
def test_a_link_in_place_of_any_file_we_write_is_refused(made, victim, name):
    path = made / name
    path.unlink(missing_ok=True)
    path.symlink_to(victim)
    result = gt("list")
    assert result.returncode == 3
    assert f"{path} is a symbolic link" in one_error_line(result)
    assert victim.read_text() == VICTIM_TEXT
    assert mode(victim) == 0o644


def test_a_dangling_link_is_refused_and_nothing_is_created_through_it(made, tmp_path):
    target = tmp_path / "would-be-created"
    (made / "watch.lock").symlink_to(target)
    assert gt("list").returncode == 3
    from gametime_cli.run.watch import WatchLock

    with pytest.raises(EnvironmentProblem, match=re.escape("watch.lock is a symbolic link")):
        WatchLock(made).acquire()
    assert not target.exists()


def test_an_artifact_is_never_written_through_a_link(home, victim, tmp_path):
    folder = paths.ensure_private_dir(home / "artifacts")
    assert mode(home) == mode(folder) == 0o700
    link = folder / "booking-1-attempt-1-court-1-20260101T000000.html"
    link.symlink_to(victim)
    with pytest.raises(EnvironmentProblem, match=re.escape(f"{link} is a symbolic link")):
        paths.write_private(link, b"<html>page</html>")
    assert victim.read_text() == VICTIM_TEXT
    kept = folder / "booking-1-attempt-1-court-1-20260101T000001.png"
    paths.write_private(kept, b"png")
    assert mode(kept) == 0o600
    # The folder itself as a link (to a folder of someone else's) is refused as well.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    folder.rename(tmp_path / "old-artifacts")
    (home / "artifacts").symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(EnvironmentProblem, match=re.escape("artifacts is a symbolic link")):
        paths.ensure_private_dir(home / "artifacts")
    assert gt("list").returncode == 3
    assert list(elsewhere.iterdir()) == []


def test_an_existing_file_of_ours_is_set_back_to_0600(made):
    log = made / "gametime.log"
    log.write_text("")
    log.chmod(0o644)
    db = made / "gametime.db"
    db.chmod(0o644)
    assert gt("-v", "book", "tomorrow", "19:00", "--club", "sim").returncode == 0
    assert mode(db) == 0o600
    fd = paths.open_private(log, os.O_WRONLY | os.O_APPEND)
    os.close(fd)
    assert mode(log) == 0o600


def test_a_file_that_is_not_a_regular_file_is_refused(home):
    home.mkdir(mode=0o700)
    fifo = home / "watch.lock"
    os.mkfifo(fifo, 0o600)
    with pytest.raises(EnvironmentProblem, match=re.escape("is not a regular file")):
        os.close(paths.open_private(fifo, os.O_RDWR | os.O_CREAT))  # never blocks


# -- the key file ---------------------------------------------------------------------


def login_with_file(home: Path) -> None:
    result = gt("login", "--club", "sim", "--username", "jo", "--password-stdin",
                "--store", "file", input="Zebra-Quasar-9137!\n")
    assert result.returncode == 0, result.stderr
    assert mode(home / "credentials.key") == 0o600


@pytest.mark.parametrize("loose", [0o666, 0o640, 0o604])
def test_a_key_file_others_can_read_is_refused_with_the_way_back(made, loose):
    login_with_file(made)
    key = made / "credentials.key"
    vault = made / "credentials.enc"
    key.chmod(loose)
    before = (key.read_bytes(), vault.read_bytes())
    assert gt("book", "tomorrow", "19:00", "--club", "sim").returncode == 0
    result = gt("run-pending", "--max-wait", "0")
    assert result.returncode == 3
    line = one_error_line(result)
    assert f"the key file {key} can be read or changed by others ({loose:04o})" in line
    assert "no longer secret" in line
    assert f"'rm {key} {vault}'" in line and f"'chmod 600 {key}'" in line
    assert (key.read_bytes(), vault.read_bytes()) == before  # refused, not re-keyed
    assert mode(key) == loose  # nor tightened: whether to trust it is the user's call
    assert json.loads(gt("show", "1", "--json").stdout)["status"] == "pending"
    # A second login doesn't reuse it either.
    again = gt("login", "--club", "sim", "--username", "jo", "--password-stdin",
               "--store", "file", input="another\n")
    assert again.returncode == 3 and "no longer secret" in again.stderr
    # The way back the line gives: a new key, the booking goes through.
    key.unlink()
    vault.unlink()
    login_with_file(made)
    assert gt("run-pending", "--max-wait", "0").returncode == 0


def test_a_new_key_file_is_never_created_through_a_link(home, victim):
    from gametime_cli.secrets.vault import Vault

    home.mkdir(mode=0o700)
    (home / "credentials.key").symlink_to(victim)
    with pytest.raises(EnvironmentProblem, match=re.escape("credentials.key is a symbolic link")):
        Vault(home).put("sim:jo", "secret")
    assert victim.read_text() == VICTIM_TEXT
    assert not (home / "credentials.enc").exists()


# -- doctor ---------------------------------------------------------------------------


def test_doctor_gives_each_home_problem_a_red_line_with_its_fix(made, victim):
    login_with_file(made)
    (made / "credentials.key").chmod(0o644)
    (made / "gametime.log").symlink_to(victim)
    made.chmod(0o777)
    result = gt("doctor")
    assert result.returncode == 3
    red = {line.split(":")[0][2:]: line for line in result.stdout.splitlines()
           if line.startswith("✗")}
    assert set(red) == {"data home", "gametime.log in the data home", "key file"}
    assert result.stdout.count("— fix:") == 3  # (long lines wrap: counted, not per line)
    checks = {c["check"]: c for c in json.loads(gt("doctor", "--json").stdout)}
    assert set(checks) == set(red)
    assert not any(c["ok"] for c in checks.values())
    assert checks["data home"]["fix"] == f"check what is in it, then run 'chmod 700 {made}'"
    assert checks["gametime.log in the data home"]["fix"] == (
        f"remove the link ('rm {made}/gametime.log') and run again")
    assert f"'chmod 600 {made}/credentials.key'" in checks["key file"]["fix"]
    assert victim.read_text() == VICTIM_TEXT
    assert mode(made) == 0o777


def test_doctor_without_a_home_problem_still_says_why_it_cannot_open(home):
    home.mkdir(mode=0o700)
    (home / "gametime.db").write_bytes(b"these are my notes, not a database\n" * 10)
    result = gt("doctor", "--json")
    assert result.returncode == 3
    [check] = json.loads(result.stdout)
    assert check["check"] == "database" and "not an SQLite database" in check["detail"]
