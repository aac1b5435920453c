"""Where a player's GameTime passwords live: the OS keyring, else the encrypted file.

The database records only the username and which store holds the password. A password
travels as a `Secret`, which never shows itself in a repr, a log line or a traceback.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from gametime_cli.errors import EnvironmentProblem
from gametime_cli.models import Account

SERVICE = "gametime-cli"
STORES = ("keyring", "file")
KEYRING_TIMEOUT_S = 10.0
_INSECURE_BACKENDS = ("keyring.backends.fail", "keyring.backends.null", "keyrings.alt")

T = TypeVar("T")


class Secret:
    """A password that shows as stars everywhere but `reveal()`."""

    __slots__ = ("_value",)

    def __init__(self, value: str):
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __reduce__(self) -> object:
        raise TypeError("a Secret is not to be pickled")


class CredentialsUnavailable(EnvironmentProblem):
    """The password can't be read here; the booking waits (exit 3)."""


class KeyringUnusable(Exception):
    """No OS keyring can be used here; the message says why."""


@dataclass(frozen=True)
class Saved:
    store: str
    fell_back: str | None = None
    """Why the keyring could not be used, when the file was used instead."""


def entry_name(club: str, username: str) -> str:
    return f"{club}:{username}"


# -- the OS keyring -------------------------------------------------------------------


def _no_session_bus() -> bool:
    if os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return False
    runtime = os.environ.get("XDG_RUNTIME_DIR") or f"/run/user/{os.getuid()}"
    return not Path(runtime, "bus").exists()


def _keyring_call(action: Callable[[object], T]) -> T:
    """Run one keyring operation with a deadline, turning every failure into
    KeyringUnusable with a reason a player can act on."""
    outcome: dict[str, object] = {}

    def work() -> None:
        try:
            import keyring

            backend = keyring.get_keyring()
            module = type(backend).__module__
            if module.startswith(_INSECURE_BACKENDS):
                why = "no OS keyring is available"
                if sys.platform.startswith("linux") and _no_session_bus():
                    why += " (no D-Bus session, as under cron or ssh)"
                raise KeyringUnusable(why)
            outcome["value"] = action(backend)
        except KeyringUnusable as exc:
            outcome["error"] = exc
        except Exception as exc:  # keyring, secretstorage and D-Bus errors alike
            outcome["error"] = KeyringUnusable(_describe_keyring_error(exc))

    thread = threading.Thread(target=work, name="keyring", daemon=True)
    thread.start()
    thread.join(KEYRING_TIMEOUT_S)
    if thread.is_alive():
        raise KeyringUnusable(
            f"the OS keyring did not answer within {KEYRING_TIMEOUT_S:.0f} s (locked?)"
        )
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["value"]  # type: ignore[return-value]


def _describe_keyring_error(exc: Exception) -> str:
    name = type(exc).__name__
    if name == "KeyringLocked":
        return "the OS keyring is locked"
    if name == "NoKeyringError":
        return "no OS keyring is available"
    text = str(exc).splitlines()[0] if str(exc) else name
    return f"the OS keyring failed: {text[:200]}"


def keyring_name() -> str:
    """The keyring backend in use, for messages ('SecretService', 'macOS', ...)."""
    try:
        return _keyring_call(lambda b: type(b).__module__.rsplit(".", 1)[-1])
    except KeyringUnusable:
        return "none"


# -- the store-neutral API --------------------------------------------------------------


def save(home: Path, club: str, username: str, secret: Secret, prefer: str = "keyring") -> Saved:
    """Keep the password in the keyring, or in the encrypted file when the keyring can't
    be used or the file was asked for."""
    name = entry_name(club, username)
    reason = None
    if prefer == "keyring":
        try:
            _keyring_call(lambda b: b.set_password(SERVICE, name, secret.reveal()))
            return Saved("keyring")
        except KeyringUnusable as exc:
            reason = str(exc)
    from gametime_cli.secrets.vault import Vault

    Vault(home).put(name, secret.reveal())
    return Saved("file", reason)


def load(home: Path, account: Account) -> Secret:
    name = entry_name(account.club, account.username)
    fix = f"fix: gametime login --club {account.club} --username {account.username}"
    if account.store == "keyring":
        try:
            value = _keyring_call(lambda b: b.get_password(SERVICE, name))
        except KeyringUnusable as exc:
            raise CredentialsUnavailable(
                f"cannot read the password of {account.username} at {account.club}: {exc}; "
                f"{fix} --store file"
            ) from None
    else:
        from gametime_cli.secrets.vault import Vault

        value = Vault(home).get(name)
    if value is None:
        raise CredentialsUnavailable(
            f"no password for {account.username} at {account.club} in the {account.store}; "
            f"{fix}"
        )
    return Secret(value)


def forget(home: Path, account: Account) -> None:
    """Remove the password from its store; a password already gone is fine."""
    name = entry_name(account.club, account.username)
    if account.store == "keyring":
        import contextlib

        with contextlib.suppress(KeyringUnusable):
            _keyring_call(lambda b: _delete_quietly(b, name))
    else:
        from gametime_cli.secrets.vault import Vault

        Vault(home).delete(name)


def _delete_quietly(backend: object, name: str) -> None:
    import contextlib

    from keyring.errors import PasswordDeleteError

    with contextlib.suppress(PasswordDeleteError):
        backend.delete_password(SERVICE, name)  # type: ignore[attr-defined]


# -- would cron be able to read it? ----------------------------------------------------


def cron_environment(home: Path) -> dict[str, str]:
    """The environment cron gives a job: no D-Bus session, a bare PATH."""
    env = {
        "HOME": os.environ.get("HOME", "/"),
        "LOGNAME": os.environ.get("LOGNAME", os.environ.get("USER", "")),
        "USER": os.environ.get("USER", os.environ.get("LOGNAME", "")),
        "SHELL": "/bin/sh",
        "PATH": "/usr/bin:/bin",
        "GAMETIME_HOME": str(home),
    }
    if "LANG" in os.environ:
        env["LANG"] = os.environ["LANG"]
    return env


def check_from_cron(home: Path, club: str | None) -> dict[tuple[str, str], str | None]:
    """Read each password as cron would (gametime_cli.secrets.cron_probe, in cron's environment);
    per account, None or the error."""
    import json

    args = [sys.executable, "-m", "gametime_cli.secrets.cron_probe", *([club] if club else [])]
    try:
        result = subprocess.run(args, env=cron_environment(home), capture_output=True,
                                text=True, timeout=60, stdin=subprocess.DEVNULL)
        rows = json.loads(result.stdout)
    except (subprocess.TimeoutExpired, ValueError, OSError) as exc:
        return {("*", "*"): f"the cron-like check could not run: {exc}"}
    try:
        return {(r["club"], r["username"]): r["error"] for r in rows}
    except (TypeError, KeyError) as exc:
        why = result.stderr.strip().splitlines()[-1:] or [repr(exc)]
        return {("*", "*"): f"the cron-like check could not run: {why[0]}"}
