"""Real parts of the system in private mount namespaces, so that a test uses the real
thing without touching the machine's own: a crontab spool and a cron daemon of the
test's own (PrivateCron), a small tmpfs it can fill or make read-only (SmallDisk).

As root: `unshare --mount` (and --pid for cron, so that ending the namespace ends the
daemon and every job it started). Otherwise an unprivileged user namespace (`unshare
--user --map-root-user`), where the kernel allows one. Where neither works, the test
reports the missing part through missing_part (a failure under CI=true).
"""

from __future__ import annotations

import grp
import io
import os
import select
import shlex
import shutil
import signal
import subprocess
import tarfile
import time
from pathlib import Path

from tests.support import debian, gametime_executable, missing_part

REAL_SPOOL = Path("/var/spool/cron/crontabs")
"""Debian cron's spool (`man cron`); its pid file is /run/crond.pid."""
WAIT = 30.0
"""The longest any step here waits for a process."""
NO_NAMESPACE = ("run the tests as root (CI does), or allow unprivileged user namespaces "
                "(sysctl user.max_user_namespaces > 0)")


def _read_line(fd: int, timeout: float) -> bytes:
    """One line from a pipe, or what came before `timeout` or the end of the pipe."""
    data = b""
    deadline = time.monotonic() + timeout
    while not data.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            break
        chunk = os.read(fd, 256)
        if not chunk:
            break
        data += chunk
    return data


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


UTIL_LINUX = "install Debian's util-linux (essential: every Debian system has it)"


def _tool(name: str, install_hint: str) -> str:
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
    if found is None:
        missing_part(f"the {name} command", install_hint)
    return found


class Namespace:
    """A holder process in a new mount namespace (and user and PID namespaces when asked
    or needed): `script` (sh, arguments $1...) sets the namespace up, prints `ready` and
    then keeps it for as long as its stdin stays open (or execs a daemon in it)."""

    def __init__(self, script: str, args: list[str], *, pid: bool, workdir: Path,
                 what: str) -> None:
        self.as_root = os.geteuid() == 0
        unshare = _tool("unshare", UTIL_LINUX)
        setpriv = _tool("setpriv", UTIL_LINUX)
        self.nsenter = _tool("nsenter", UTIL_LINUX)
        flags = ["--mount", "--propagation", "private"]
        if not self.as_root:
            flags = ["--user", "--map-root-user", *flags]
        if pid:
            flags += ["--pid", "--fork", "--kill-child"]
        self.err_path = workdir / "namespace.err"
        with open(self.err_path, "wb") as err:
            # setpriv --pdeathsig: should the test process die, unshare goes too, and
            # with it (--kill-child) the namespace and every process in it.
            self.process = subprocess.Popen(
                [setpriv, "--pdeathsig", "KILL", unshare, *flags, "sh", "-c", script, "sh",
                 *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err,
                bufsize=0)
        line = _read_line(self.process.stdout.fileno(), WAIT)
        self.target = self.process.pid
        if line == b"ready\n" and pid:  # the namespace's init is unshare's one child
            [self.target] = _children(self.process.pid)
        if line != b"ready\n":
            self.close()
            how = "unshare --mount" if self.as_root else "unshare --user --map-root-user"
            missing_part(f"{what}: {how} did not set it up "
                         f"({self.err_path.read_text(errors='replace').strip()!r})",
                         NO_NAMESPACE)

    def enter(self) -> list[str]:
        """The prefix that runs a command in the namespace's mount namespace (only)."""
        user = [] if self.as_root else ["--user", "--preserve-credentials"]
        return [self.nsenter, f"--target={self.target}", *user, "--mount", "--"]

    def send(self, line: str) -> None:
        self.process.stdin.write(line.encode() + b"\n")

    def close(self) -> None:
        """End the namespace and everything in it: its init first (with a PID namespace
        the kernel then kills every process left in it), then unshare; wait for both."""
        process = self.process
        if process.poll() is None:
            if self.target != process.pid:
                os.kill(self.target, signal.SIGKILL)  # not yet reaped: still ours
            process.stdin.close()
            try:
                process.wait(timeout=WAIT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=WAIT)
        if not process.stdin.closed:
            process.stdin.close()
        process.stdout.close()

    def alive(self) -> bool:
        return self.process.poll() is None


def spool_state(path: Path = REAL_SPOOL) -> dict[str, object]:
    """What a crontab write changes in a spool: the directory's mtime and, where this
    user may list it (root; it is mode 1730), each file's size, mtime, inode and mode."""
    state: dict[str, object] = {"dir": (path.stat().st_mtime_ns, path.stat().st_ino)}
    try:
        names = sorted(os.listdir(path))
    except PermissionError:
        return state
    for name in names:
        stat = os.lstat(path / name)
        state[name] = (stat.st_size, stat.st_mtime_ns, stat.st_ino, stat.st_mode)
    return state


CRON_SETUP = r"""
set -e
mount --bind "$1" /var/spool/cron/crontabs
mount -t tmpfs -o mode=0755 tmpfs /run
if [ -e /etc/crontab ]; then mount --bind "$2" /etc/crontab; fi
if [ -d /etc/cron.d ]; then mount --bind "$3" /etc/cron.d; fi
mount -t proc proc /proc
echo ready
read -r go || exit 0
exec "$4" -f
"""
"""The private spool over the real one; a /run of its own, so a daemon already running
(its /run/crond.pid lock) neither stops ours nor sees it; no system crontab or cron.d,
so our daemon runs only the test's entries; a /proc for the namespace's PIDs. Then, on
a line on stdin, the daemon itself as the namespace's init."""


class PrivateCron:
    """A crontab spool of the test's own (root:crontab 1730 like Debian's), mounted over
    /var/spool/cron/crontabs in a private namespace; `bin_dir` holds a `crontab` that
    runs the real one there. `start_daemon()` starts a real `cron -f` in the namespace
    (in a PID namespace: `close()` ends it and every job it started)."""

    def __init__(self, base: Path) -> None:
        self.crontab_bin = _tool("crontab", debian("cron"))
        if not REAL_SPOOL.is_dir():
            missing_part(f"cron's spool {REAL_SPOOL}", debian("cron"))
        self.real_before = spool_state()
        self.spool = base / "crontabs"
        self.bin_dir = base / "bin"
        empty = base / "empty"
        for path in (self.spool, self.bin_dir, empty / "cron.d"):
            path.mkdir(parents=True)
        (empty / "crontab").write_text("")
        os.chmod(self.spool, 0o1730)
        if os.geteuid() == 0:
            os.chown(self.spool, 0, grp.getgrnam("crontab").gr_gid)
        # Debian's cron daemon; only start_daemon needs it.
        self.daemon = shutil.which("cron") or shutil.which("cron", path="/usr/sbin:/sbin")
        self.namespace = Namespace(
            CRON_SETUP, [str(self.spool), str(empty / "crontab"), str(empty / "cron.d"),
                         self.daemon or "false"],
            pid=True, workdir=base, what="a private crontab spool")
        wrapper = self.bin_dir / "crontab"
        command = shlex.join([*self.namespace.enter(), self.crontab_bin])
        wrapper.write_text("#!/bin/sh\n# The test's private crontab spool "
                           f"(tests/namespaces.py), never the real one.\n"
                           f'exec {command} "$@"\n')
        wrapper.chmod(0o755)

    @classmethod
    def open(cls, base: Path) -> PrivateCron:
        base.mkdir(parents=True)
        return cls(base)

    def crontab(self, *args: str, input: str | None = None) -> subprocess.CompletedProcess:
        """The real `crontab` on the private spool."""
        return subprocess.run([str(self.bin_dir / "crontab"), *args], input=input,
                              capture_output=True, text=True, timeout=WAIT)

    def lines(self) -> list[str]:
        result = self.crontab("-l")
        if result.returncode != 0:
            assert "no crontab" in result.stderr, result.stderr
            return []
        return result.stdout.splitlines()

    def need_daemon(self) -> None:
        """missing_part unless start_daemon can run a real daemon's jobs here."""
        if self.daemon is None:
            missing_part("Debian's cron daemon (cron)", debian("cron"))
        if not self.namespace.as_root:
            missing_part("root for a real cron daemon (in a user namespace cron cannot "
                         "set a job's groups, so no job runs)", "run the tests as root, "
                         "as CI does")

    def start_daemon(self) -> None:
        """A real `cron -f` on the private spool, running as the namespace's init."""
        self.need_daemon()
        self.namespace.send("go")
        exe = os.path.realpath(self.daemon)
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline and self.namespace.alive():
            try:
                if os.readlink(f"/proc/{self.namespace.target}/exe") == exe:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"cron did not start: {self.namespace.err_path.read_text()}")

    def daemon_running(self) -> bool:
        return self.namespace.alive()

    def close(self) -> None:
        """End the namespace: the daemon and all its jobs with it. Safe to call twice."""
        self.namespace.close()

    def check_real_spool_unchanged(self) -> None:
        after = spool_state()
        assert after == self.real_before, (
            f"the real crontab spool {REAL_SPOOL} changed: {self.real_before} -> {after}")


DISK_SETUP = r"""
set -e
mount -t tmpfs -o "size=$2,mode=0755" tmpfs "$1"
echo ready
read -r _ || true
"""


class SmallDisk:
    """A tmpfs of `size` at `path`, seen only in a private mount namespace: run what
    should see it with `run` or `gametime` (both go through nsenter), read its files
    back with `copy_out`. Gone with the namespace at `close()`."""

    def __init__(self, path: Path, size: str) -> None:
        path.mkdir(parents=True)
        self.path = path
        self.namespace = Namespace(DISK_SETUP, [str(path), size], pid=False,
                                   workdir=path.parent, what=f"a {size} tmpfs")

    def run(self, argv: list[str], *, env: dict[str, str] | None = None,
            input: bytes | None = None, timeout: float = 60
            ) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run([*self.namespace.enter(), *argv], input=input,
                              capture_output=True, timeout=timeout,
                              env={**os.environ, **(env or {})})

    def gametime(self, home: Path, *args: str, timeout: float = 60
                 ) -> subprocess.CompletedProcess[str]:
        """The installed command with its data home at `home` (on this disk)."""
        result = self.run([gametime_executable(), *args], env={"GAMETIME_HOME": str(home)},
                          timeout=timeout)
        return subprocess.CompletedProcess(result.args, result.returncode,
                                           result.stdout.decode(), result.stderr.decode())

    def fill(self, path: Path) -> None:
        """Take every free block with one file."""
        result = self.run(["sh", "-c", 'cat /dev/zero > "$1"; stat -f -c %a "$1"', "sh",
                           str(path)])
        assert result.stdout.strip() == b"0", result  # no block left

    def set_read_only(self, read_only: bool) -> None:
        """The mount read-only or writable again (a bind remount: a user namespace may
        change its own mount's flags, not the tmpfs's)."""
        mode = "ro" if read_only else "rw"
        result = self.run(["mount", "-o", f"remount,bind,{mode}", str(self.path)])
        assert result.returncode == 0, result.stderr

    def copy_out(self, inside: Path, dest: Path) -> Path:
        """A copy of the directory `inside` (on this disk) at `dest`, to read here."""
        result = self.run(["tar", "-C", str(inside), "-cf", "-", "."])
        assert result.returncode == 0, result.stderr
        dest.mkdir(parents=True)
        with tarfile.open(fileobj=io.BytesIO(result.stdout)) as archive:
            archive.extractall(dest, filter="data")
        return dest

    def close(self) -> None:
        self.namespace.close()
