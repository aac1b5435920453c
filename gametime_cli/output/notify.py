"""Telling the player: apprise notifications and an `--on-result` command, on each
confirmed, failed or missed booking. A notice that fails is logged, never more: it
cannot change the booking's outcome."""

from __future__ import annotations

import logging
import subprocess
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gametime_cli.errors import BadInput, EnvironmentProblem
from gametime_cli.models import Status
from gametime_cli.secrets.environment import child_environment

if TYPE_CHECKING:
    from gametime_cli.models import Club
    from gametime_cli.settings import Settings
    from gametime_cli.store import Store

ANNOUNCED = (Status.CONFIRMED, Status.FAILED, Status.MISSED)
COMMAND_TIMEOUT = 30
APPRISE_MISSING = "notifications need apprise: pip install 'gametime-cli[notify]'"

log = logging.getLogger("gametime")


def _apprise() -> Any:
    try:
        import apprise
    except ImportError:
        raise EnvironmentProblem(APPRISE_MISSING) from None
    return apprise


def check_url(url: str) -> None:
    if not _apprise().Apprise().add(url):
        raise BadInput(f"{url!r} is not a notification URL apprise knows "
                       "(e.g. tgram://TOKEN/CHAT, mailto://…, json://host/path)")


@dataclass(frozen=True)
class Message:
    title: str
    body: str
    attachment: str | None
    env: dict[str, str]


def message_for(result: Any) -> Message:
    b = result.booking
    slot = f"{b.club} {b.day.strftime('%a %d %b')} {b.played_time.strftime('%H:%M')}"
    if b.status == Status.CONFIRMED:
        title = (f"Court freed and booked: {slot}" if b.watching_since
                 else f"Court booked: {slot}")
        body = f"Court {b.court}, {b.number_label or 'no confirmation number'}."
        if b.length_note:
            body += f" The site {b.length_note}."
    else:
        title = f"Booking {b.status}: {slot}"
        body = f"{b.last_error or result.error or 'no reason given'}"
    note = getattr(result, "note", None)
    if note:
        body += f" Note: {note}."
    pictures = [p for p in getattr(result, "artifacts", ()) if p.endswith(".png")]
    env = {
        "GAMETIME_BOOKING_ID": str(b.id), "GAMETIME_STATUS": b.status,
        "GAMETIME_CLUB": b.club, "GAMETIME_DATE": b.day.isoformat(),
        "GAMETIME_TIME": b.played_time.strftime("%H:%M"),
        "GAMETIME_ASKED_TIME": b.time.strftime("%H:%M"), "GAMETIME_COURT": str(b.court or ""),
        "GAMETIME_CONFIRMATION": b.confirmation or "",
        "GAMETIME_SITE_ID": b.site_id or "",
        "GAMETIME_BOOKED_MINUTES": str(b.booked_minutes or ""),
        "GAMETIME_LENGTH_NOTE": b.length_note or "",
        "GAMETIME_ERROR": "" if b.status == Status.CONFIRMED else body,
    }
    return Message(title, body, pictures[0] if pictures else None, env)


class Announcer:
    """Built in the run's main thread (it reads the store); `announce` may be called
    from any thread."""

    def __init__(self, urls: list[str], command: str | None,
                 clubs: dict[str, Club] | None = None, games: Path | None = None):
        self.urls = urls
        self.command = command or None
        self.clubs = clubs or {}
        self.games = games
        """Where a confirmed game's .ics is written, to attach it to its notice."""

    @classmethod
    def for_store(cls, store: Store, settings: Settings, command: str | None = None
                  ) -> Announcer:
        """The data home's announcer: its notifiers, `command` (default: the
        `on_result` setting), its clubs and its games folder."""
        from gametime_cli import paths

        return cls([url for _, url in store.notifiers()],
                   command if command is not None else settings.on_result,
                   clubs={club.name: club for club in store.list_clubs()},
                   games=store.path.parent / paths.GAMES_DIR)

    def announce(self, result: Any) -> None:
        if result.booking.status not in ANNOUNCED:
            return
        message = message_for(result)
        if self.urls:
            if result.booking.status == Status.CONFIRMED:
                message = replace(message, attachment=self._game_file(result.booking))
            self._send(message)
        if self.command:
            self._run(message)

    def _game_file(self, booking: Any) -> str | None:
        """The confirmed game as an .ics of its own (the club's zone, its UID as in
        `gametime calendar`), for the notice; None if it can't be written."""
        club = self.clubs.get(booking.club)
        if self.games is None or club is None:
            return None
        from gametime_cli.clock import utcnow
        from gametime_cli.output.calendar import build
        from gametime_cli.paths import ensure_private_dir, write_private

        try:
            ensure_private_dir(self.games)
            path = self.games / f"game-{booking.id}.ics"
            write_private(path, build([booking], {club.name: club}, utcnow()))
        except Exception as exc:  # the notice goes without it
            log.warning("could not write the game's calendar file: %s", exc)
            return None
        return str(path)

    def _send(self, message: Message) -> None:
        try:
            apprise = _apprise()
            hub = apprise.Apprise()
            for url in self.urls:
                hub.add(url)
            sent = hub.notify(title=message.title, body=message.body,
                              attach=message.attachment)
            if not sent:
                log.warning("a notification could not be sent (%s)", message.title)
        except Exception as exc:
            log.warning("notifications failed: %s", exc)

    def _run(self, message: Message) -> None:
        try:
            done = subprocess.run(self.command, shell=True,
                                  env=child_environment(message.env),
                                  timeout=COMMAND_TIMEOUT, capture_output=True)
            if done.returncode:
                log.warning("the on-result command exited %s", done.returncode)
        except (OSError, subprocess.TimeoutExpired) as exc:
            log.warning("the on-result command failed: %s", exc)
