"""The sandbox site's state and rules: accounts, courts, bookings, holds, reCAPTCHA tokens,
its clock, its records.

Nothing here speaks HTTP: the server turns requests into calls on `SiteState` and turns
the answers into pages. Every public method takes the one lock, so tests may read and
change the state while the server runs. A token's flags come from `botcheck.judge`;
the state keeps the tokens, spends them and refuses the saves of bots (see `_verdict`).
"""

from __future__ import annotations

import hashlib
import hmac
import random
import re
import secrets
import string
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from enum import Enum
from types import MappingProxyType
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from gametime_cli.sandbox import botcheck
from gametime_cli.sandbox.botcheck import TokenAsk

SLOT_MINUTES = 30
"""The grid's step: a slot is half an hour, as on GameTime's court viewer."""
DAY_MINUTES = 24 * 60

HOLD_EXPIRED = "Your hold on this court has expired. Please start again."
FORM_MISMATCH = "The booking form does not match your hold. Please start again."
NOT_VALIDATED = "We could not validate your booking. Please try again."
"""What the bookerror page says to a session whose save the bot check refused."""
NO_TYPE = "Please choose a booking type."
NO_DURATION = "Please choose a duration."
HOLD_UPDATED = "Your temporary booking has been updated."
"""A hold update's `msg` when it was applied."""
LATER_UPDATE = "A later update of this booking was applied."
"""A hold update's `msg` when a later one (by arrival) was applied first."""
ALREADY_BOOKED = "This court is already booked at this time."
NOT_FREE_FOR_DURATION = "The court is not free for the whole duration."
PAST_CLOSING = "This booking would run past the last slot of the day."
INJECTED_500 = "HTTP 500 (injected fault)"
NOT_LOGGED_IN = "not logged in"
HELD_BY_ANOTHER = "Another member is currently booking this court. Please try again later."
"""A slot another member holds: the not-available page, or the bookerror page's words."""
BOOKED_NOT_AVAILABLE = ALREADY_BOOKED
"""The not-available page of a booked slot, without `bookerror_words`."""
NO_LONGER_AVAILABLE = "This court is no longer available."
"""The bookerror page's words for a booked slot (`bookerror_words`)."""
PLEASE_WAIT = "Please wait"
"""The bookerror page's words for a window not open yet (`bookerror_words`), followed by
`TIME_LABEL` and the countdown."""
TIME_LABEL = "Time:"
NOT_AVAILABLE = "This booking is not available."
"""The bookerror page's words when the session was refused nothing (`bookerror_words`)."""
NO_WAIVER = "You must accept the waiver to book."
"""A save without `bookingWaiverPolicy=true` (`waiver`)."""
CANCEL_NOT_CONFIRMED = "Please confirm that you want to cancel this booking."
"""A cancel posted without the dialog's `confirmed=1` (`cancel_steps=2`)."""
ROSTER_MIN_QUERY = 2
"""The roster search answers nothing for a shorter query (`roster`)."""
ROSTER_RESULTS = 10
"""The roster search answers at most this many members."""
TICKET_KEY = b"gametime-sandbox-member-site"
"""What a member site signs its tickets with, and its club checks them by."""


@dataclass
class SandboxUser:
    username: str
    password: str
    user_id: int
    """GameTime's user id: the `u` of the day's JSON."""
    name: str
    """Display name, "Smith, Jane" style."""


def _default_users() -> list[SandboxUser]:
    return [SandboxUser("member", "secret", 4411, "Member, Test")]


@dataclass(frozen=True)
class RosterMember:
    """A club member a partner may be chosen as (`roster`): not an account of the site."""

    name: str
    """"Last, First", as the roster search answers it."""
    user_id: int


def _default_roster() -> list[RosterMember]:
    return [RosterMember("Smith, Jane", 4512), RosterMember("Lee, Sam", 4513),
            RosterMember("Nguyen, Ann", 4514), RosterMember("Garcia, Luis", 4515)]


RECORDED: Mapping[str, Any] = MappingProxyType({
    "hold_follows_form": True, "bookerror_words": True, "two_numbers": True,
    "cancel_steps": 2, "scripts_elsewhere": True, "roster": True, "waiver": True,
    "json_as_recorded": True,
})
"""The knobs of the site as gametime-site.md records it, each with its recorded value:
the defaults."""
SIMPLE: Mapping[str, Any] = MappingProxyType({
    "hold_follows_form": False, "bookerror_words": False, "two_numbers": False,
    "cancel_steps": 1, "scripts_elsewhere": False, "roster": False, "waiver": False,
    "json_as_recorded": False,
})
"""The older, simpler site the sandbox was first: `SandboxConfig.simple()`, for tests
that need one of its forms."""


@dataclass
class SandboxConfig:
    users: list[SandboxUser] = field(default_factory=_default_users)
    courts: int = 6
    sport: int = 1
    timezone: str = "America/Toronto"
    window_days: int = 6
    opens_at: clock_time = clock_time(9, 0)
    hold_seconds: float = 300.0
    holds_per_session: bool = False
    """A hold belongs to the session that took it, as some sites keep them: a member's
    own hold from an earlier session (a run killed after loading the form) then blocks
    that member too, as if another member held the court, until it lapses."""
    form_user_id: bool = True
    """The booking form carries the member's id (`players[1][user_id]`); some don't."""
    delay: float = 0.0
    """Seconds every response waits before it is handled."""
    latency: float = 0.0
    """Seconds each way between the client and the site: a request is handled (and its
    `Date` stamped) this long after it came in, and its answer leaves this long after."""
    jitter: float = 0.0
    """Each way's delay varies uniformly by up to this many seconds either side."""
    nagle: bool = False
    """Answer as Python's http.server does: headers and body in two writes, without
    TCP_NODELAY, so Nagle's algorithm holds the body until the client acknowledges the
    headers (a delayed ACK: about 40 ms). Otherwise one write, sent at once."""
    save_500: float = 0.0
    """Fraction of saves answered with HTTP 500 (drawn from the seeded generator)."""
    save_answer_delay: float = 0.0
    """Seconds a save waits, after it has booked, before it answers: the client is left
    not knowing whether its booking went through."""
    clock_offset: float = 0.0
    """The site's clock runs this many seconds ahead of the local one (negative: behind)."""
    booking_types: dict[str, int] = field(default_factory=lambda: {"Singles": 13, "Doubles": 1})
    durations: list[int] = field(default_factory=lambda: [30, 60, 90, 120])
    first_slot: int = 360
    """Minutes since midnight of the day's first slot (06:00)."""
    last_slot: int = 1380
    """Minutes since midnight of the day's last slot (23:00); bookings end by its end."""
    slot_times: bool = True
    """The day's JSON lists the slot times (`t`, minutes since midnight), as some
    GameTime sites' does; without, only the booking URL tells a time isn't a slot."""
    seed: int | None = None
    redirects: dict[str, str] = field(default_factory=dict)
    """Path -> another site's base URL: a request for the path (for a key ending in
    '/', any path under it) answers 302 to the same path there, as a club that signs in
    on its member site does, or a site that sends the browser astray."""
    member_site_for: str = ""
    """This site is the member site of the club at this base URL: a login here goes
    back there with a signed ticket (`/auth/ticket/...`), not to its own home."""
    on_request: Callable[[dict], None] | None = None
    """Called with each request's record (at, method, path, status): the access log."""
    recaptcha_site_key: str = ""
    """The site's reCAPTCHA key, the `render=` of its script; empty: one is made at
    start, "6L" and 38 url-safe characters (from the seed, when there is one)."""
    recaptcha_action: str = "homepage"
    """The action the booking form asks its tokens for (`homepage` at jct)."""
    bot_check: bool = True
    """Score tokens and refuse the saves of bots (a low score, an HTTP library's or a
    headless User-Agent); off, any valid token passes."""
    bot_threshold: float = 0.5
    """The lowest score a save passes with (its token's flags and its login's)."""
    refuse_page_submit: bool = False
    """Refuse booking tokens asked from a submit event, as the live club refused the
    page's own submit clicked by Playwright (flag `refuse-page-submit`)."""
    refuse_direct_token: bool = False
    """Refuse booking tokens asked outside a submit event: a script's own
    `grecaptcha.execute` call (flag `refuse-direct-token`)."""

    # The site as recorded (gametime-site.md), on by default (RECORDED); each knob off
    # gives the older, simpler site's way (SIMPLE, `simple()`).
    hold_follows_form: bool = True
    """A form's hold starts as the first booking type for 60 minutes; the page's script
    updates it in the background (POST `/scheduling/index/updatetemp`, XHR) when the type
    or the duration changes (answered after `hold_update_delay`), and the save books the
    hold's type and duration whatever it posts, with its normal confirmation. The form
    says "Your temporary booking will be held for 5:00 minutes" (`hold_seconds`). The
    length checks (free for the whole duration, not past closing) are made at save time,
    against the hold's duration. Off: the save books the posted ones."""
    hold_update_delay: float = 0.25
    """Seconds a hold update waits before it is applied and answered (`hold_follows_form`;
    the live site's is not recorded: script authors waited 0.5 s after the type and 2 s
    after the duration)."""
    bookerror_words: bool = True
    """Every refusal of the book URL (too early, held, booked) is a 302 to `bookerror`,
    titled "Booking Not Available", whose words tell which (the session's last refusal:
    PLEASE_WAIT, TIME_LABEL and a countdown; HELD_BY_ANOTHER; NO_LONGER_AVAILABLE). A
    time that is no slot stays a 404. Off: held and booked answer 200 with a
    not-available page; too early goes to the countdown page."""
    two_numbers: bool = True
    """A booking has a `bkId` (near 11000: the day's JSON `bkId`, the home page's ids and
    cancel links) and a different confirmation number `c` (near 278000: the day's JSON `c`,
    the save's redirect, the confirmation page). Off: one number serves as both."""
    cancel_steps: int = 2
    """2: the cancel page has a "Back to my bookings" button, then "Cancel this booking",
    which asks `window.confirm(...)` and posts `confirmed=1` only when accepted; a post
    without it cancels nothing. 1: one button posts the cancel."""
    scripts_elsewhere: bool = True
    """The pages load their scripts from another origin (`asset_base_url`): every page a
    New-Relic-like agent that posts a timing beacon there, the booking form and the cancel
    page their own handlers (so a page whose asset origin is blocked does not work). Its
    requests are recorded in `asset_requests()`. Login, schedule and countdown scripts
    stay inline. Off: the page scripts are inline, no agent."""
    roster: bool = True
    """A partner is a roster member (chosen from the name field's suggestions, which fill
    `players[N][user_id]`) or a guest (the "Guest" box: `players[N][guest]=on`,
    `players[N][guestof]=1`, no user id); a save with a partner who is neither is refused
    as the bot check refuses (302 to bookerror, NOT_VALIDATED). A guest is booked with
    user id 0 and `guest` True in `bookings()`; in the day's JSON a guest has a name and
    no `u`. Off: bare partner names, members found by name."""
    roster_members: list[RosterMember] = field(default_factory=_default_roster)
    """The club's members besides the site's users (who are on the roster too, and win a
    user id both use), for the `roster` search."""
    waiver: bool = True
    """The form carries a visible required waiver box (`bookingWaiverPolicy=true`); a
    save without it is refused. Off: a hidden `bookingWaiverPolicy=true`, not checked."""
    json_as_recorded: bool = True
    """The day's JSON as recorded: each court's `t` a list of open spans {t, d, i} and
    top-level `m` (booking types by id), `q`, `c`, `g`; no top-level slot list (whatever
    `slot_times` says). Off: today's shape."""

    @classmethod
    def as_recorded(cls, **overrides: Any) -> SandboxConfig:
        """A config with every recorded behaviour on (`RECORDED`, the defaults), then
        `overrides`."""
        return cls(**{**RECORDED, **overrides})

    @classmethod
    def simple(cls, **overrides: Any) -> SandboxConfig:
        """The older, simpler site (`SIMPLE`), then `overrides`."""
        return cls(**{**SIMPLE, **overrides})


_KNOBS = frozenset(f.name for f in fields(SandboxConfig))
if not set(RECORDED) <= _KNOBS or set(SIMPLE) != set(RECORDED):
    raise AssertionError("RECORDED and SIMPLE must name the same knobs of SandboxConfig")


class Player(NamedTuple):
    """One player of a booking."""

    name: str
    user_id: int
    """0 for a guest, or a partner found by no name."""
    guest: bool = False
    """Booked as a guest (`roster`)."""


@dataclass
class Booking:
    id: int
    """The site's booking id: the day's JSON `bkId`, the home page's and cancel URLs' id."""
    court: int
    court_id: int
    day: date
    minutes: int
    duration: int
    rtype: int
    players: list[Player]
    """The account holder first."""
    created_at: float
    confirmation: int = 0
    """The confirmation number (the day's JSON `c`, the save's redirect); `id` itself
    without `two_numbers`."""

    @property
    def end(self) -> int:
        return self.minutes + self.duration

    def overlaps(self, start: int, end: int) -> bool:
        return self.minutes < end and start < self.end

    def as_dict(self, guests: bool = False) -> dict:
        """With `guests`, each player says whether it is one."""
        return {
            "id": self.id, "confirmation": self.confirmation, "court": self.court,
            "court_id": self.court_id, "date": self.day.isoformat(), "time": self.minutes,
            "duration": self.duration, "rtype": self.rtype,
            "players": [{"name": p.name, "u": p.user_id, **({"guest": p.guest} if guests
                                                            else {})} for p in self.players],
            "created_at": self.created_at,
        }


@dataclass
class Hold:
    """A slot kept for one session while its member fills in the booking form."""

    temp: int
    session: str
    court: int
    day: date
    minutes: int
    expires_at: float | None
    """Site-clock instant it lapses; None holds until released."""
    member: int | None = None
    """The holder's user id: a member is never blocked by their own hold."""
    rtype: int = 0
    """The booking type held (`hold_follows_form`): the first type until updated."""
    duration: int = 0
    """The minutes held (`hold_follows_form`): 60 until updated."""
    applied_ticket: int = 0
    """The ticket of the last update applied: an older one that lands later is ignored."""

    def live(self, now: float) -> bool:
        return self.expires_at is None or now < self.expires_at


class FormRefusal(Enum):
    """Why the book URL did not serve a form."""

    NO_SUCH_SLOT = "no such court or slot"
    TOO_EARLY = "the window is not open yet"
    BOOKED = "already booked"
    HELD = "another member holds it"


@dataclass
class Session:
    token: str
    """The cookie's value."""
    label: str
    """A short public name for records ("s1")."""
    user: SandboxUser
    too_early_opens_at: float | None = None
    """When the window this session last hit too early opens (for the countdown)."""
    login_flags: tuple[str, ...] = ()
    """The flags of the token its login carried, each prefixed `login:`."""
    save_refused: bool = False
    """Its last save was refused by the bot check, and it has not loaded a form since:
    the bookerror page says so."""
    last_refusal: FormRefusal | None = None
    """Why the book URL last refused it a form (None once it served one): the bookerror
    page's words with `bookerror_words`."""


@dataclass
class BotToken:
    """A reCAPTCHA token as the site remembers it: single use, for two minutes."""

    value: str
    site_key: str
    action: str
    session: str | None
    """The cookie of the session that asked for it, if any."""
    issued_at: float
    flags: tuple[str, ...]
    score: float
    from_submit: bool
    used: bool = False

    def expired(self, now: float) -> bool:
        return now >= self.issued_at + botcheck.TOKEN_SECONDS


class CancelOutcome(Enum):
    """What a posted cancel did."""

    CANCELLED = "cancelled"
    NO_SUCH_BOOKING = "no such booking of the member's"
    NOT_CONFIRMED = "not confirmed in the dialog"


@dataclass(frozen=True)
class FormOutcome:
    hold: Hold | None = None
    refusal: FormRefusal | None = None


@dataclass(frozen=True)
class SaveOutcome:
    status: int
    """302 booked, not logged in or not validated; 200 refused with a reason; 500 an
    injected fault."""
    booking_id: int | None = None
    """The booking's bkId."""
    confirmation: int | None = None
    """Its confirmation number: the redirect's id."""
    reason: str | None = None
    not_validated: bool = False
    """Refused by the bot check: answered with the bookerror page."""
    score: float | None = None
    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Verdict:
    """The bot check of one save: its score and flags (None and () without a valid
    token), and why it is refused, if it is."""

    score: float | None = None
    flags: tuple[str, ...] = ()
    refusal: str | None = None


def _plays(booking: Booking, user_id: int) -> bool:
    return any(p.user_id == user_id and not p.guest for p in booking.players)


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


SITE_KEY_LENGTH = 40
_KEY_CHARACTERS = string.ascii_letters + string.digits + "-_"


def _new_site_key(seed: int | None) -> str:
    """"6L" and url-safe characters, as Google's keys look; the same for the same seed."""
    rng = random.SystemRandom() if seed is None else random.Random(f"recaptcha:{seed}")
    return "6L" + "".join(rng.choice(_KEY_CHARACTERS) for _ in range(SITE_KEY_LENGTH - 2))


def _check_recaptcha(config: SandboxConfig) -> None:
    """The key and action are written into the pages' scripts: only safe characters."""
    if not botcheck.SITE_KEY_PATTERN.match(config.recaptcha_site_key):
        raise ValueError("recaptcha_site_key: letters, digits, '-' and '_' only")
    if not botcheck.ACTION_PATTERN.match(config.recaptcha_action):
        raise ValueError("recaptcha_action: letters, digits, '/' and '_' only")


class SiteState:
    """Everything the site knows, and the rules it answers by."""

    def __init__(self, config: SandboxConfig | None = None) -> None:
        config = config or SandboxConfig()
        if not 1 <= config.courts <= 900:
            raise ValueError("courts must be 1..900")
        if not config.users:
            raise ValueError("the sandbox needs at least one user")
        if config.cancel_steps not in (1, 2):
            raise ValueError("cancel_steps must be 1 or 2")
        self.config = replace(config, users=list(config.users),
                              booking_types=dict(config.booking_types),
                              durations=list(config.durations),
                              redirects=dict(config.redirects),
                              roster_members=list(config.roster_members),
                              recaptcha_site_key=config.recaptcha_site_key
                              or _new_site_key(config.seed))
        _check_recaptcha(self.config)
        self._zone = ZoneInfo(self.config.timezone)
        self._lock = threading.RLock()
        self._rng = random.Random(self.config.seed)
        self._faults = random.Random(self._rng.getrandbits(64))
        # Its own generator, so that a seed's ids and faults stay what they were.
        self._network = random.Random(None if self.config.seed is None
                                      else f"network:{self.config.seed}")
        ids = self._rng.sample(range(100, 1000), self.config.courts)
        self._court_ids = {number: court_id for number, court_id in enumerate(ids, start=1)}
        self._court_numbers = {court_id: number for number, court_id in self._court_ids.items()}
        self._next_booking_id = self._rng.randint(278000, 279999)
        # bkIds (`two_numbers`) from their own generator: a seed's other numbers stay.
        self._bk_ids = random.Random(None if self.config.seed is None
                                     else f"bkid:{self.config.seed}")
        self._next_bk_id = self._bk_ids.randint(10900, 11100)
        self._bookings: dict[int, Booking] = {}
        self._holds: dict[int, Hold] = {}
        self._sessions: dict[str, Session] = {}
        self._others = 0
        self._saves: list[dict] = []
        self._form_loads: list[dict] = []
        self._requests: list[dict] = []
        self._tokens: dict[str, BotToken] = {}
        self._bot_checks: list[dict] = []
        self._cancels: list[dict] = []
        self._asset_requests: list[dict] = []
        self._hold_updates: list[dict] = []
        self._hold_tickets = 0
        self.asset_base_url = ""
        """The asset origin's base URL once it serves (`scripts_elsewhere`), else ""."""

    # The clock and the faults

    def now(self) -> float:
        """The site's clock, epoch seconds."""
        with self._lock:
            return time.time() + self.config.clock_offset

    def today(self) -> date:
        """The site's date in the club's zone."""
        return datetime.fromtimestamp(self.now(), self._zone).date()

    def opens_at(self, day: date) -> float:
        """Site-clock instant at which `day` opens: `opens_at`, `window_days` days before."""
        opening = datetime.combine(day - timedelta(days=self.config.window_days),
                                   self.config.opens_at, tzinfo=self._zone)
        return opening.timestamp()

    def delay(self) -> float:
        with self._lock:
            return self.config.delay

    def one_way(self) -> float:
        """One way's delay through the modelled network: `latency` ± `jitter`."""
        with self._lock:
            latency, jitter = self.config.latency, self.config.jitter
            if not latency and not jitter:
                return 0.0
            return max(0.0, latency + self._network.uniform(-jitter, jitter))

    def set_clock_offset(self, seconds: float) -> None:
        with self._lock:
            self.config.clock_offset = seconds

    def set_delay(self, seconds: float) -> None:
        with self._lock:
            self.config.delay = seconds

    def set_save_500(self, fraction: float) -> None:
        with self._lock:
            self.config.save_500 = fraction

    def save_answer_delay(self) -> float:
        with self._lock:
            return self.config.save_answer_delay

    def set_save_answer_delay(self, seconds: float) -> None:
        with self._lock:
            self.config.save_answer_delay = seconds

    # Courts and slots

    def court_id(self, number: int) -> int:
        return self._court_ids[number]

    def court_number(self, court_id: int | None) -> int | None:
        return self._court_numbers.get(court_id) if court_id is not None else None

    def courts(self) -> list[tuple[int, int]]:
        """(number, id) of every court, by number."""
        return sorted(self._court_ids.items())

    def slots(self) -> list[int]:
        return list(range(self.config.first_slot, self.config.last_slot + 1, SLOT_MINUTES))

    def _is_slot(self, minutes: int) -> bool:
        first, last = self.config.first_slot, self.config.last_slot
        return first <= minutes <= last and (minutes - first) % SLOT_MINUTES == 0

    # Accounts

    def login(self, username: str, password: str, token: str | None = None) -> Session | None:
        """A new session for the right password, else None. A login is never refused for
        its reCAPTCHA `token`, but the session keeps the token's flags (`login:...`;
        `login:no-token` without a valid token for the action `login`)."""
        for user in self.config.users:
            if user.username == username and hmac.compare_digest(
                user.password.encode(), password.encode()
            ):
                with self._lock:
                    return self._new_session(user, self._login_flags(token))
        return None

    def _login_flags(self, value: str | None) -> tuple[str, ...]:
        token = self._tokens.get(value) if value else None
        if (token is None or token.used or token.expired(self.now())
                or token.site_key != self.config.recaptcha_site_key
                or token.action != botcheck.LOGIN_ACTION):
            return (botcheck.LOGIN_PREFIX + botcheck.NO_TOKEN,)
        token.used = True
        return tuple(botcheck.LOGIN_PREFIX + flag for flag in token.flags)

    def _new_session(self, user: SandboxUser, login_flags: tuple[str, ...] = ()) -> Session:
        with self._lock:
            session = Session(secrets.token_urlsafe(24), f"s{len(self._sessions) + 1}", user,
                              login_flags=login_flags)
            self._sessions[session.token] = session
            return session

    @staticmethod
    def _ticket_signature(name: str) -> str:
        return hmac.new(TICKET_KEY, name.encode(), hashlib.sha256).hexdigest()

    def ticket_path(self, session: Session) -> str:
        """Where a member site sends a member it logged in: its club's ticket URL."""
        name = session.user.username.encode().hex()
        return f"/auth/ticket/{name}/{self._ticket_signature(name)}"

    def login_by_ticket(self, name: str, signature: str) -> Session | None:
        """A new session for the member a member site vouches for, else None (without
        login flags: this site saw no login form to judge)."""
        if not hmac.compare_digest(self._ticket_signature(name), signature):
            return None
        for user in self.config.users:
            if user.username.encode().hex() == name:
                return self._new_session(user)
        return None

    def session(self, token: str | None) -> Session | None:
        with self._lock:
            return self._sessions.get(token) if token else None

    def _user_id_of(self, name: str) -> int:
        """A partner's user id when the name is a member's, else 0 (a guest)."""
        wanted = name.casefold()
        for user in self.config.users:
            if wanted in (user.name.casefold(), user.username.casefold()):
                return user.user_id
        return 0

    # The roster (`roster`)

    def roster_members(self) -> list[RosterMember]:
        """The site's users, then `roster_members` but those with a user's id."""
        users = [RosterMember(u.name, u.user_id) for u in self.config.users]
        taken = {m.user_id for m in users}
        return users + [m for m in self.config.roster_members if m.user_id not in taken]

    def search_roster(self, query: str) -> list[RosterMember]:
        """Members whose "Last, First" name, or one of its words, starts with `query`
        (case-insensitive, spaces around it ignored), by name, at most ROSTER_RESULTS;
        none for fewer than ROSTER_MIN_QUERY characters."""
        wanted = " ".join(query.split()).casefold()
        if len(wanted) < ROSTER_MIN_QUERY:
            return []
        found = [m for m in self.roster_members()
                 if m.name.casefold().startswith(wanted)
                 or any(word.startswith(wanted) for word in re.split(r"[\s,]+",
                                                                       m.name.casefold()))]
        return sorted(found, key=lambda m: (m.name.casefold(), m.user_id))[:ROSTER_RESULTS]

    # Bookings

    def add_booking(self, court: int, day: date, minutes: int, duration: int = 60,
                    user_id: int = 9999, name: str = "Other, Member") -> int:
        """Book a court (by number) for someone, as if made elsewhere; returns its bkId."""
        with self._lock:
            if self._booked(court, day, minutes, minutes + duration):
                raise ValueError(f"court {court} is already booked then")
            rtype = next(iter(self.config.booking_types.values()), 0)
            return self._create(court, day, minutes, duration, rtype,
                                [Player(name, user_id)]).id

    def _create(self, court: int, day: date, minutes: int, duration: int, rtype: int,
                players: list[Player]) -> Booking:
        confirmation = self._next_booking_id
        self._next_booking_id += self._rng.randint(1, 9)
        booking_id = confirmation
        if self.config.two_numbers:
            booking_id = self._next_bk_id
            self._next_bk_id += self._bk_ids.randint(1, 9)
        booking = Booking(booking_id, court, self._court_ids[court], day, minutes, duration,
                          rtype, players, self.now(), confirmation)
        self._bookings[booking.id] = booking
        return booking

    def _booked(self, court: int, day: date, start: int, end: int) -> bool:
        return any(b.court == court and b.day == day and b.overlaps(start, end)
                   for b in self._bookings.values())

    def bookings(self) -> list[dict]:
        """Every booking, by id: id (the bkId), confirmation (the same number without
        `two_numbers`), court, court_id, date, time, duration, rtype, players ({name, u},
        and `guest` with `roster`), created_at."""
        with self._lock:
            return [b.as_dict(self.config.roster)
                    for b in sorted(self._bookings.values(), key=lambda b: b.id)]

    def _json_booking(self, booking: Booking) -> dict:
        """A booking in the day's JSON; with `roster` a guest has no `u`."""
        numbers = {"bkId": booking.id}
        if self.config.two_numbers:
            numbers["c"] = booking.confirmation
        players = [{"n": p.name} if self.config.roster and p.guest
                   else {"n": p.name, "u": p.user_id} for p in booking.players]
        return {"t": booking.minutes, "d": booking.duration, **numbers, "p": players}

    def _spans(self, court_id: int) -> list[dict]:
        """A court's open time as recorded: one span, first slot to the last one's end."""
        first, end = self.config.first_slot, self.config.last_slot + SLOT_MINUTES
        return [{"t": first, "d": min(end, DAY_MINUTES) - first, "i": court_id * 100 + 1}]

    def _recorded_keys(self) -> dict:
        """The day's JSON's other top-level keys as recorded, with plausible values."""
        colours = ("#2e7d32", "#1565c0", "#ef6c00", "#6a1b9a", "#c62828")
        types = {}
        for index, (name, rtype) in enumerate(self.config.booking_types.items()):
            length = 60 if index == 0 or 90 not in self.config.durations else 90
            types[str(rtype)] = {"conf_id": 700 + rtype, "d": length, "n": name,
                                 "color": colours[index % len(colours)], "fees": []}
        return {"m": types, "q": 0, "c": 1,
                "g": [{"i": 1, "n": "All courts", "c": [i for _, i in self.courts()]}]}

    def day_json(self, day: date) -> dict:
        """The day's courts as GameTime's jsoncourtdata answers them (`json_as_recorded`:
        as recorded, spans per court and the other top-level keys)."""
        with self._lock:
            entries = []
            for number, court_id in self.courts():
                taken = sorted((b for b in self._bookings.values()
                                if b.court == number and b.day == day), key=lambda b: b.minutes)
                entry = {"n": f"Court {number}", "mn": number, "i": court_id}
                if self.config.json_as_recorded:
                    entry["t"] = self._spans(court_id)
                entry["b"] = [self._json_booking(b) for b in taken]
                entries.append(entry)
            if self.config.json_as_recorded:
                return {"e": entries, **self._recorded_keys()}
            return {"e": entries, "t": self.slots()} if self.config.slot_times else {
                "e": entries}

    def upcoming_for(self, user_id: int) -> list[Booking]:
        """The member's bookings from the site's today on, soonest first."""
        today = self.today()
        with self._lock:
            mine = [b for b in self._bookings.values()
                    if b.day >= today and _plays(b, user_id)]
        return sorted(mine, key=lambda b: (b.day, b.minutes, b.court))

    def booking_for(self, user_id: int, booking_id: int) -> Booking | None:
        """The booking of this bkId if the member plays in it."""
        with self._lock:
            booking = self._bookings.get(booking_id)
        return booking if booking and _plays(booking, user_id) else None

    def booking_by_confirmation(self, user_id: int, number: int) -> Booking | None:
        """The booking of this confirmation number if the member plays in it."""
        with self._lock:
            found = [b for b in self._bookings.values() if b.confirmation == number]
        return found[0] if found and _plays(found[0], user_id) else None

    def cancel(self, user_id: int, booking_id: int) -> bool:
        """Cancel the member's booking of this bkId; whether there was one."""
        with self._lock:
            if self.booking_for(user_id, booking_id) is None:
                return False
            del self._bookings[booking_id]
            return True

    def post_cancel(self, session: Session, booking_id: int,
                    form: Mapping[str, str]) -> CancelOutcome:
        """A posted cancel, judged and recorded in `cancels()`: with `cancel_steps=2` it
        needs the dialog's `confirmed=1`."""
        with self._lock:
            user_id = session.user.user_id
            if self.booking_for(user_id, booking_id) is None:
                outcome = CancelOutcome.NO_SUCH_BOOKING
            elif self.config.cancel_steps == 2 and form.get("confirmed") != "1":
                outcome = CancelOutcome.NOT_CONFIRMED
            else:
                self.cancel(user_id, booking_id)
                outcome = CancelOutcome.CANCELLED
            self._cancels.append({"at": self.now(), "session": session.label,
                                  "booking_id": booking_id,
                                  "confirmed": form.get("confirmed"), "outcome": outcome.value})
            return outcome

    # Holds and the booking form

    def hold_for_other_member(self, court: int, day: date, minutes: int) -> None:
        """Another member's session holds this slot until `release_hold`."""
        with self._lock:
            self._others += 1
            temp = self._new_temp()
            self._holds[temp] = Hold(temp, f"other-{self._others}", court, day, minutes, None,
                                     member=-self._others)

    def release_hold(self, court: int, day: date, minutes: int) -> None:
        """Drop every hold on the slot."""
        with self._lock:
            for temp in [t for t, h in self._holds.items()
                         if (h.court, h.day, h.minutes) == (court, day, minutes)]:
                del self._holds[temp]

    def _new_temp(self) -> int:
        while True:
            temp = self._rng.randint(1_000_000, 9_999_999)
            if temp not in self._holds:
                return temp

    def _live_hold(self, court: int, day: date, minutes: int, now: float) -> Hold | None:
        for temp, hold in list(self._holds.items()):
            if not hold.live(now):
                del self._holds[temp]
            elif (hold.court, hold.day, hold.minutes) == (court, day, minutes):
                return hold
        return None

    def open_form(self, session: Session, court_id: int, day: date, minutes: int) -> FormOutcome:
        """What the book URL answers; a served form holds the slot for this session (a
        member's own older hold, from another session, gives way to it)."""
        with self._lock:
            court = self.court_number(court_id)
            if court is None or not self._is_slot(minutes):
                return FormOutcome(refusal=FormRefusal.NO_SUCH_SLOT)
            now = self.now()
            opens = self.opens_at(day)
            if now < opens:
                session.too_early_opens_at = opens
                return self._refuse_form(session, FormRefusal.TOO_EARLY)
            if self._booked(court, day, minutes, minutes + SLOT_MINUTES):
                return self._refuse_form(session, FormRefusal.BOOKED)
            current = self._live_hold(court, day, minutes, now)
            member = session.user.user_id
            if current is not None and (
                    current.member != member
                    or (self.config.holds_per_session and current.session != session.token)):
                return self._refuse_form(session, FormRefusal.HELD)
            for temp in [t for t, h in self._holds.items()
                         if h.session == session.token or h is current]:
                del self._holds[temp]
            hold = Hold(self._new_temp(), session.token, court, day, minutes,
                        now + self.config.hold_seconds, member=member,
                        rtype=self._first_type(), duration=self._first_duration())
            self._holds[hold.temp] = hold
            session.save_refused = False
            session.last_refusal = None
            self._form_loads.append({"at": now, "court": court, "date": day.isoformat(),
                                     "time": minutes, "session": session.label})
            return FormOutcome(hold=hold)

    def _refuse_form(self, session: Session, refusal: FormRefusal) -> FormOutcome:
        """The session was refused a form: the bookerror page tells this refusal now
        (held and booked only with `bookerror_words`: else they never lead there)."""
        session.last_refusal = refusal
        if refusal is FormRefusal.TOO_EARLY or self.config.bookerror_words:
            session.save_refused = False
        return FormOutcome(refusal=refusal)

    def last_refusal(self, session: Session) -> FormRefusal | None:
        with self._lock:
            return session.last_refusal

    def _first_type(self) -> int:
        return next(iter(self.config.booking_types.values()), 0)

    def _first_duration(self) -> int:
        durations = self.config.durations
        return 60 if 60 in durations or not durations else durations[0]

    def holds(self) -> list[dict]:
        """The live holds: temp, session (its label; another member's: "other-N"), court,
        date, time, rtype, duration (what a save books with `hold_follows_form`),
        expires_at."""
        with self._lock:
            now = self.now()
            labels = {s.token: s.label for s in self._sessions.values()}
            return [{"temp": h.temp, "session": labels.get(h.session, h.session),
                     "court": h.court, "date": h.day.isoformat(), "time": h.minutes,
                     "rtype": h.rtype, "duration": h.duration, "expires_at": h.expires_at}
                    for h in self._holds.values() if h.live(now)]

    # The hold's updates (`hold_follows_form`)

    def hold_update_delay(self) -> float:
        with self._lock:
            return self.config.hold_update_delay

    def set_hold_update_delay(self, seconds: float) -> None:
        with self._lock:
            self.config.hold_update_delay = seconds

    def hold_update_ticket(self) -> tuple[int, float]:
        """(ticket, site-clock instant) for an update as it arrives: updates apply in the
        order they arrived, whenever their waits end."""
        with self._lock:
            self._hold_tickets += 1
            return self._hold_tickets, self.now()

    def update_hold(self, session: Session, form: Mapping[str, str], ticket: int,
                    asked_at: float) -> dict:
        """Apply a hold update (fields temp, rtype, duration; an empty rtype or duration
        keeps the held one) and answer as the site's JSON does: `code` 200 with the
        hold's temp, rtype and duration; 404 for no live hold of the session's; 400 for
        a type or duration the site has not. Recorded in `hold_updates()`."""
        with self._lock:
            now = self.now()
            answer = self._hold_update(session, form, ticket, now)
            held = self._holds.get(_int(form.get("temp")) or 0)
            self._hold_updates.append({
                "at": now, "asked_at": asked_at, "session": session.label,
                "temp": _int(form.get("temp")), "code": answer["code"],
                "applied": answer.pop("applied"),
                "rtype": held.rtype if held and answer["code"] == 200 else None,
                "duration": held.duration if held and answer["code"] == 200 else None})
            return answer

    def _hold_update(self, session: Session, form: Mapping[str, str], ticket: int,
                     now: float) -> dict:
        temp = _int(form.get("temp"))
        hold = self._holds.get(temp) if temp is not None else None
        if hold is None or hold.session != session.token or not hold.live(now):
            return {"code": 404, "msg": HOLD_EXPIRED, "applied": False}
        rtype_text, duration_text = form.get("rtype", ""), form.get("duration", "")
        rtype = _int(rtype_text) if rtype_text else hold.rtype
        duration = _int(duration_text) if duration_text else hold.duration
        if rtype not in self.config.booking_types.values():
            return {"code": 400, "msg": NO_TYPE, "applied": False}
        if duration not in self.config.durations:
            return {"code": 400, "msg": NO_DURATION, "applied": False}
        applied = ticket > hold.applied_ticket
        if applied:
            hold.rtype, hold.duration, hold.applied_ticket = rtype, duration, ticket
        return {"code": 200, "msg": HOLD_UPDATED if applied else LATER_UPDATE,
                "temp": hold.temp, "rtype": hold.rtype, "duration": hold.duration,
                "applied": applied}

    def hold_updates(self) -> list[dict]:
        """Every hold update: at (applied), asked_at (arrived), session, temp, code,
        applied (False for an error or one overtaken by a later one), rtype and duration
        (the hold's after it; None for an error)."""
        with self._lock:
            return [dict(u) for u in self._hold_updates]

    def too_early_opens_at(self, session: Session) -> float | None:
        with self._lock:
            return session.too_early_opens_at

    def save_refused(self, session: Session) -> bool:
        """Whether the session's last save was refused by the bot check (since it last
        loaded a form or hit a window too early)."""
        with self._lock:
            return session.save_refused

    # The reCAPTCHA stand-in

    def issue_token(self, session: Session | None, ask: TokenAsk,
                    headers: Mapping[str, str]) -> str:
        """A token for one `grecaptcha.execute`, judged now from what the page read and
        the request's headers (lower-case names); recorded in `bot_checks()`. The
        knobs refuse booking tokens only, never a login's."""
        booking = ask.action != botcheck.LOGIN_ACTION
        flags = tuple(botcheck.judge(
            ask, headers, timezone=self.config.timezone,
            refuse_page_submit=self.config.refuse_page_submit and booking,
            refuse_direct_token=self.config.refuse_direct_token and booking))
        with self._lock:
            now = self.now()
            self._forget_old_tokens(now)
            token = BotToken(secrets.token_urlsafe(48), ask.site_key, ask.action,
                             session.token if session else None, now, flags,
                             botcheck.score(flags), ask.signals.from_submit)
            self._tokens[token.value] = token
            self._bot_checks.append({
                "at": now, "action": ask.action, "session": session.label if session else None,
                "score": token.score, "flags": list(flags), "from_submit": token.from_submit})
            return token.value

    def _forget_old_tokens(self, now: float) -> None:
        """Tokens expired an hour ago go: the store stays small in a long run."""
        for value in [v for v, t in self._tokens.items() if t.expired(now - 3600)]:
            del self._tokens[value]

    def _spend_token(self, session: Session, value: str) -> tuple[BotToken | None, str]:
        """The save's token if it is good for this save, else (None, why not). A token is
        spent by its first check, good or not."""
        token = self._tokens.get(value) if value else None
        if token is None:
            return None, "an unknown reCAPTCHA token" if value else "no reCAPTCHA token"
        if token.used:
            return None, "a reCAPTCHA token used before"
        token.used = True
        if token.expired(self.now()):
            return None, "an expired reCAPTCHA token"
        if token.site_key != self.config.recaptcha_site_key:
            return None, "a reCAPTCHA token for another site key"
        if token.action != self.config.recaptcha_action:
            return None, f"a reCAPTCHA token for the action {token.action!r}"
        if token.session != session.token:
            return None, "a reCAPTCHA token of another session"
        return token, ""

    def _verdict(self, session: Session, form: Mapping[str, str],
                 headers: Mapping[str, str]) -> Verdict:
        """The bot check of a save: its token (spent), its User-Agent, then the score of
        the token's flags and the session's login flags (reCAPTCHA judges the session)."""
        token, why_not = self._spend_token(session, form.get("g-recaptcha-response", ""))
        if token is None:
            return Verdict(refusal=why_not)
        flags = token.flags + session.login_flags
        score = botcheck.score(flags)
        if not self.config.bot_check:
            return Verdict(score, flags)
        agent = botcheck.refused_user_agent(headers.get("user-agent"))
        if agent is not None:
            return Verdict(score, flags, agent)
        if score < self.config.bot_threshold:
            return Verdict(score, flags, f"a score of {score} (below {self.config.bot_threshold})")
        return Verdict(score, flags)

    # The save

    def save(self, session: Session | None, fields: list[tuple[str, str]],
             headers: Mapping[str, str] | None = None) -> SaveOutcome:
        """Judge a POST of the booking form, its fields in order (a repeated name counts
        by its last value, as PHP reads it) and its headers (lower-case names); every
        call is recorded in `saves()`."""
        headers = headers or {}
        with self._lock:
            held = self._holds.get(_int(dict(fields).get("temp")) or 0)
            if not self.config.hold_follows_form:
                held = None
            held_rtype, held_duration = (held.rtype, held.duration) if held else (None, None)
            outcome = self._judge_save(session, dict(fields), headers)
            self._saves.append({
                "at": self.now(), "status": outcome.status, "booking_id": outcome.booking_id,
                "confirmation": outcome.confirmation, "reason": outcome.reason,
                "fields": list(fields),
                "user_agent": headers.get("user-agent"), "origin": headers.get("origin"),
                "referer": headers.get("referer"), "content_type": headers.get("content-type"),
                "score": outcome.score, "flags": list(outcome.flags),
                "held_rtype": held_rtype, "held_duration": held_duration})
            return outcome

    def _judge_save(self, session: Session | None, form: dict[str, str],
                    headers: Mapping[str, str]) -> SaveOutcome:
        if session is None:
            return SaveOutcome(302, reason=NOT_LOGGED_IN)
        if self._faults.random() < self.config.save_500:
            return SaveOutcome(500, reason=INJECTED_500)
        verdict = self._verdict(session, form, headers)
        partners = self._partners(form)
        refusal = verdict.refusal or (partners if isinstance(partners, str) else None)
        if refusal is not None:
            session.save_refused = True  # the hold stays: the player may send it again
            return SaveOutcome(302, reason=f"not validated: {refusal}",
                               not_validated=True, score=verdict.score, flags=verdict.flags)
        assert not isinstance(partners, str)
        return replace(self._book(session, form, partners), score=verdict.score,
                       flags=verdict.flags)

    def _partners(self, form: Mapping[str, str]) -> list[Player] | str:
        """The partners of rows 2..4 that have a name; with `roster`, each a roster member
        (not a guest, its user id a member's whose roster name is the name posted) or a
        guest (`guest=on`, `guestof=1`, no user id), else why not (a str)."""
        named = [(n, form.get(f"players[{n}][name]", "").strip()) for n in (2, 3, 4)]
        named = [(n, name) for n, name in named if name]
        if not self.config.roster:
            return [Player(name, self._user_id_of(name)) for _, name in named]
        members = {m.user_id: m.name for m in self.roster_members()}
        players = []
        for n, name in named:
            user_id = form.get(f"players[{n}][user_id]", "").strip()
            guest = form.get(f"players[{n}][guest]") == "on"
            if guest and form.get(f"players[{n}][guestof]") == "1" and not user_id:
                players.append(Player(name, 0, guest=True))
            elif not guest and members.get(_int(user_id) or 0) == name:
                players.append(Player(name, int(user_id)))
            else:
                return f"player {n} is neither a roster member nor a guest"
        return players

    def _book(self, session: Session, form: dict[str, str],
              partners: list[Player]) -> SaveOutcome:
        """The form's own checks, against its hold; books when they pass."""
        now = self.now()
        temp = _int(form.get("temp"))
        hold = self._holds.get(temp) if temp is not None else None
        if hold is None or hold.session != session.token or not hold.live(now):
            if hold is not None and not hold.live(now):
                del self._holds[hold.temp]
            return SaveOutcome(200, reason=HOLD_EXPIRED)
        court = self.court_number(_int(form.get("court")))
        if (court, _day(form.get("date")), _int(form.get("time"))) != (
            hold.court, hold.day, hold.minutes
        ):
            return SaveOutcome(200, reason=FORM_MISMATCH)
        if self.config.waiver and form.get("bookingWaiverPolicy") != "true":
            return SaveOutcome(200, reason=NO_WAIVER)
        if self.config.hold_follows_form:  # whatever the form says
            rtype, duration = hold.rtype, hold.duration
        else:
            rtype = _int(form.get("rtype"))
            if rtype not in self.config.booking_types.values():
                return SaveOutcome(200, reason=NO_TYPE)
            duration = _int(form.get("duration"))
            if duration not in self.config.durations:
                return SaveOutcome(200, reason=NO_DURATION)
        if self._booked(hold.court, hold.day, hold.minutes, hold.minutes + SLOT_MINUTES):
            return SaveOutcome(200, reason=ALREADY_BOOKED)
        if hold.minutes + duration > min(self.config.last_slot + SLOT_MINUTES, DAY_MINUTES):
            return SaveOutcome(200, reason=PAST_CLOSING)
        if self._booked(hold.court, hold.day, hold.minutes, hold.minutes + duration):
            return SaveOutcome(200, reason=NOT_FREE_FOR_DURATION)
        players = [Player(session.user.name, session.user.user_id), *partners]
        booking = self._create(hold.court, hold.day, hold.minutes, duration, rtype, players)
        del self._holds[hold.temp]
        return SaveOutcome(302, booking_id=booking.id, confirmation=booking.confirmation)

    # Records

    def record_request(self, method: str, path: str, status: int) -> None:
        record = {"at": self.now(), "method": method, "path": path, "status": status}
        with self._lock:
            self._requests.append(record)
        if self.config.on_request is not None:
            self.config.on_request(dict(record))

    def record_asset_request(self, record: dict) -> None:
        with self._lock:
            self._asset_requests.append({"at": self.now(), **record})

    def asset_requests(self) -> list[dict]:
        """Every request the asset origin got (`scripts_elsewhere`): at, method, path (with
        its query), status, headers (lower-case names), body (text)."""
        with self._lock:
            return [{**r, "headers": dict(r["headers"])} for r in self._asset_requests]

    def saves(self) -> list[dict]:
        """Every save: at, status, booking_id (its bkId), confirmation, reason, fields (its
        (name, value) pairs in order), user_agent, origin, referer, content_type, score,
        flags, held_rtype and held_duration (with `hold_follows_form`, what the hold its temp
        names held when the save came; else None)."""
        with self._lock:
            return [{**s, "fields": list(s["fields"]), "flags": list(s["flags"])}
                    for s in self._saves]

    def cancels(self) -> list[dict]:
        """Every posted cancel: at, session, booking_id, confirmed (the posted field, or
        None), outcome (a CancelOutcome's value)."""
        with self._lock:
            return [dict(c) for c in self._cancels]

    def form_loads(self) -> list[dict]:
        with self._lock:
            return [dict(f) for f in self._form_loads]

    def requests(self) -> list[dict]:
        with self._lock:
            return [dict(r) for r in self._requests]

    def bot_checks(self) -> list[dict]:
        """Every token issued: at, action, session (its label, or None), score, flags,
        from_submit."""
        with self._lock:
            return [{**c, "flags": list(c["flags"])} for c in self._bot_checks]

    def snapshot(self) -> dict:
        """What `/_sandbox/state` answers."""
        with self._lock:
            return {"bookings": self.bookings(), "saves": self.saves(),
                    "form_loads": self.form_loads(), "bot_checks": self.bot_checks(),
                    "now": self.now()}
