"""Exit codes and the errors that carry them: the CLI maps failures to codes here only."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Every exit code gametime can end with; `meaning` says when, for people and docs."""

    OK = 0
    BOOKING_FAILED = 1
    BAD_INPUT = 2
    ENVIRONMENT = 3
    DATABASE_BUSY = 4
    INTERNAL = 70
    INTERRUPTED = 130

    @property
    def meaning(self) -> str:
        """One line on when a command ends with this code (docs/scripting.md lists them)."""
        return EXIT_CODE_MEANINGS[self]


EXIT_CODE_MEANINGS: dict[ExitCode, str] = {
    ExitCode.OK: "nothing failed (including: nothing was due)",
    ExitCode.BOOKING_FAILED: (
        "at least one booking ended as `failed` or `missed` in this run"),
    ExitCode.BAD_INPUT: (
        "the command line or an input file was wrong; nothing was written"),
    ExitCode.ENVIRONMENT: (
        "configuration or environment: unreadable or damaged database, data home not"
        " writable, or not safe (another user's, writable by others, a symbolic link in"
        " place of one of its files, a key file others can read; see Where things live"
        " in docs/server.md), a password that can't be read or is refused by the site"
        " (the booking stays pending), no browser"),
    ExitCode.DATABASE_BUSY: (
        "another process held the database past the 15 s busy timeout; nothing was"
        " changed, no booking left claimed (a run cut off mid-booking is taken back when"
        " its lease runs out)"),
    ExitCode.INTERNAL: (
        "a bug in gametime-cli (rerun with `GAMETIME_DEBUG=1` for the trace)"),
    ExitCode.INTERRUPTED: "Ctrl-C or SIGTERM",
}
"""What each exit code means, one line each: the exit-code table in docs/scripting.md is
generated from it (scripts/make_docs.py), and a test holds every member to a meaning."""


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
