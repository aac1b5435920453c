"""The password appears nowhere but its store: not in files, output, arguments or env."""

from __future__ import annotations

import base64
import contextlib
import gzip
import io
import json
import os
import signal
import subprocess
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest

from gametime_cli.sandbox import SandboxConfig, SandboxSite, SandboxUser
from tests.support import gametime_executable

PASSWORD = "Unmistakable-Okapi-7731#"


# -- where a password could hide, and in which forms ---------------------------------------


def secret_forms(secret: str) -> dict[str, bytes]:
    """The byte strings that give `secret` away: as text (UTF-8, UTF-16 either way round,
    URL-encoded as a form post has it) and base64 (standard and URL-safe) at each of the
    three offsets it could start at inside a longer encoded blob."""
    raw = secret.encode("utf-8")
    forms = {
        "utf-8": raw,
        "utf-16-le": secret.encode("utf-16-le"),
        "utf-16-be": secret.encode("utf-16-be"),
        "url-encoded": quote_plus(secret).encode("ascii"),
        "percent-encoded": quote(secret, safe="").encode("ascii"),
    }
    for shift in range(3):
        encoded = base64.b64encode(bytes(shift) + raw)
        start = 4 if shift else 0  # the first quartet also encodes what came before
        end = (shift + len(raw)) // 3 * 4  # the last one, what comes after
        forms[f"base64@{shift}"] = encoded[start:end]
        forms[f"base64url@{shift}"] = encoded[start:end].translate(bytes.maketrans(b"+/", b"-_"))
    return forms


FORMS = secret_forms(PASSWORD)


def secret_in(blob: bytes, depth: int = 0) -> list[str]:
    """The forms of the password found in `blob`, and inside it when it is a zip (a
    Playwright trace is one) or gzip, member by member."""
    found = [name for name, form in FORMS.items() if form in blob]
    if depth < 3 and blob[:2] == b"\x1f\x8b":
        with contextlib.suppress(OSError, EOFError):
            found += [f"gzip:{f}" for f in secret_in(gzip.decompress(blob), depth + 1)]
    if depth < 3 and zipfile.is_zipfile(io.BytesIO(blob)):
        with contextlib.suppress(zipfile.BadZipFile, OSError, RuntimeError), \
                zipfile.ZipFile(io.BytesIO(blob)) as archive:
            for member in archive.namelist():
                found += [f"{member}:{f}" for f in secret_in(archive.read(member), depth + 1)]
    return found


def files_under(folder: Path) -> Iterator[Path]:
    """Every file under `folder`, not minding ones that vanish as it is walked."""
    for parent, _, names in os.walk(folder):
        for name in names:
            yield Path(parent, name)


def leaks_in_files(folder: Path) -> list[str]:
    leaks = []
    for path in files_under(folder):
        try:
            blob = path.read_bytes()
        except OSError:
            continue  # gone since the walk saw it
        leaks += [f"{path}: {form}" for form in secret_in(blob)]
    return leaks


def test_the_scanner_finds_each_form_of_the_password(tmp_path):
    """The scans below can fail: each hiding place they look in is found."""
    assert not secret_in(b"nothing to see" * 100)
    assert secret_in(b"...password=" + quote_plus(PASSWORD).encode() + b"&x=1")
    assert secret_in(b"\x00" + PASSWORD.encode("utf-16-le") + b"\x00")
    for prefix in (b"", b"a", b"ab", b"abc"):
        for suffix in (b"", b"z", b"zy"):
            blob = b"header " + base64.b64encode(prefix + PASSWORD.encode() + suffix)
            assert secret_in(blob), (prefix, suffix)
            assert secret_in(base64.urlsafe_b64encode(prefix + PASSWORD.encode() + suffix))
    trace = io.BytesIO()
    with zipfile.ZipFile(trace, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("trace.trace", b'{"type":"fill","value":"' + PASSWORD.encode() + b'"}')
        archive.writestr("resources/page.html", b"<html></html>" * 50)
    assert secret_in(trace.getvalue()) and PASSWORD.encode() not in trace.getvalue()
    assert secret_in(gzip.compress(PASSWORD.encode() * 3))
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "trace.zip").write_bytes(trace.getvalue())
    assert leaks_in_files(tmp_path)


# -- the whole process tree, while it runs ----------------------------------------------------


def process_tree(root: int) -> dict[int, tuple[int, str]]:
    """Every live process descended from `root`, and `root` itself, at any depth (the
    Playwright driver, Chromium, its zygotes, renderers and helpers): pid -> (parent, name)."""
    processes: dict[int, tuple[int, str]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
            name = stat[stat.index("(") + 1:stat.rindex(")")]
            parent = int(stat[stat.rindex(")") + 2:].split()[1])
        except (OSError, ValueError, IndexError):
            continue  # gone since the listing
        processes[int(entry.name)] = (parent, name)
    children: dict[int, list[int]] = {}
    for pid, (parent, _) in processes.items():
        children.setdefault(parent, []).append(pid)
    tree, todo = {}, [root]
    while todo:
        pid = todo.pop()
        if pid in processes and pid not in tree:
            tree[pid] = processes[pid]
            todo.extend(children.get(pid, ()))
    return tree


@dataclass
class TreeWatch:
    """Command lines and environments of a process tree, sampled again and again."""

    texts: dict[bytes, set[str]] = field(default_factory=dict)
    """Each distinct cmdline and environ read (an environment rarely changes), and the
    processes it was read from."""
    seen: dict[int, tuple[str, bytes, bool]] = field(default_factory=dict)
    """pid -> (name, command line, whether its environment could be read)."""
    samples: int = 0

    def sample(self, root: int) -> None:
        self.samples += 1
        for pid, (_, name) in process_tree(root).items():
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            self.texts.setdefault(cmdline, set()).add(f"the command line of {pid} ({name})")
            try:
                environ = Path(f"/proc/{pid}/environ").read_bytes()
                self.texts.setdefault(environ, set()).add(
                    f"the environment of {pid} ({name}: {cmdline[:50]!r})")
                read_env = True
            except OSError:  # gone, or a sandboxed renderer that can't be inspected
                read_env = False
            known = self.seen.get(pid)
            self.seen[pid] = (name, cmdline or (known[1] if known else b""),
                              read_env or bool(known and known[2]))

    def leaks(self) -> list[str]:
        return [f"{', '.join(sorted(where))}: {form}" for text, where in self.texts.items()
                for form in secret_in(text)]

    def read(self, needle: bytes) -> list[int]:
        """Processes whose command line has `needle` and whose environment was read."""
        return [pid for pid, (_, cmdline, env) in self.seen.items() if needle in cmdline and env]


def kill_tree(root: int) -> None:
    """SIGKILL a command that overran and each process it started, one pid at a time."""
    for pid in process_tree(root):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


# -- simulated clubs --------------------------------------------------------------------------


@pytest.mark.slow
def test_the_password_never_leaks(home, tmp_path):
    exe = gametime_executable()
    env = {k: v for k, v in os.environ.items() if k != "DBUS_SESSION_BUS_ADDRESS"}
    env.update(GAMETIME_HOME=str(home), XDG_RUNTIME_DIR=str(tmp_path / "none"))
    outputs: list[str] = []

    def run(*args: str, stdin: str | None = None, expect: int | None = 0) -> None:
        result = subprocess.run([exe, *args], input=stdin, capture_output=True, text=True,
                                env=env, timeout=120)
        outputs.extend([result.stdout, result.stderr])
        if expect is not None:
            assert result.returncode == expect, (args, result.stderr)

    run("club", "add", "ok", "--url", "simulate:?success=1&delay=0.3", "--timezone", "UTC",
        "--window-days", "7", "--opens-at", "00:00")
    run("club", "add", "down", "--url", "simulate:?success=0", "--timezone", "UTC",
        "--window-days", "7", "--opens-at", "00:00")
    for club in ("ok", "down"):
        run("login", "--club", club, "--username", "jo", "--password-stdin",
            stdin=PASSWORD + "\n")
        run("book", "tomorrow", "19:00", "--club", club)
        run("book", "tomorrow", "20:00", "--club", club)
    run("config", "set", "retry_base", "0.1")

    # While bookings run, look at the process's arguments and environment.
    proc = subprocess.Popen([exe, "run-pending"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    watch = TreeWatch()
    deadline = time.monotonic() + 60
    while proc.poll() is None:
        if time.monotonic() > deadline:
            kill_tree(proc.pid)
            proc.communicate(timeout=30)
            pytest.fail("run-pending ran past 60 s")
        watch.sample(proc.pid)
        time.sleep(0.05)
    out, err = proc.communicate(timeout=60)
    outputs.extend([out, err])
    assert proc.returncode == 1, err  # the 'down' club's bookings failed
    assert watch.texts, "the run was observed while it worked"

    for args in (["list"], ["list", "--json"], ["show", "1"], ["show", "3", "--json"],
                 ["accounts"], ["accounts", "--json"], ["credentials", "check"],
                 ["run-pending", "--json"]):
        run(*args, expect=None)
    run("logout", "--club", "down")

    assert all(not secret_in(text.encode()) for text in outputs)
    assert not watch.leaks()
    assert any(p.name == "gametime.db" for p in files_under(home))
    assert not leaks_in_files(home)


# -- the real browser ------------------------------------------------------------------------

USER = SandboxUser("jo.secret", PASSWORD, 4411, "Secret, Jo")


@pytest.mark.slow
@pytest.mark.browser
def test_the_password_never_leaks_from_a_real_browser_run(home, tmp_path, now: datetime,
                                                          needs_browser):
    """Log in and book with the real Chromium at -vv, with failures that keep a
    screenshot and the page's HTML and a login the site refuses, watching every process
    of each run (the Playwright driver, Chromium and all its children) as it works.

    The sandbox site's own records are the site's side and are not looked at."""
    exe = gametime_executable()
    out_dir, browser_tmp = tmp_path / "out", tmp_path / "browser-tmp"
    out_dir.mkdir()
    browser_tmp.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "DBUS_SESSION_BUS_ADDRESS"}
    env.update(GAMETIME_HOME=str(home), XDG_RUNTIME_DIR=str(tmp_path / "none"),
               TMPDIR=str(browser_tmp),  # Chromium's profile, to look in as it runs
               NO_COLOR="1")
    watch = TreeWatch()
    temp_leaks: list[str] = []
    outputs: list[bytes] = []
    durations: list[tuple[str, float]] = []
    calls = 0

    def run(*args: str, stdin: str | None = None, expect: int | None = 0,
            timeout: float = 180) -> str:
        """The installed command, its process tree sampled every 20 ms until it ends."""
        nonlocal calls
        calls += 1
        out_path, err_path = out_dir / f"{calls}.out", out_dir / f"{calls}.err"
        started = time.monotonic()
        with out_path.open("wb") as out, err_path.open("wb") as err:
            proc = subprocess.Popen([exe, *args], env=env, stdin=subprocess.PIPE, stdout=out,
                                    stderr=err, start_new_session=True)
        try:
            assert proc.stdin is not None
            with contextlib.suppress(BrokenPipeError):
                proc.stdin.write((stdin or "").encode())
                proc.stdin.close()
            samples = 0
            while proc.poll() is None:
                if time.monotonic() - started > timeout:
                    kill_tree(proc.pid)
                    pytest.fail(f"gametime {' '.join(args)} ran past {timeout} s")
                watch.sample(proc.pid)
                samples += 1
                if samples % 10 == 0:
                    temp_leaks.extend(leaks_in_files(browser_tmp))
                time.sleep(0.02)
        finally:
            if proc.poll() is None:
                kill_tree(proc.pid)
            proc.wait(timeout=30)
        durations.append((" ".join(args[:2]), round(time.monotonic() - started, 2)))
        stdout, stderr = out_path.read_bytes(), err_path.read_bytes()
        outputs.extend([stdout, stderr])
        if expect is not None:
            assert proc.returncode == expect, (args, proc.returncode, stderr.decode())
        return stdout.decode()

    def show(booking: int) -> dict:
        return json.loads(run("show", str(booking), "--json"))

    opening = (now - timedelta(hours=1)).replace(microsecond=0)
    day: date = now.date() + timedelta(days=1)
    config = SandboxConfig(users=[replace(USER)], timezone="UTC", window_days=6,
                           opens_at=opening.time(), durations=[30, 60], seed=15)
    with SandboxSite(config) as site:
        run("club", "add", "sb", "--url", site.base_url,
            "--accept-waiver", "--yes", "--timezone", "UTC",
            "--window-days", "6", "--opens-at", opening.strftime("%H:%M:%S"))
        run("-vv", "login", "--club", "sb", "--username", USER.username, "--password-stdin",
            "--store", "file", stdin=PASSWORD + "\n")
        run("book", day.isoformat(), "19:00", "--club", "sb", "--court", "1",
            "--partner", "Sam Lee")
        # The site offers no 90-minute booking (booking 1's form showed 30 or 60): a
        # permanent failure before any form is loaded for it, so with no evidence.
        run("book", day.isoformat(), "20:00", "--club", "sb", "--court", "2",
            "--duration", "90")
        run("-vv", "run-pending", "--json", expect=1)
        assert show(1)["status"] == "confirmed"
        permanent = show(2)
        assert permanent["status"] == "failed"
        assert "offers 30 or 60 minutes" in permanent["last_error"], permanent

        # Every save answered HTTP 500: a transient failure, with its evidence.
        site.set_save_500(1.0)
        run("book", day.isoformat(), "21:00", "--club", "sb", "--court", "3")
        run("-vv", "run-pending", "--json", "--max-wait", "0")
        assert show(3)["attempt_history"][0]["artifacts"]
        site.set_save_500(0.0)
        run("-vv", "courts", day.isoformat(), "--club", "sb")

        # The password changed on the site: the login typed in is refused (a failure
        # while the password is in the login form, which keeps no evidence).
        site.config.users[0] = replace(USER, password="Changed-On-The-Site-1")
        run("book", day.isoformat(), "22:00", "--club", "sb", "--court", "4")
        run("-vv", "run-pending", "--json", expect=None)
        assert show(4)["attempt_history"][-1]["outcome"] == "login_refused"

        for args in (["list"], ["list", "--json"], ["show", "2"], ["accounts", "--json"],
                     ["credentials", "check", "--json"], ["doctor", "--json"]):
            run(*args, expect=None)

    # Each kind of process was seen, its environment read: the tree, not the children.
    assert watch.samples > 50
    assert watch.read(b"gametime"), "the command itself"
    assert watch.read(b"playwright"), "the Playwright driver (node)"
    assert watch.read(b"chrom"), "the browser (Chromium, or Playwright's Chrome)"
    assert any(b"--type=" in cmdline for _, cmdline, _ in watch.seen.values()), \
        "Chromium's own children (zygote, renderer, network service)"

    artifacts = list(files_under(home / "artifacts"))
    assert {p.suffix for p in artifacts} >= {".png", ".html"}, artifacts
    found = {
        "stdout and stderr": [f"{text[:200]!r}: {form}" for text in outputs
                              for form in secret_in(text)],
        "command lines and environments": watch.leaks(),
        "the data home (database, log, credentials, artifacts)": leaks_in_files(home),
        "the browser's temporary files as it ran": sorted(set(temp_leaks)),
        "what the browser left behind": leaks_in_files(browser_tmp),
    }
    assert not any(found.values()), {where: leaks for where, leaks in found.items() if leaks}
    print("durations (s):", durations)
