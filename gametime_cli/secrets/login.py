"""`login`'s work, without the prompts: check the username and where to keep the
password, check them with the club's site (reading what it serves on the way), then keep
the password and the account. The CLI asks for what is missing and says what was done."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from gametime_cli.errors import BadInput
from gametime_cli.secrets import credentials

if TYPE_CHECKING:
    from gametime_cli.booking.offer import ClubOffer
    from gametime_cli.models import Club
    from gametime_cli.store import Store


def check_store_kind(where: str) -> None:
    """BadInput unless `where` is a place a password can be kept."""
    if where not in credentials.STORES:
        raise BadInput(f"--store {where!r} is not known; use keyring or file")


def clean_username(username: str) -> str:
    """The username without surrounding spaces; BadInput if it can't be one."""
    username = username.strip()
    if not username or len(username) > 100 or any(ord(c) < 32 for c in username):
        raise BadInput("the username must be 1 to 100 printable characters")
    return username


@dataclass(frozen=True)
class LoggedIn:
    """What `log_in` kept: where the password went, and what the club serves (None
    unless checked with the site and read there)."""

    club: Club
    username: str
    saved: credentials.Saved
    offer: ClubOffer | None


def log_in(store: Store, club: Club, username: str, secret: credentials.Secret, home: Path,
           clock: Callable[[], datetime], *, where: str = "keyring", verify: bool = True,
           headed: bool = False) -> LoggedIn:
    """Check the login with the club's site (unless not `verify`; exit 3 if it refuses),
    then keep the password (`where` preferred) and the account, forgetting the password
    kept elsewhere for the same account before."""
    offer = None
    if verify:
        from gametime_cli.settings import Settings
        from gametime_cli.sites import verify_login
        from gametime_cli.sites.base import Login

        offer = verify_login(club, Login(username, secret), Settings(store.settings()),
                             home, headed, read_day=clock().astimezone(club.zone).date())
    previous = next((a for a in store.accounts(club) if a.username == username), None)
    saved = credentials.save(home, club.name, username, secret, prefer=where)
    store.save_account(club, username, saved.store, clock())
    if offer is not None:
        store.remember_offer(club.id, offer, clock())
    if previous is not None and previous.store != saved.store:
        credentials.forget(home, previous)
    return LoggedIn(club, username, saved, offer)


def cron_problem(home: Path, club: Club, username: str) -> str | None:
    """Why cron couldn't read the account's password, or None if it could."""
    return credentials.check_from_cron(home, club.name).get(
        (club.name, username), "the cron-like check did not find it"
    )
