"""The log: a rotating file in the data home, and stderr at the verbosity asked for."""

from __future__ import annotations

import logging
import os
from logging.handlers import RotatingFileHandler
from pathlib import Path

from gametime_cli import paths

LOG_NAME = "gametime.log"
MAX_BYTES = 1_000_000
BACKUPS = 3


class PrivateRotatingFileHandler(RotatingFileHandler):
    """Every file it opens, the first and each after a rotation, is 0600 and never a
    symbolic link's target (a link there is refused; the command that opens the store
    reports it, exit 3). Rotation only renames and removes, which never follows one."""

    def _open(self):  # type: ignore[no-untyped-def]
        path = Path(self.baseFilename)
        paths.make_private_dirs(path.parent)
        fd = paths.open_private(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        return os.fdopen(fd, self.mode.replace("w", "a"), encoding=self.encoding)


class OneLine(logging.Formatter):
    """The message alone: a trace attached to the record goes to the log file (and to
    stderr with -vv), never to a player's screen by default."""

    def format(self, record: logging.LogRecord) -> str:
        record.message = record.getMessage()
        return self.formatMessage(record)


def configure(home: Path, verbose: int = 0, quiet: bool = False) -> None:
    """INFO and up to the file always; WARNING to stderr, INFO with -v, DEBUG with -vv,
    errors only with -q. Never called on the idle cron tick, which writes nothing."""
    logger = logging.getLogger("gametime")
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()
    stderr = logging.StreamHandler()
    stderr.setLevel(logging.ERROR if quiet else
                    {0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG))
    stderr.setFormatter(logging.Formatter("gametime: %(message)s") if verbose > 1
                        else OneLine("gametime: %(message)s"))
    logger.addHandler(stderr)
    # asyncio reports a lost future with its trace: into the log, and on stderr with -vv.
    library = logging.getLogger("asyncio")
    library.propagate = False
    for handler in list(library.handlers):
        library.removeHandler(handler)
    library.addHandler(logging.NullHandler())
    try:
        file = PrivateRotatingFileHandler(home / LOG_NAME, maxBytes=MAX_BYTES,
                                          backupCount=BACKUPS, encoding="utf-8",
                                          delay=True)  # no file until something is said
    except OSError:
        return  # an unwritable home is reported by the command itself
    file.setLevel(logging.DEBUG if verbose > 1 else logging.INFO)
    file.handleError = lambda record: None  # type: ignore[method-assign]  # never noisy
    file.setFormatter(logging.Formatter(
        "%(asctime)s %(process)d %(levelname)s %(message)s"))
    logger.addHandler(file)
    library.addHandler(file)
    if verbose > 1:
        library.addHandler(stderr)
