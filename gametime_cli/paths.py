"""Where gametime-cli keeps its files: the one module that knows the data home."""

from __future__ import annotations

import os
from pathlib import Path

from gametime_cli.errors import EnvironmentProblem

APP_NAME = "gametime-cli"
HOME_ENV = "GAMETIME_HOME"
DB_NAME = "gametime.db"


def data_home() -> Path:
    """`$GAMETIME_HOME` if set, else the platform's user data folder."""
    override = os.environ.get(HOME_ENV)
    if override:
        return Path(override).expanduser()
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False)


def db_path(home: Path | None = None) -> Path:
    return (home or data_home()) / DB_NAME


def ensure_home(home: Path | None = None) -> Path:
    """Create the data home 0700 (whatever the umask) and tighten one we own."""
    home = home or data_home()
    try:
        home.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = home.stat()
        if st.st_uid == os.getuid() and st.st_mode & 0o077:
            home.chmod(0o700)
    except OSError as exc:
        raise EnvironmentProblem(
            f"cannot create the data home {home}: {exc.strerror}; "
            f"set {HOME_ENV} to a folder you can write"
        ) from exc
    return home


def create_private_file(path: Path) -> None:
    """Create an empty file opened 0600 from the start, unless it already exists."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    os.close(fd)
