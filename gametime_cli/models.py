"""The records the core passes around: clubs, bookings and their attempts."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from gametime_cli.booking.offer import length_note
from gametime_cli.clock import from_iso


class Status(StrEnum):
    """Where a booking is in its life; the store keeps the value."""

    PENDING = "pending"
    """Waiting for its time, or for a retry."""
    RUNNING = "running"
    """Claimed by a run that holds its lease."""
    CONFIRMED = "confirmed"
    FAILED = "failed"
    MISSED = "missed"
    """Its slot began before a try could book it."""
    CANCELLED = "cancelled"


class CancelAnswer(StrEnum):
    """What `Store.cancel_booking` did with a booking."""

    CANCELLED = "cancelled"
    """It was waiting, or a run held it but had not submitted it (that run stops at its
    next fenced step: before loading the form, before submitting)."""
    ALREADY = "already"
    """It was cancelled before."""
    REQUESTED = "requested"
    """A run is submitting it right now; the cancel is recorded and the run cancels it on
    the site as soon as the club confirms it."""
    ON_SITE = "on_site"
    """It is confirmed: it must be cancelled on the club's site."""
    ENDED = "ended"
    """It failed or was missed, so nothing was booked to cancel."""


class SeriesStatus(StrEnum):
    ACTIVE = "active"
    FINISHED = "finished"
    CANCELLED = "cancelled"


STATUSES = tuple(Status)
FINAL_STATUSES = (Status.CONFIRMED, Status.FAILED, Status.MISSED, Status.CANCELLED)
MAX_ROW_ID = 2**63 - 1
"""SQLite's largest integer: an id typed past it (or below 1) names no row, and SQLite
can't even be asked about it."""


def is_row_id(value: int) -> bool:
    """Whether `value` can be the id of a row (a booking, a series, a notifier)."""
    return 1 <= value <= MAX_ROW_ID


@dataclass(frozen=True)
class Club:
    id: int
    name: str
    url: str
    timezone: str
    window_days: int
    opens_at: time
    sport: int = 1
    settings: dict[str, Any] = field(default_factory=dict)
    login_url: str | None = None
    """The club's own member site, where it signs in (`--login-url`): the one other
    origin its driver may go to."""

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Club:
        return cls(
            id=row["id"],
            name=row["name"],
            url=row["url"],
            timezone=row["timezone"],
            window_days=row["window_days"],
            opens_at=time.fromisoformat(row["opens_at"]),
            sport=row["sport"],
            settings=json.loads(row["settings"] or "{}"),
            login_url=row["login_url"],
        )


@dataclass(frozen=True)
class Account:
    """A login at a club. The password is kept by `credentials`, never here."""

    id: int
    club: str
    club_id: int
    username: str
    store: str
    """Where the password is: 'keyring' or 'file'."""
    user_id: int | None = None
    """The site's id for this member, learnt from its booking form."""

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Account:
        return cls(row["id"], row["club"], row["club_id"], row["username"], row["store"],
                   row["user_id"])


@dataclass(frozen=True)
class Booking:
    id: int
    club: str
    club_id: int
    account: str | None
    day: date
    time: time
    duration: int
    courts: list[int]
    partners: list[str]
    """Members, chosen from the club's roster on the booking form."""
    type: str | None
    status: Status
    execute_at: datetime
    due_at: datetime
    slot_start: datetime
    confirmation: str | None
    court: int | None
    last_error: str | None
    attempts: int
    created_at: datetime
    lease_owner: str | None = None
    series_id: int | None = None
    or_times: list[time] = field(default_factory=list)
    any_court: bool = False
    booked_time: time | None = None
    cancel_requested: bool = False
    """The player cancelled while a run was submitting it: cancel it once confirmed."""
    keep_trying: str | None = None
    """With every court taken, keep reading the day's courts until this cut-off (a
    `keep_trying.cutoff` spec: '2h' before the slot, or '17:00'); None: fail at once."""
    watching_since: datetime | None = None
    """Since when every wanted court has been taken and the booking keeps trying."""
    checks: int = 0
    """How many times the day's courts were read for it while it kept trying."""
    site_id: str | None = None
    """The site's own id of the booking (`bkId`), apart from its confirmation number."""
    guests: list[str] = field(default_factory=list)
    """Players who aren't members: the form's guest box ticked for each."""
    booked_minutes: int | None = None
    """The length the site holds it for, as read back once it was confirmed."""

    @property
    def number(self) -> str | None:
        """What a confirmed booking goes by: its confirmation number, else the site's id."""
        return self.confirmation or (f"site id {self.site_id}" if self.site_id else None)

    @property
    def number_label(self) -> str | None:
        """`number` as the player reads it: 'confirmation 123', else 'site id 456'."""
        return f"confirmation {self.confirmation}" if self.confirmation else self.number

    @property
    def length_note(self) -> str | None:
        """What the player must be told when the site holds another length than asked."""
        return length_note(self.booked_minutes, self.duration)

    @property
    def played_time(self) -> time:
        """The time booked when one was (an `--or-time` alternative may be), else the time
        asked for."""
        return self.booked_time or self.time

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Booking:
        return cls(
            id=row["id"],
            club=row["club"],
            club_id=row["club_id"],
            account=row["account"],
            day=date.fromisoformat(row["day"]),
            time=time.fromisoformat(row["time"]),
            duration=row["duration"],
            courts=json.loads(row["courts"]),
            partners=json.loads(row["partners"]),
            type=row["type"],
            status=Status(row["status"]),
            execute_at=from_iso(row["execute_at"]),
            due_at=from_iso(row["due_at"]),
            slot_start=from_iso(row["slot_start"]),
            confirmation=row["confirmation"],
            court=row["court"],
            last_error=row["last_error"],
            attempts=row["attempts"],
            created_at=from_iso(row["created_at"]),
            lease_owner=row["lease_owner"],
            series_id=row["series_id"],
            or_times=[time.fromisoformat(t) for t in json.loads(row["or_times"] or "[]")],
            any_court=bool(row["any_court"]),
            booked_time=time.fromisoformat(row["booked_time"]) if row["booked_time"] else None,
            cancel_requested=bool(row["cancel_requested_at"]),
            keep_trying=row["keep_trying"],
            watching_since=from_iso(row["watching_since"]) if row["watching_since"] else None,
            checks=row["checks"] or 0,
            site_id=row["site_id"],
            booked_minutes=row["booked_minutes"],
            guests=json.loads(row["guests"] or "[]"),
        )


@dataclass(frozen=True)
class Attempt:
    id: int
    booking_id: int
    number: int
    started_at: datetime
    finished_at: datetime | None
    outcome: str | None
    court: int | None
    confirmation: str | None
    error: str | None
    artifacts: list[str] = field(default_factory=list)
    submitted_at: datetime | None = None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Attempt:
        return cls(
            id=row["id"],
            booking_id=row["booking_id"],
            number=row["number"],
            started_at=from_iso(row["started_at"]),
            finished_at=from_iso(row["finished_at"]) if row["finished_at"] else None,
            outcome=row["outcome"],
            court=row["court"],
            confirmation=row["confirmation"],
            error=row["error"],
            artifacts=json.loads(row["artifacts"]) if row["artifacts"] else [],
            submitted_at=from_iso(row["submitted_at"]) if row["submitted_at"] else None,
        )


@dataclass(frozen=True)
class Series:
    """A recurring booking: its rule, in the club's zone, and how far it has come."""

    id: int
    club: str
    club_id: int
    account: str | None
    freq: str
    first_day: date
    until_day: date | None
    count: int | None
    time: time
    duration: int
    courts: list[int]
    partners: list[str]
    type: str | None
    status: SeriesStatus
    last_day: date | None
    next_at: datetime | None
    notes: list[str]
    or_times: list[str] = field(default_factory=list)
    any_court: bool = False
    keep_trying: str | None = None
    """Each game's cut-off for keeping trying (see Booking.keep_trying)."""
    guests: list[str] = field(default_factory=list)

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Series:
        return cls(
            id=row["id"], club=row["club"], club_id=row["club_id"], account=row["account"],
            freq=row["freq"], first_day=date.fromisoformat(row["first_day"]),
            until_day=date.fromisoformat(row["until_day"]) if row["until_day"] else None,
            count=row["count"], time=time.fromisoformat(row["time"]),
            duration=row["duration"], courts=json.loads(row["courts"]),
            partners=json.loads(row["partners"]), type=row["type"],
            status=SeriesStatus(row["status"]),
            last_day=date.fromisoformat(row["last_day"]) if row["last_day"] else None,
            next_at=from_iso(row["next_at"]) if row["next_at"] else None,
            notes=json.loads(row["notes"] or "[]"),
            or_times=json.loads(row["or_times"] or "[]"), any_court=bool(row["any_court"]),
            keep_trying=row["keep_trying"], guests=json.loads(row["guests"] or "[]"),
        )
