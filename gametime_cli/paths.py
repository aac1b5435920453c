"""Where gametime-cli keeps its files: the one module that knows the data home, when
it is safe to use, and how the files the tool writes there are opened (never through a
symbolic link)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from gametime_cli.errors import EnvironmentProblem

APP_NAME = "gametime-cli"
HOME_ENV = "GAMETIME_HOME"
DB_NAME = "gametime.db"
DB_FILES = (DB_NAME, f"{DB_NAME}-wal", f"{DB_NAME}-shm", f"{DB_NAME}-journal")
"""The database and the files SQLite keeps beside it."""
OWN_NAMES = frozenset({
    *DB_FILES,
    "gametime.log", "gametime.log.1", "gametime.log.2", "gametime.log.3",  # logs.py
    "credentials.enc", "credentials.key", "credentials.lock",  # vault.py
    "watch.lock",  # watcher.py
    "cron.log",  # crontab.py (written by cron's shell)
    "artifacts",  # sites: a folder
})
"""Every name the tool writes in the data home; none of them may be a symbolic link.
(tests/test_data_home.py pins this to the modules that own the names.)"""


class HomeProblem:
    """Something about the data home that makes the tool refuse it, with the fix. (A
    plain class: cheaper to define on the idle cron tick than a NamedTuple.)"""

    __slots__ = ("detail", "fix", "name")

    def __init__(self, name: str, detail: str, fix: str):
        self.name = name
        """What `gametime doctor` calls the check."""
        self.detail = detail
        self.fix = fix

    def error(self) -> EnvironmentProblem:
        return EnvironmentProblem(f"{self.detail}; {self.fix}")


GAMES_DIR = "games"
"""In the data home: each confirmed game's .ics, attached to the notice that tells it."""

def data_home() -> Path:
    """`$GAMETIME_HOME` if set, else the platform's user data folder."""
    override = os.environ.get(HOME_ENV)
    if override:
        return Path(override).expanduser()
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False)


def db_path(home: Path | None = None) -> Path:
    return (home or data_home()) / DB_NAME


def make_private_dirs(path: Path) -> None:
    """Create `path` and whichever of its parents are missing, each 0700 whatever the
    umask (as the XDG base directory spec asks); existing ones are left as they are."""
    missing = []
    while not os.path.lexists(path) and path.parent != path:
        missing.append(path)
        path = path.parent
    for folder in reversed(missing):
        try:
            os.mkdir(folder, 0o700)
        except FileExistsError:
            continue  # made by a process racing this one; what it is is checked after
        os.chmod(folder, 0o700)  # a umask like 0277 must not leave it unusable


def _quoted(path: Path) -> str:
    import shlex

    return shlex.quote(str(path))


def _user(uid: int) -> str:
    import pwd

    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def folder_problem(path: Path, st: os.stat_result, what: str) -> HomeProblem | None:
    """A folder of ours that another user owns or can write to: they could have put
    files (or links) in it, so it is refused, never repaired silently. Being readable by
    others is not a problem here: the tool tightens that itself."""
    if st.st_uid != os.geteuid():
        me = _user(os.geteuid())
        return HomeProblem(
            "data home", f"{what} {path} belongs to {_user(st.st_uid)}, not to {me}",
            f"if it is yours, run 'chown -R {me} {_quoted(path)}'; otherwise set "
            f"{HOME_ENV} to a folder of your own")
    writers = [who for who, bit in (("group", stat.S_IWGRP), ("others", stat.S_IWOTH))
               if st.st_mode & bit]
    if writers:
        return HomeProblem(
            "data home", f"{what} {path} is writable by {' and '.join(writers)} "
            f"({stat.S_IMODE(st.st_mode):04o}), so someone else could have put files in it",
            f"check what is in it, then run 'chmod 700 {_quoted(path)}'")
    return None


def link_problem(path: Path) -> HomeProblem:
    try:
        target = f" to {os.readlink(path)}"
    except OSError:
        target = ""
    return HomeProblem(
        f"{path.name} in the data home",
        f"{path} is a symbolic link{target}, and gametime never follows one in its "
        "data home", f"remove the link ('rm {_quoted(path)}') and run again")


def home_problems(home: Path) -> list[HomeProblem]:
    """What makes the data home unsafe to use (nothing is changed): another user owns it
    or can write to it, or a name the tool writes is a symbolic link."""
    try:
        st = os.stat(home)
    except FileNotFoundError:
        return []
    found = [p for p in [folder_problem(home, st, "the data home")] if p]
    try:
        entries = list(os.scandir(home))
    except OSError:
        return found  # an unreadable home is reported where it is used
    for entry in sorted(entries, key=lambda e: e.name):
        if entry.name not in OWN_NAMES:
            continue
        if entry.is_symlink():
            found.append(link_problem(Path(entry.path)))
        elif entry.is_dir(follow_symlinks=False):
            problem = folder_problem(Path(entry.path), entry.stat(follow_symlinks=False),
                                     "the folder")
            if problem:
                found.append(problem)
    return found


def ensure_home(home: Path | None = None) -> Path:
    """Create the data home (and its missing parents) 0700 whatever the umask; refuse
    one that isn't safe (`home_problems`, exit 3); tighten one of ours that others can
    read."""
    home = home or data_home()
    try:
        make_private_dirs(home)
        st = os.stat(home)
        if not stat.S_ISDIR(st.st_mode):
            raise NotADirectoryError(20, "Not a directory")
    except OSError as exc:
        raise EnvironmentProblem(
            f"cannot create the data home {home}: {exc.strerror}; "
            f"set {HOME_ENV} to a folder you can write"
        ) from exc
    problems = home_problems(home)
    if problems:
        raise problems[0].error()
    if st.st_mode & 0o077:
        try:
            os.chmod(home, 0o700)
        except OSError as exc:
            raise EnvironmentProblem(f"cannot make {home} private: {exc.strerror}") from exc
    return home


def ensure_private_dir(path: Path) -> Path:
    """A folder of ours inside the data home: created 0700; refused (exit 3) if it is a
    link, or another user owns it or can write to it."""
    make_private_dirs(path)
    st = os.lstat(path)
    if stat.S_ISLNK(st.st_mode):
        raise link_problem(path).error()
    if not stat.S_ISDIR(st.st_mode):
        raise EnvironmentProblem(f"{path} is not a folder; move it away and run again")
    problem = folder_problem(path, st, "the folder")
    if problem:
        raise problem.error()
    if st.st_mode & 0o077:
        os.chmod(path, 0o700)
    return path


def _not_ours(path: Path, st: os.stat_result) -> EnvironmentProblem | None:
    if not stat.S_ISREG(st.st_mode):
        return EnvironmentProblem(f"{path} is not a regular file; move it away and run "
                                  "again")
    if st.st_uid != os.geteuid():
        me = _user(os.geteuid())
        return EnvironmentProblem(
            f"{path} belongs to {_user(st.st_uid)}, not to {me}; if it is yours, run "
            f"'chown {me} {_quoted(path)}', else move it away")
    return None


def open_private(path: Path, flags: int, *, enforce_mode: bool = True) -> int:
    """Open a file of ours in the data home, never through a symbolic link (one in its
    place is an error naming it, exit 3): created 0600, and one that already existed set
    back to 0600 (unless `enforce_mode` is False: the caller judges the mode itself)."""
    try:
        fd = os.open(path, flags | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, 0o600)
    except OSError:
        if os.path.islink(path):  # ELOOP, or EEXIST with O_EXCL
            raise link_problem(path).error() from None
        raise
    try:
        st = os.fstat(fd)
        problem = _not_ours(path, st)
        if problem:
            raise problem
        if enforce_mode and stat.S_IMODE(st.st_mode) != 0o600:
            os.fchmod(fd, 0o600)
    except BaseException:
        os.close(fd)
        raise
    return fd


def write_private(path: Path, data: bytes) -> None:
    """Write a file of ours in the data home (a kept page, a game's .ics): 0600, never
    through a symbolic link (exit 3 naming it)."""
    fd = open_private(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def private_file(path: Path) -> None:
    """Check a file of ours that another library opens (SQLite's): not a link, a regular
    file we own, and 0600. (It is not opened here: closing any descriptor on the
    database would drop the locks this process's connections hold on it.)"""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if stat.S_ISLNK(st.st_mode):
        raise link_problem(path).error()
    problem = _not_ours(path, st)
    if problem:
        raise problem
    if stat.S_IMODE(st.st_mode) & 0o077:
        os.chmod(path, 0o600)


def create_private_file(path: Path) -> None:
    """Create an empty file opened 0600 from the start, unless it already exists."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except FileExistsError:
        return
    os.close(fd)
