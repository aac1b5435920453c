"""Exit codes and the errors that carry them: the CLI maps failures to codes here only."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    """Nothing failed (a run with nothing due is OK too)."""
    BOOKING_FAILED = 1
    """At least one booking ended as failed in this run."""
    BAD_INPUT = 2
    """The command line or an input file is wrong; nothing was written."""
    ENVIRONMENT = 3
    """Configuration or environment: database unreadable, no credentials, no browser."""
    DATABASE_BUSY = 4
    """Another process held the database longer than the busy timeout; nothing was lost."""
    INTERNAL = 70
    """A bug in gametime-cli."""
    INTERRUPTED = 130
    """Stopped by Ctrl-C or SIGTERM."""


class GametimeError(Exception):
    """An error with a one-line message for the user and the exit code it maps to."""

    exit_code: ExitCode = ExitCode.ENVIRONMENT


class BadInput(GametimeError):
    exit_code = ExitCode.BAD_INPUT


class EnvironmentProblem(GametimeError):
    exit_code = ExitCode.ENVIRONMENT


class DatabaseBusy(GametimeError):
    exit_code = ExitCode.DATABASE_BUSY


class LeaseLost(Exception):
    """Another run took this booking over; the holder must stop writing about it."""
