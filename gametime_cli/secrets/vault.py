"""The encrypted credentials file, for machines where no OS keyring can be used.

`credentials.enc` is JSON that records its format version, algorithm and key source,
with the passwords inside one Fernet token. The key is either a random key file
(`credentials.key`, 0600, beside it) or, when `GAMETIME_PASSPHRASE` is set as the file
is first written, derived from that passphrase with scrypt and a random salt. Every
write goes to a temporary file opened 0600 and is moved into place.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import shlex
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from gametime_cli import paths
from gametime_cli.errors import EnvironmentProblem
from gametime_cli.secrets.environment import PASSPHRASE_ENV, secret_variable

FORMAT_VERSION = 1
VAULT_NAME = "credentials.enc"
KEY_NAME = "credentials.key"
LOCK_NAME = "credentials.lock"
SCRYPT = {"n": 2**17, "r": 8, "p": 1}
SCRYPT_N = (2**14, 2**20)
"""A file's scrypt parameters are used only within these bounds (n a power of two), so
that opening a damaged or foreign file takes seconds and bounded memory, never minutes."""
SCRYPT_R = (1, 16)
SCRYPT_P = (1, 4)
SCRYPT_MAX_MEMORY = 256 * 2**20
"""Bytes scrypt needs (128 * n * r), at most: twice what SCRYPT needs."""
SCRYPT_MAX_WORK = 2**22
"""n * r * p, which a derivation's time grows with, at most: four times SCRYPT's."""
SALT_BYTES = (16, 1024)


class VaultError(EnvironmentProblem):
    """The file can't be opened or written; it is left as it was."""


class _Unusable(Exception):
    """What makes a header unusable; `_check_header` names the file and the fix."""


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 24 else text[:23] + "…"


_KINDS = {int: "a whole number", str: "text", dict: "an object"}


def _field(mapping: dict[str, Any], name: str, kind: type) -> Any:
    """`mapping[name]`, which must be there and a `kind` (an int is never a bool)."""
    value = mapping.get(name)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise _Unusable(f"its {name!r} is missing or not {_KINDS[kind]}")
    return value


def _scrypt_source(source: dict[str, Any]) -> dict[str, Any]:
    """A passphrase key source's fields, checked: scrypt with parameters in bounds and a
    salt of 16 bytes or more."""
    if _field(source, "kdf", str) != "scrypt":
        raise _Unusable(f"its key derivation {_short(source['kdf'])} is not scrypt")
    n, r, p = (_field(source, name, int) for name in ("n", "r", "p"))
    if not (SCRYPT_N[0] <= n <= SCRYPT_N[1] and n & (n - 1) == 0
            and SCRYPT_R[0] <= r <= SCRYPT_R[1] and SCRYPT_P[0] <= p <= SCRYPT_P[1]
            and 128 * n * r <= SCRYPT_MAX_MEMORY and n * r * p <= SCRYPT_MAX_WORK
            and n < 2 ** (16 * r)):  # scrypt's own rule
        raise _Unusable(
            f"its scrypt parameters n={_short(n)}, r={_short(r)}, p={_short(p)} are out of "
            f"bounds (n a power of two from 2^14 to 2^20, r 1 to {SCRYPT_R[1]}, p 1 to "
            f"{SCRYPT_P[1]}, at most {SCRYPT_MAX_MEMORY // 2**20} MiB)")
    salt = _field(source, "salt", str)
    try:
        raw_salt = base64.b64decode(salt.encode("ascii"), altchars=b"-_", validate=True)
    except ValueError:  # binascii.Error, UnicodeEncodeError
        raise _Unusable("its salt is not base64") from None
    if not SALT_BYTES[0] <= len(raw_salt) <= SALT_BYTES[1]:
        raise _Unusable(f"its salt is {len(raw_salt)} bytes, not {SALT_BYTES[0]} to "
                        f"{SALT_BYTES[1]}")
    return {"source": "passphrase", "kdf": "scrypt", "n": n, "r": r, "p": p, "salt": salt}


def _check_header(path: Path, document: Any) -> dict[str, Any]:
    """The header of `credentials.enc` with only the fields this version uses, each
    checked for its presence, type and bounds before any of it is used; VaultError
    (the file left as it is) otherwise."""
    try:
        if not isinstance(document, dict):
            raise _Unusable("it is not a JSON object")
        version = _field(document, "format", int)
        algorithm = _field(document, "algorithm", str)
        if version != FORMAT_VERSION or algorithm != "fernet":
            raise VaultError(
                f"{path} has format {_short(version)}/{_short(algorithm)}, which this version "
                "of gametime-cli can't read; it was left untouched")
        token = _field(document, "token", str)
        if not token.isascii():
            raise _Unusable("its token is not ASCII")
        source = _field(document, "key", dict)
        kind = _field(source, "source", str)
        if kind == "keyfile":
            if _field(source, "file", str) != KEY_NAME:
                raise _Unusable(f"its key file is {_short(source['file'])}, not {KEY_NAME}")
            key = {"source": "keyfile", "file": KEY_NAME}
        elif kind == "passphrase":
            key = _scrypt_source(source)
        else:
            raise VaultError(f"{path} names a key source this version doesn't know "
                             f"({_short(kind)}); it was left untouched")
    except _Unusable as exc:
        raise VaultError(f"{path} is damaged or was not written by gametime-cli ({exc}); "
                         "it was left untouched: move it away and log in again") from None
    return {"format": version, "algorithm": algorithm, "key": key, "token": token}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text.encode("ascii"))


def _write_private(path: Path, data: bytes) -> None:
    """Write `data` to `path` through a temp file opened 0600, then an atomic rename."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    if os.path.islink(path):  # replacing it would not follow it, but it is not ours
        raise paths.link_problem(path).error()
    fd = paths.open_private(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


class Vault:
    def __init__(self, home: Path):
        self.home = home
        self.path = home / VAULT_NAME
        self.key_path = home / KEY_NAME

    @contextmanager
    def locked(self) -> Iterator[None]:
        """One writer at a time (two logins at once must not lose either)."""
        fd = paths.open_private(self.home / LOCK_NAME, os.O_RDWR | os.O_CREAT)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    # -- keys --------------------------------------------------------------------

    def _header_key(self, header: dict[str, Any]) -> bytes:
        source = header.get("key", {})
        if source.get("source") == "keyfile":
            return self._read_key_file()
        if source.get("source") == "passphrase" and source.get("kdf") == "scrypt":
            passphrase = secret_variable(PASSPHRASE_ENV)
            if not passphrase:
                raise VaultError(
                    f"{self.path} is locked with a passphrase: set {PASSPHRASE_ENV} "
                    "(in cron, in the crontab's environment)"
                )
            return self._derive(passphrase, _unb64(source["salt"]), source)
        raise VaultError(f"{self.path} names a key source this version doesn't know")

    @staticmethod
    def _derive(passphrase: str, salt: bytes, params: dict[str, Any]) -> bytes:
        from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

        try:
            kdf = Scrypt(salt=salt, length=32, n=params["n"], r=params["r"], p=params["p"])
            return base64.urlsafe_b64encode(kdf.derive(passphrase.encode("utf-8")))
        except (MemoryError, ValueError) as exc:  # memory the machine can't give
            raise VaultError(f"scrypt could not derive the key from {PASSPHRASE_ENV}: {exc}; "
                             "free some memory and try again") from None

    def key_problem(self) -> tuple[str, str] | None:
        """Why the key file can't be trusted (others can read or change it), and the
        fix, if so."""
        try:
            st = os.lstat(self.key_path)
        except FileNotFoundError:
            return None
        if stat.S_ISREG(st.st_mode) and st.st_mode & 0o077:
            return self._loose_key(stat.S_IMODE(st.st_mode))
        return None

    def _loose_key(self, mode: int) -> tuple[str, str]:
        """A key others could read is no longer secret: it is refused, never tightened
        and used; the fix makes a new one (or trusts this one on the user's word)."""
        key, vault = (shlex.quote(str(p)) for p in (self.key_path, self.path))
        return (f"the key file {self.key_path} can be read or changed by others "
                f"({mode:04o}), so the passwords it locks are no longer secret and gametime "
                "won't use it",
                f"run 'rm {key} {vault}', change those passwords at the club, and run "
                "'gametime login --club CLUB --username NAME --store file' again for each "
                f"account (or, if you are sure no one else read it, 'chmod 600 {key}')")

    def _read_key_file(self) -> bytes:
        """The key, read without following a link; refused if others can read it."""
        try:
            fd = paths.open_private(self.key_path, os.O_RDONLY, enforce_mode=False)
        except FileNotFoundError:
            raise VaultError(
                f"the key file {self.key_path} is missing, so {self.path} can't be opened; "
                "move the file away and log in again"
            ) from None
        with os.fdopen(fd, "rb") as fh:
            mode = stat.S_IMODE(os.fstat(fh.fileno()).st_mode)
            if mode & 0o077:
                raise VaultError("; ".join(self._loose_key(mode)))
            return fh.read().strip()

    def _new_key(self) -> tuple[bytes, dict[str, Any]]:
        """A key and the header that records how to find it again."""
        from cryptography.fernet import Fernet

        passphrase = secret_variable(PASSPHRASE_ENV)
        if passphrase:
            salt = os.urandom(16)
            source = {"source": "passphrase", "kdf": "scrypt", **SCRYPT, "salt": _b64(salt)}
            return self._derive(passphrase, salt, source), source
        if os.path.lexists(self.key_path):
            return self._read_key_file(), {"source": "keyfile", "file": KEY_NAME}
        key = Fernet.generate_key()
        fd = paths.open_private(self.key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
        with os.fdopen(fd, "wb") as fh:
            fh.write(key + b"\n")
        return key, {"source": "keyfile", "file": KEY_NAME}

    # -- reading and writing ---------------------------------------------------------

    def _read_header(self) -> dict[str, Any] | None:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise VaultError(f"cannot read {self.path}: {exc.strerror}") from exc
        try:
            document = json.loads(raw)
        except (ValueError, RecursionError):  # not UTF-8 or JSON, or nested past reason
            raise VaultError(
                f"{self.path} is damaged and was left untouched; move it away and log in again"
            ) from None
        return _check_header(self.path, document)

    def _open(self) -> tuple[dict[str, Any] | None, bytes | None, dict[str, str]]:
        """The header, the key and the entries (all empty when there is no file yet)."""
        header = self._read_header()
        if header is None:
            return None, None, {}
        from cryptography.fernet import Fernet, InvalidToken

        key = self._header_key(header)
        try:
            plain = Fernet(key).decrypt(header["token"].encode("ascii"))
        except (InvalidToken, ValueError):
            if header["key"].get("source") == "passphrase":
                raise VaultError(
                    f"{PASSPHRASE_ENV} does not open {self.path} (wrong passphrase?); "
                    "the file was left untouched"
                ) from None
            raise VaultError(
                f"{self.path} can't be decrypted with {self.key_path} (damaged, or the key "
                "was replaced); the file was left untouched"
            ) from None
        try:
            entries = json.loads(plain)
        except (ValueError, RecursionError):
            entries = None
        if not isinstance(entries, dict):
            raise VaultError(f"{self.path} is damaged and was left untouched") from None
        return header, key, {str(k): str(v) for k, v in entries.items()}

    def _write(self, entries: dict[str, str], header: dict[str, Any] | None,
               key: bytes | None) -> None:
        from cryptography.fernet import Fernet

        if header is None or key is None:
            key, source = self._new_key()
        else:
            source = header["key"]
        token = Fernet(key).encrypt(json.dumps(entries).encode("utf-8"))
        document = {"format": FORMAT_VERSION, "algorithm": "fernet", "key": source,
                    "token": token.decode("ascii")}
        _write_private(self.path, json.dumps(document, indent=1).encode("utf-8") + b"\n")

    def get(self, name: str) -> str | None:
        return self._open()[2].get(name)

    def put(self, name: str, secret: str) -> None:
        with self.locked():
            header, key, entries = self._open()
            entries[name] = secret
            self._write(entries, header, key)

    def delete(self, name: str) -> bool:
        with self.locked():
            header, key, entries = self._open()
            if name not in entries:
                return False
            del entries[name]
            self._write(entries, header, key)
            return True

    def key_source(self) -> str | None:
        header = self._read_header()
        return None if header is None else header["key"].get("source")
