"""An X display of the run's own (Xvfb), for a headed browser on a machine without one.

Xvfb picks a free display number itself (`-displayfd`) and admits only clients that
show the cookie of an authority file private to this run, so no other user on the
machine can connect to the display and watch the password being typed. It ends when
the run stops it, or by itself when its last client (the browser) goes.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import select
import shutil
import struct
import subprocess
import tempfile
from pathlib import Path

from gametime_cli.errors import EnvironmentProblem
from gametime_cli.secrets.environment import child_environment

SCREEN = (1920, 1080)
"""The virtual screen: a common desktop's."""
START_TIMEOUT = 10.0
NO_XVFB = ("a headed browser needs a display, and there is none here (no DISPLAY) and no "
           "Xvfb to make one; install it with 'apt-get install xvfb', or book headless "
           "(gametime config set browser_mode headless)")
_FAMILY_WILD = 0xFFFF
_COOKIE_NAME = b"MIT-MAGIC-COOKIE-1"


def needs_display() -> bool:
    """No display to show a window on: neither X11 nor Wayland."""
    return not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _authority_entry(cookie: bytes) -> bytes:
    """One Xauthority record for any host and display, holding `cookie`."""
    def counted(data: bytes) -> bytes:
        return struct.pack(">H", len(data)) + data

    return (struct.pack(">H", _FAMILY_WILD) + counted(b"") + counted(b"")
            + counted(_COOKIE_NAME) + counted(cookie))


class VirtualDisplay:
    """Xvfb, started by `start` and ended by `stop` (safe to call twice)."""

    def __init__(self) -> None:
        self._process: subprocess.Popen[bytes] | None = None
        self._folder: Path | None = None
        self.environment: dict[str, str] = {}
        """DISPLAY and XAUTHORITY for the clients of this display."""

    def start(self) -> dict[str, str]:
        """Start Xvfb; returns the variables a client needs. EnvironmentProblem (exit 3)
        when Xvfb is missing or doesn't start."""
        if self._process is not None:
            return self.environment
        executable = shutil.which("Xvfb")
        if executable is None:
            raise EnvironmentProblem(NO_XVFB)
        self._folder = Path(tempfile.mkdtemp(prefix="gametime-display-"))
        authority = self._folder / "Xauthority"
        fd = os.open(authority, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(_authority_entry(secrets.token_bytes(16)))
        reader, writer = os.pipe()
        width, height = SCREEN
        try:
            self._process = subprocess.Popen(
                [executable, "-displayfd", str(writer), "-screen", "0", f"{width}x{height}x24",
                 "-auth", str(authority), "-nolisten", "tcp", "-terminate"],
                pass_fds=(writer,), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL, env=child_environment(), start_new_session=True)
            os.close(writer)
            number = self._read_number(reader)
        except BaseException:
            with contextlib.suppress(OSError):
                os.close(writer)
            self.stop()
            raise
        finally:
            os.close(reader)
        self.environment = {"DISPLAY": f":{number}", "XAUTHORITY": str(authority)}
        return self.environment

    def _read_number(self, reader: int) -> str:
        """The display number Xvfb writes once it is ready."""
        text = b""
        while not text.endswith(b"\n"):
            ready, _, _ = select.select([reader], [], [], START_TIMEOUT)
            chunk = os.read(reader, 16) if ready else b""
            if not chunk:
                raise EnvironmentProblem(
                    f"Xvfb did not start within {START_TIMEOUT:g} s (exit "
                    f"{self._process.poll() if self._process else '?'}); a headed browser "
                    f"needs a display")
            text += chunk
        return text.decode("ascii").strip()

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        folder, self._folder = self._folder, None
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
        self.environment = {}
