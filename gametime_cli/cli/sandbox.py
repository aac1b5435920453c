"""`gametime sandbox`: serve the GameTime-like sandbox site on loopback until stopped."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import typer

from gametime_cli.errors import BadInput

if TYPE_CHECKING:
    from gametime_cli.sandbox import SandboxUser

FIRST_USER_ID = 4411


def parse_users(text: str) -> list[SandboxUser]:
    """`jo:secret,sam:pw2` -> users 4411, 4412, ... named "Jo, Test", "Sam, Test"."""
    from gametime_cli.sandbox import SandboxUser

    users: list[SandboxUser] = []
    for index, item in enumerate(part.strip() for part in text.split(",")):
        username, colon, password = item.partition(":")
        if not colon or not username or not password:
            raise BadInput(f"--users: {item!r} is not name:password; write e.g. jo:secret,sam:pw2")
        if any(user.username == username for user in users):
            raise BadInput(f"--users: {username!r} is given twice")
        users.append(SandboxUser(username, password, FIRST_USER_ID + index,
                                 f"{username.capitalize()}, Test"))
    return users


def _stop_on_signals() -> threading.Event:
    """An event set by SIGINT or SIGTERM."""
    import signal

    stopping = threading.Event()

    def handler(signum: int, frame: object) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)
    return stopping


def sandbox(
    port: int = typer.Option(0, "--port", metavar="N", min=0, max=65535,
                             help="Port on 127.0.0.1 (0: any free port)."),
    users: str = typer.Option("member:secret", "--users", metavar="TEXT",
                              help="Accounts as name:password, comma-separated."),
    window_days: int = typer.Option(6, "--window-days", metavar="N", min=0, max=365,
                                    help="Days ahead a day opens for booking."),
    opens_at: str = typer.Option("09:00", "--opens-at", metavar="TEXT",
                                 help="Local time (HH:MM[:SS]) the window opens."),
    timezone: str = typer.Option("America/Toronto", "--timezone", metavar="TEXT",
                                 help="The club's time zone."),
    courts: int = typer.Option(6, "--courts", metavar="N", min=1, max=99, help="Number of courts."),
    delay: float = typer.Option(0.0, "--delay", metavar="NUMBER", min=0, max=60,
                                help="Seconds every response waits."),
    latency: float = typer.Option(0.0, "--latency", min=0, max=5000, metavar="MS",
                                  help="Milliseconds each way between us and the site "
                                  "(the Date header is stamped when a request is handled)."),
    jitter: float = typer.Option(0.0, "--jitter", min=0, max=5000, metavar="MS",
                                 help="Milliseconds each way's delay varies by, either side."),
    nagle: bool = typer.Option(False, "--nagle",
                               help="Send headers and body in two writes without "
                               "TCP_NODELAY, as Python's http.server does (Nagle and "
                               "delayed ACKs hold the body about 40 ms)."),
    save_500: float = typer.Option(0.0, "--save-500", metavar="NUMBER", min=0, max=1,
                                   help="Fraction of saves that answer HTTP 500."),
    clock_offset: float = typer.Option(0.0, "--clock-offset", metavar="NUMBER",
                                       help="Seconds the site's clock runs ahead (negative: "
                                       "behind)."),
    hold_seconds: float = typer.Option(300.0, "--hold-seconds", metavar="NUMBER", min=0.1,
                                       max=86400, help="Seconds a booking form holds its slot."),
    holds_per_session: bool = typer.Option(
        False, "--holds-per-session",
        help="A hold belongs to the browser session that took it: a member's own hold "
        "from a killed run blocks that member too until it lapses."),
    no_member_id: bool = typer.Option(
        False, "--no-member-id", help="The booking form leaves out the member's id."),
    save_answer_delay: float = typer.Option(
        0.0, "--save-answer-delay", metavar="NUMBER", min=0, max=600,
        help="Seconds a save waits, after booking, before it answers."),
    seed: int | None = typer.Option(None, "--seed", metavar="N",
                                    help="Seed for ids and injected faults."),
    no_bot_check: bool = typer.Option(
        False, "--no-bot-check",
        help="Turn off the reCAPTCHA stand-in's scoring: any valid token books, whatever "
        "browser or HTTP client sent it (for trying things by hand). On by default, as "
        "at the live club: headless or scripted browsers and HTTP libraries are refused."),
    simple: bool = typer.Option(
        False, "--simple",
        help="The older, simpler booking form instead of the site as recorded: bare "
        "partner names, no waiver, a hold that doesn't follow the form, one number per "
        "booking, a one-step cancel, its scripts inline, the older day's JSON and error "
        "pages."),
    hold_update_delay: float = typer.Option(
        0.25, "--hold-update-delay", metavar="NUMBER", min=0, max=60,
        help="Seconds the site takes to update a hold when the form's type or duration "
        "changes."),
) -> None:
    """Serve a GameTime-like club site on 127.0.0.1 for trying the tool out; Ctrl-C stops it."""
    from gametime_cli.booking.windows import parse_opens_at, parse_zone
    from gametime_cli.sandbox import SandboxConfig, SandboxSite

    make = SandboxConfig.simple if simple else SandboxConfig.as_recorded
    config = make(
        users=parse_users(users), courts=courts, timezone=parse_zone(timezone).key,
        window_days=window_days, opens_at=parse_opens_at(opens_at), hold_seconds=hold_seconds,
        delay=delay, latency=latency / 1000, jitter=jitter / 1000, nagle=nagle,
        save_500=save_500, clock_offset=clock_offset, seed=seed,
        holds_per_session=holds_per_session, form_user_id=not no_member_id,
        save_answer_delay=save_answer_delay, on_request=_log_request,
        bot_check=not no_bot_check, hold_update_delay=hold_update_delay,
    )
    site = SandboxSite(config)
    stopping = _stop_on_signals()
    try:
        url = site.start(port=port)
    except OSError as exc:
        raise BadInput(f"cannot serve on 127.0.0.1:{port}: {exc.strerror or exc}") from None
    try:
        names = ", ".join(user.username for user in config.users)
        print(f"sandbox: serving {url} (users: {names})", flush=True)
        if site.asset_base_url:
            print(f"sandbox: its pages' scripts come from {site.asset_base_url}", flush=True)
        while not stopping.wait(0.5):
            pass
    finally:
        site.stop()


def _log_request(record: dict) -> None:
    """The access log: one line a request, with the site's clock (its day's JSON reads
    among them, to count a client's polling)."""
    from datetime import UTC, datetime

    at = datetime.fromtimestamp(record["at"], UTC).strftime("%H:%M:%S.%f")[:-3]
    print(f"sandbox: {at} {record['method']} {record['path']} {record['status']}", flush=True)


def register(app: typer.Typer) -> None:
    app.command("sandbox")(sandbox)
