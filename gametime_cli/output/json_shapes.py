"""The JSON objects scripts read (the booking's own is in `booking_json`)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from gametime_cli.clock import to_iso
from gametime_cli.models import Account, Attempt, Club, Series, Status
from gametime_cli.output.booking_json import booking_json as booking_json

if TYPE_CHECKING:
    from gametime_cli.run.result import RunReport
    from gametime_cli.sites.base import CourtDay, SiteBooking


RUN_JSON_VERSION = 1


def attempt_json(attempt: Attempt) -> dict[str, Any]:
    return {
        "number": attempt.number,
        "started_at": to_iso(attempt.started_at),
        "finished_at": to_iso(attempt.finished_at) if attempt.finished_at else None,
        "submitted_at": to_iso(attempt.submitted_at) if attempt.submitted_at else None,
        "outcome": attempt.outcome,
        "court": attempt.court,
        "confirmation": attempt.confirmation,
        "error": attempt.error,
        "artifacts": attempt.artifacts,
    }


def club_json(club: Club) -> dict[str, Any]:
    return {
        "name": club.name,
        "url": club.url,
        "timezone": club.timezone,
        "window_days": club.window_days,
        "opens_at": club.opens_at.isoformat(),
        "sport": club.sport,
        "login_url": club.login_url,
    }


def empty_run_json(dry_run: bool = False) -> dict[str, Any]:
    return {"version": RUN_JSON_VERSION, "dry_run": dry_run, "exit_code": 0, "bookings": []}


def account_json(account: Account) -> dict[str, Any]:
    return {"club": account.club, "username": account.username, "store": account.store}


def check_json(account: Account, now_error: str | None, cron_error: str | None,
               cron_checked: bool) -> dict[str, Any]:
    return {
        **account_json(account),
        "now": {"ok": now_error is None, "error": now_error},
        "cron": {"ok": (cron_error is None) if cron_checked else None, "error": cron_error},
    }


def run_json(report: RunReport) -> dict[str, Any]:
    return {
        "version": RUN_JSON_VERSION,
        "dry_run": report.dry_run,
        "exit_code": int(report.exit_code),
        "bookings": [run_json_entry(r) for r in report.results],
    }


def run_json_entry(result: Any) -> dict[str, Any]:
    b = result.booking
    return {
        "id": b.id,
        "club": b.club,
        "date": b.day.isoformat(),
        "time": b.time.strftime("%H:%M"),
        "booked_time": b.booked_time.strftime("%H:%M") if b.booked_time else None,
        "court": b.court,
        "status": b.status,
        "outcome": result.outcome,
        "confirmation": b.confirmation,
        "site_id": b.site_id,
        "booked_minutes": b.booked_minutes,
        "length_note": b.length_note,
        "error": result.error,
        "attempts": b.attempts,
        "next_try_at": to_iso(b.due_at) if b.status == Status.PENDING else None,
    }


def series_json(series: Series) -> dict[str, Any]:
    return {
        "id": series.id, "club": series.club, "account": series.account,
        "every": series.freq, "first_date": series.first_day.isoformat(),
        "until": series.until_day.isoformat() if series.until_day else None,
        "count": series.count, "time": series.time.strftime("%H:%M"),
        "duration": series.duration, "courts": series.courts, "partners": series.partners,
        "guests": series.guests,
        "type": series.type, "status": series.status, "notes": series.notes,
        "next_booking_made_at": to_iso(series.next_at) if series.next_at else None,
        "keep_trying_until": series.keep_trying,
    }


def is_ours(booking: SiteBooking, ours: set[str], user_id: int | None) -> bool:
    """The member's own: by user id, or one of its two numbers among the member's."""
    return bool(booking.numbers & ours) or booking.is_ours(user_id)


def courts_json(club: str, day: date, courts: list[CourtDay], ours: set[str],
                user_id: int | None) -> dict[str, Any]:
    return {
        "club": club,
        "date": day.isoformat(),
        "courts": [
            {
                "number": c.number, "id": c.court_id, "name": c.name,
                "bookings": [
                    {"time": f"{b.start // 60:02d}:{b.start % 60:02d}", "duration": b.duration,
                     "id": b.booking_id, "confirmation": b.confirmation,
                     "ours": is_ours(b, ours, user_id),
                     "players": [name for name, _ in b.players]}
                    for b in c.bookings
                ],
            }
            for c in courts
        ],
    }
