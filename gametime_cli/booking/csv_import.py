"""`gametime import FILE.csv`: many bookings at once, all or none.

Columns (a header row names them; order is free): `date`, `time`, `club` (required);
`duration`, `courts` and `or_times` (separated by `;`), `partners` (members, `;`),
`guests` (`;`), `type`, `account`, `any_court` (yes/no). A bad row is reported by its
line number and nothing from the file is booked.
"""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

from gametime_cli.booking.request import create_booking
from gametime_cli.errors import BadInput
from gametime_cli.models import Booking
from gametime_cli.store import Store

REQUIRED = ("date", "time", "club")
KNOWN = (*REQUIRED, "duration", "courts", "partners", "guests", "type", "account",
         "or_times", "any_court")
MAX_ROWS = 1000


def _split(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(";") if part.strip()]


def _row_to_request(row: dict[str, str | None]) -> dict[str, object]:
    try:
        courts = [int(c) for c in _split(row.get("courts"))]
        duration = int(row.get("duration") or 60)
    except ValueError:
        raise BadInput("duration and courts must be numbers") from None
    any_court = (row.get("any_court") or "no").strip().lower()
    if any_court not in ("yes", "no", "true", "false", "1", "0", ""):
        raise BadInput(f"any_court {any_court!r} must be yes or no")
    return dict(
        club_name=(row.get("club") or "").strip(), day_text=row.get("date") or "",
        time_text=row.get("time") or "", duration=duration, courts=courts,
        partners=_split(row.get("partners")), guests=_split(row.get("guests")),
        booking_type=(row.get("type") or None),
        account=(row.get("account") or None), or_times=_split(row.get("or_times")),
        any_court=any_court in ("yes", "true", "1"),
    )


def import_bookings(store: Store, path: Path, now: datetime) -> list[Booking]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"cannot read {path}: {exc}") from None
    reader = csv.DictReader(text.splitlines())
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in REQUIRED if c not in header]
    unknown = [c for c in header if c not in KNOWN]
    if missing or unknown:
        raise BadInput(f"{path}: the header needs {', '.join(REQUIRED)}"
                       + (f"; missing {', '.join(missing)}" if missing else "")
                       + (f"; unknown column {unknown[0]!r}" if unknown else ""))
    reader.fieldnames = header
    from gametime_cli.run.keep_trying import spec_for
    from gametime_cli.settings import Settings

    keep_trying = spec_for(Settings(store.settings()))  # the setting, as `book` has it
    made: list[Booking] = []
    with store.transaction():
        for row in reader:
            line = reader.line_num
            if len(made) >= MAX_ROWS:
                raise BadInput(f"{path}: more than {MAX_ROWS} rows; split the file")
            if None in row:
                raise BadInput(f"{path} line {line}: more fields than the header has")
            try:
                made.append(create_booking(store, now=now, keep_trying=keep_trying,
                                           **_row_to_request(row)))
            except BadInput as exc:
                raise BadInput(f"{path} line {line}: {exc}; nothing was booked") from None
    return made
