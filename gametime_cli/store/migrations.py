"""The schema, as sqlite-utils migrations: add one per change, never edit a landed one."""

from __future__ import annotations

from sqlite_utils import Database, Migrations

migrations = Migrations("gametime-cli")


@migrations()
def m001_clubs_bookings_attempts(db: Database) -> None:
    db["clubs"].create(
        {
            "id": int,
            "name": str,
            "url": str,
            "timezone": str,
            "window_days": int,
            "opens_at": str,
            "sport": int,
            "settings": str,
            "created_at": str,
        },
        pk="id",
        not_null={"name", "url", "timezone", "window_days", "opens_at", "sport"},
        defaults={"settings": "{}", "sport": 1},
    )
    db.execute("CREATE UNIQUE INDEX clubs_name ON clubs(name COLLATE NOCASE)")
    db["bookings"].create(
        {
            "id": int,
            "club_id": int,
            "account": str,
            "day": str,
            "time": str,
            "duration": int,
            "courts": str,
            "partners": str,
            "type": str,
            "status": str,
            "execute_at": str,
            "due_at": str,
            "slot_start": str,
            "confirmation": str,
            "court": int,
            "last_error": str,
            "lease_owner": str,
            "lease_expires": str,
            "created_at": str,
            "updated_at": str,
        },
        pk="id",
        foreign_keys=[("club_id", "clubs", "id")],
        not_null={"club_id", "day", "time", "duration", "status", "execute_at", "due_at"},
        defaults={"courts": "[]", "partners": "[]", "status": "pending"},
    )
    db["bookings"].create_index(["status", "due_at"], index_name="bookings_due")
    db["bookings"].create_index(["club_id", "day", "time"], index_name="bookings_slot")
    db["attempts"].create(
        {
            "id": int,
            "booking_id": int,
            "number": int,
            "owner": str,
            "started_at": str,
            "finished_at": str,
            "outcome": str,
            "court": int,
            "confirmation": str,
            "error": str,
        },
        pk="id",
        foreign_keys=[("booking_id", "bookings", "id")],
        not_null={"booking_id", "number", "started_at"},
    )
    db["attempts"].create_index(["booking_id", "number"], index_name="attempts_booking")
    db["settings"].create({"key": str, "value": str}, pk="key")


@migrations()
def m002_accounts(db: Database) -> None:
    """Who logs in at each club, and where the password is kept (never the password)."""
    db["accounts"].create(
        {"id": int, "club_id": int, "username": str, "store": str, "created_at": str},
        pk="id",
        foreign_keys=[("club_id", "clubs", "id")],
        not_null={"club_id", "username", "store"},
    )
    db["accounts"].create_index(["club_id", "username"], unique=True,
                                index_name="accounts_club_username")


@migrations()
def m003_artifacts_and_user_ids(db: Database) -> None:
    """Screenshots and pages kept from failed attempts; the site's id for each account."""
    db["attempts"].add_column("artifacts", str)
    db["accounts"].add_column("user_id", int)


@migrations()
def m004_submitted_and_checked(db: Database) -> None:
    """When an attempt clicked submit, and when the site was last checked for the
    booking: a submit without a confirmation since the last check means the site must
    be asked before booking again."""
    db["attempts"].add_column("submitted_at", str)
    db["bookings"].add_column("checked_at", str)


@migrations()
def m005_series(db: Database) -> None:
    """Recurring bookings: a rule in the club's zone; each occurrence becomes an ordinary
    booking (with series_id) once its window is near."""
    db["series"].create(
        {
            "id": int, "club_id": int, "account": str, "freq": str, "first_day": str,
            "until_day": str, "count": int, "time": str, "duration": int, "courts": str,
            "partners": str, "type": str, "status": str, "last_day": str,
            "next_at": str, "notes": str, "created_at": str,
        },
        pk="id",
        foreign_keys=[("club_id", "clubs", "id")],
        not_null={"club_id", "freq", "first_day", "time", "duration", "status"},
        defaults={"status": "active", "notes": "[]", "courts": "[]", "partners": "[]"},
    )
    db["series"].create_index(["status", "next_at"], index_name="series_due")
    db["bookings"].add_column("series_id", int)


@migrations()
def m006_notifiers(db: Database) -> None:
    """Where results are announced: apprise URLs (they may hold tokens; the file is 0600)."""
    db["notifiers"].create({"id": int, "url": str, "created_at": str}, pk="id",
                           not_null={"url"})


@migrations()
def m007_alternatives(db: Database) -> None:
    """Other times to try after every court at the first, any free court after the
    preferred ones, and which time was booked."""
    for table in ("bookings", "series"):
        db[table].add_column("or_times", str, not_null_default="[]")
        db[table].add_column("any_court", int, not_null_default=0)
    db["bookings"].add_column("booked_time", str)


@migrations()
def m008_cancel_requests(db: Database) -> None:
    """A cancel asked for while a run was submitting the booking: the run cancels it on
    the site once the club confirms it. And which submitted attempt the site was last
    checked after, by attempt id (a sequence), not by the wall clock, which can step back."""
    db["bookings"].add_column("cancel_requested_at", str)
    db["bookings"].add_column("checked_attempt", int)
    db.execute(
        "UPDATE bookings SET checked_attempt = (SELECT MAX(a.id) FROM attempts a"
        " WHERE a.booking_id = bookings.id AND a.submitted_at IS NOT NULL"
        " AND a.submitted_at <= bookings.checked_at) WHERE checked_at IS NOT NULL"
    )


@migrations()
def m009_login_url(db: Database) -> None:
    """A club's own member site, where it signs in: the one other origin its driver may
    go to, when the player names it."""
    db["clubs"].add_column("login_url", str)


@migrations()
def m010_club_offers(db: Database) -> None:
    """Each club's courts as last read (numbers and site ids), its slot times when the
    site lists them, and the durations its booking form offered, by booking type."""
    db["club_offers"].create(
        {"club_id": int, "courts": str, "slots": str, "durations": str, "read_at": str,
         "durations_read_at": str},
        pk="club_id",
        foreign_keys=[("club_id", "clubs", "id")],
        not_null={"courts", "durations"},
        defaults={"courts": "[]", "durations": "{}"},
    )


@migrations()
def m011_slot_order(db: Database) -> None:
    """`list` picks and counts bookings by their slot's start, over histories of
    100,000 bookings: an index for that order."""
    db["bookings"].create_index(["slot_start", "id"], index_name="bookings_slot_start")


@migrations()
def m012_keep_trying(db: Database) -> None:
    """Bookings (and series) that keep trying while every court is taken: the cut-off,
    since when they watch, and how many times they read the day's courts."""
    db["bookings"].add_column("keep_trying", str)
    db["bookings"].add_column("watching_since", str)
    db["bookings"].add_column("checks", int, not_null_default=0)
    db["series"].add_column("keep_trying", str)


@migrations()
def m013_two_numbers(db: Database) -> None:
    """A booking's two numbers kept apart: the confirmation number (already kept) and the
    site's own id (`bkId`); and the length the site holds it for, as read back."""
    db["bookings"].add_column("site_id", str)
    db["bookings"].add_column("booked_minutes", int)


@migrations()
def m014_guests(db: Database) -> None:
    """Guests kept apart from the partners, who are members chosen from the club's
    roster: the booking form ticks a guest's box instead."""
    for table in ("bookings", "series"):
        db[table].add_column("guests", str, not_null_default="[]")


@migrations()
def m015_form_boxes(db: Database) -> None:
    """The words of the boxes a club's booking form asks the player to tick (a waiver),
    as last seen: what `club set --accept-waiver` shows before the player agrees."""
    db["club_offers"].add_column("boxes", str, not_null_default="[]")


SCHEMA_VERSION = len(migrations._migrations)
