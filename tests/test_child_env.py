"""A secret given in the environment (GAMETIME_PASSPHRASE) stays in gametime's own
process: no child it starts inherits it, whether the `--on-result` command, the
Playwright driver, Chromium or Chromium's own helpers. The children's environments are
read from /proc while the command runs."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import tempfile
import time
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from gametime_cli.sandbox import SandboxConfig, SandboxSite, SandboxUser
from gametime_cli.secrets import environment as secrets_env
from tests.support import gametime_executable
from tests.test_secrecy import kill_tree, process_tree, secret_forms

NAME = "GAMETIME_PASSPHRASE"
PASSPHRASE = "Passphrase-Quokka-5521%"
PASSWORD = "Sandbox-Ibis-8120"
USER = SandboxUser("jo.env", PASSWORD, 4411, "Env, Jo")
RESULT_VARIABLES = ("GAMETIME_BOOKING_ID", "GAMETIME_STATUS", "GAMETIME_CLUB", "GAMETIME_DATE",
                    "GAMETIME_TIME", "GAMETIME_COURT", "GAMETIME_CONFIRMATION",
                    "GAMETIME_ERROR")


def giveaways(blob: bytes) -> list[str]:
    """What in `blob` gives the passphrase away: the variable's name or its value."""
    found = [f"the value ({form})" for form, text in secret_forms(PASSPHRASE).items()
             if text in blob]
    return found + (["the name"] if NAME.encode() in blob else [])


@dataclass
class Children:
    """The command lines and environments of a command's descendants (not the command
    itself: its own environment is what it was given), sampled again and again."""

    root: int
    seen: dict[int, tuple[bytes, bytes | None]] = field(default_factory=dict)
    """pid -> (command line, environment or None where it could not be read)."""
    leaks: set[str] = field(default_factory=set)
    root_cmdline: bytes = b""

    def sample(self) -> None:
        with contextlib.suppress(OSError):
            self.root_cmdline = self.root_cmdline or Path(
                f"/proc/{self.root}/cmdline").read_bytes()
        for pid, (_, name) in process_tree(self.root).items():
            if pid == self.root:
                continue
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
                environ = Path(f"/proc/{pid}/environ").read_bytes()
            except OSError:  # gone, or not ours to read
                self.seen.setdefault(pid, (b"", None))
                continue
            if not cmdline or cmdline == self.root_cmdline:
                # A zombie, or the command forked and not yet exec'd (it shows the
                # command's own memory): nothing of the child's own to see yet.
                continue
            self.seen[pid] = (cmdline, environ)
            self.leaks.update(f"{pid} ({name}, {cmdline[:60]!r}): {what} in {where}"
                              for where, blob in (("environ", environ), ("cmdline", cmdline))
                              for what in giveaways(blob))

    def read(self, needle: bytes) -> list[int]:
        """Children whose command line has `needle` and whose environment was read."""
        return [pid for pid, (cmdline, env) in self.seen.items()
                if needle in cmdline and env is not None]


def watched(*args: str, env: dict[str, str], stdin: str = "",
            timeout: float = 120) -> Children:
    """Run the installed command, sampling its children every 10 ms until it ends."""
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen([gametime_executable(), *args], env=env,
                                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=err,
                                start_new_session=True)
        children = Children(proc.pid)
        started = time.monotonic()
        try:
            assert proc.stdin is not None
            with contextlib.suppress(BrokenPipeError):
                proc.stdin.write(stdin.encode())
                proc.stdin.close()
            while proc.poll() is None:
                if time.monotonic() - started > timeout:
                    pytest.fail(f"gametime {' '.join(args)} ran past {timeout} s")
                children.sample()
                time.sleep(0.01)
        finally:
            if proc.poll() is None:
                kill_tree(proc.pid)
            proc.wait(timeout=30)
        err.seek(0)
        assert proc.returncode == 0, (args, err.read().decode(errors="replace"))
    return children


def kind(cmdline: bytes) -> str:
    """A child as a reader knows it: `node`, `sh`, `chromium --type=renderer`."""
    program = re.split(rb"[\0 ]", cmdline)[0].rsplit(b"/", 1)[-1].decode(errors="replace")
    found = re.search(rb"--type=([\w-]+)", cmdline)
    return f"{program} --type={found[1].decode()}" if found else program


def result_environment(path: Path) -> dict[str, str]:
    """The `env` output the on-result command wrote (one VAR=value a line)."""
    lines = path.read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line)


def assert_on_result_environment(path: Path, home: Path) -> None:
    text = path.read_bytes()
    assert not giveaways(text), giveaways(text)
    seen = result_environment(path)
    assert seen["GAMETIME_STATUS"] == "confirmed" and seen["GAMETIME_BOOKING_ID"] == "1"
    assert set(RESULT_VARIABLES) <= seen.keys()
    assert seen["GAMETIME_HOME"] == str(home)  # the rest of the environment still passes


@pytest.fixture
def env(home: Path) -> dict[str, str]:
    return {**os.environ, "GAMETIME_HOME": str(home), NAME: PASSPHRASE}


def test_child_environment_never_carries_a_secret(monkeypatch):
    monkeypatch.setattr(secrets_env, "_withheld", {})
    monkeypatch.setenv(NAME, PASSPHRASE)
    monkeypatch.setenv("GAMETIME_HOME", "/somewhere")
    child = secrets_env.child_environment({"GAMETIME_STATUS": "confirmed", NAME: "again"})
    assert NAME not in child
    assert child["GAMETIME_STATUS"] == "confirmed" and child["GAMETIME_HOME"] == "/somewhere"
    secrets_env.withhold()
    assert NAME not in os.environ
    assert secrets_env.secret_variable(NAME) == PASSPHRASE  # still there for the vault
    monkeypatch.setenv(NAME, "newer")
    assert secrets_env.secret_variable(NAME) == "newer"


@pytest.mark.slow  # the installed command, its children sampled from /proc
def test_the_on_result_command_gets_the_result_not_the_passphrase(gametime, env, home,
                                                                  tmp_path):
    """A simulated club: the password in the passphrase-locked file, read by the run,
    and the on-result shell (and its `sleep`) watched from /proc while it runs."""
    out = tmp_path / "on-result.env"
    for step, stdin in (
        (("club", "add", "sim", "--url", "simulate:?success=1", "--timezone", "UTC",
          "--window-days", "7", "--opens-at", "00:00"), None),
        (("login", "--club", "sim", "--username", "jo", "--password-stdin", "--store",
          "file"), PASSWORD + "\n"),
        (("book", "tomorrow", "19:00", "--club", "sim"), None),
    ):
        done = gametime(*step, input=stdin, env=env)
        assert done.returncode == 0, done.stderr
    children = watched("run-pending", "--on-result", f"sleep 0.3; env > {out}", env=env)
    assert children.read(b"sleep 0.3"), children.seen  # the on-result shell, seen at work
    assert not children.leaks, sorted(children.leaks)
    assert_on_result_environment(out, home)


def test_the_on_result_setting_gets_no_secret_even_in_process(cli, monkeypatch, home,
                                                               tmp_path):
    """Without the command's start (the app called in-process, nothing withheld), the
    on-result command's environment is still built without the secret."""
    monkeypatch.setattr(secrets_env, "_withheld", {})
    monkeypatch.setenv(NAME, PASSPHRASE)
    out = tmp_path / "on-result.env"
    for step in (("club", "add", "sim", "--url", "simulate:?success=1", "--timezone", "UTC",
                  "--window-days", "7", "--opens-at", "00:00"),
                 ("config", "set", "on_result", f"env > {out}"),
                 ("book", "tomorrow", "19:00", "--club", "sim"),
                 ("run-pending",)):
        assert cli(*step).exit_code == 0, step
    assert os.environ[NAME] == PASSPHRASE
    assert_on_result_environment(out, home)


@pytest.mark.slow
@pytest.mark.browser
def test_no_child_of_a_real_browser_run_gets_the_passphrase(gametime, env, home, tmp_path,
                                                             now: datetime, needs_browser):
    """Log in (verified in Chromium) and book on the sandbox site with the password in
    the passphrase-locked file, reading the environment of every descendant: the
    Playwright driver, Chromium, its zygotes, renderers and helpers, the on-result shell."""
    out = tmp_path / "on-result.env"
    opening = (now - timedelta(hours=1)).replace(microsecond=0)
    day = now.date() + timedelta(days=1)
    config = SandboxConfig(users=[replace(USER)], timezone="UTC", window_days=6,
                           opens_at=opening.time(), seed=11)
    with SandboxSite(config) as site:
        added = gametime("club", "add", "sb", "--url", site.base_url,
                         "--accept-waiver", "--yes", "--timezone", "UTC",
                         "--window-days", "6", "--opens-at", opening.strftime("%H:%M:%S"),
                         env=env)
        assert added.returncode == 0, added.stderr
        login = watched("login", "--club", "sb", "--username", USER.username,
                        "--password-stdin", "--store", "file", env=env, stdin=PASSWORD + "\n")
        booked = gametime("book", day.isoformat(), "19:00", "--club", "sb", "--court", "2",
                          env=env)
        assert booked.returncode == 0, booked.stderr
        run = watched("run-pending", "--on-result", f"sleep 1; env > {out}", env=env)
        assert [b["court"] for b in site.bookings()] == [2]

    for children in (login, run):
        assert children.read(b"playwright"), "the Playwright driver (node)"
        assert children.read(b"chrom"), "the browser"
        assert any(b"--type=" in cmdline for cmdline, _ in children.seen.values()), \
            "Chromium's own children (zygote, renderer, helpers)"
        assert not children.leaks, sorted(children.leaks)
    if os.geteuid() == 0:  # unsandboxed (--no-sandbox): every helper can be read
        assert all(environ is not None for cmdline, environ in run.seen.values()
                   if b"--type=" in cmdline), run.seen
    assert run.read(b"sleep 1"), "the on-result shell"
    print("children read:", sorted({kind(cmdline) for cmdline, environ in run.seen.values()
                                    if environ is not None}))
    assert_on_result_environment(out, home)
