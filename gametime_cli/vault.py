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
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from gametime_cli.errors import EnvironmentProblem

FORMAT_VERSION = 1
VAULT_NAME = "credentials.enc"
KEY_NAME = "credentials.key"
LOCK_NAME = "credentials.lock"
PASSPHRASE_ENV = "GAMETIME_PASSPHRASE"
SCRYPT = {"n": 2**17, "r": 8, "p": 1}


class VaultError(EnvironmentProblem):
    """The file can't be opened or written; it is left as it was."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text.encode("ascii"))


def _write_private(path: Path, data: bytes) -> None:
    """Write `data` to `path` through a temp file opened 0600, then an atomic rename."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
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
        fd = os.open(self.home / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
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
            passphrase = os.environ.get(PASSPHRASE_ENV)
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

        kdf = Scrypt(salt=salt, length=32, n=params["n"], r=params["r"], p=params["p"])
        return base64.urlsafe_b64encode(kdf.derive(passphrase.encode("utf-8")))

    def _read_key_file(self) -> bytes:
        try:
            return self.key_path.read_bytes().strip()
        except FileNotFoundError:
            raise VaultError(
                f"the key file {self.key_path} is missing, so {self.path} can't be opened; "
                "move the file away and log in again"
            ) from None

    def _new_key(self) -> tuple[bytes, dict[str, Any]]:
        """A key and the header that records how to find it again."""
        from cryptography.fernet import Fernet

        passphrase = os.environ.get(PASSPHRASE_ENV)
        if passphrase:
            salt = os.urandom(16)
            source = {"source": "passphrase", "kdf": "scrypt", **SCRYPT, "salt": _b64(salt)}
            return self._derive(passphrase, salt, source), source
        if self.key_path.exists():
            return self._read_key_file(), {"source": "keyfile", "file": KEY_NAME}
        key = Fernet.generate_key()
        fd = os.open(self.key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
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
            header = json.loads(raw)
            if header["format"] != FORMAT_VERSION or header["algorithm"] != "fernet":
                raise VaultError(
                    f"{self.path} has format {header['format']!r}/{header['algorithm']!r}, "
                    "which this version of gametime-cli can't read"
                )
            header["token"].encode("ascii")
            return header
        except (ValueError, KeyError, TypeError, AttributeError):
            raise VaultError(
                f"{self.path} is damaged and was left untouched; move it away and log in again"
            ) from None

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
        except ValueError:
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
