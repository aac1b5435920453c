"""The sandbox site over HTTP: routes, the request handler, and `SandboxSite` to run it.

Each route is a function from a `Request` to a `Response`; the handler only parses,
waits the configured delay, dispatches, records and writes. A form body is kept as
its ordered (name, value) pairs, duplicates and all; `Request.form` reads a repeated
name by its last value, as PHP does.
"""

from __future__ import annotations

import json
import re
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from email.utils import formatdate
from http.cookies import CookieError, SimpleCookie
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qsl, urlsplit

from gametime_cli.sandbox import assets, botcheck, pages
from gametime_cli.sandbox.loopback import LoopbackServer
from gametime_cli.sandbox.state import (
    BOOKED_NOT_AVAILABLE,
    HELD_BY_ANOTHER,
    NO_LONGER_AVAILABLE,
    NOT_AVAILABLE,
    CancelOutcome,
    FormRefusal,
    SandboxConfig,
    Session,
    SiteState,
)

COOKIE = "sandbox_session"
SAVE_PATH = "/scheduling/index/save"
BOOKERROR_PATH = "/scheduling/index/bookerror"
CONTROL_PREFIX = "/_sandbox/"
"""Routes for scripts, not part of the site: no delay, not recorded."""


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    """Lower-case names."""
    fields: list[tuple[str, str]]
    """The body as a form: its (name, value) pairs in order, blanks and repeats kept."""
    session: Session | None
    body: bytes = b""
    params: tuple[str, ...] = ()
    stopping: threading.Event = field(default_factory=threading.Event)
    """Set when the site stops: a route that waits waits on it."""
    query: list[tuple[str, str]] = field(default_factory=list)
    """The URL's query as (name, value) pairs."""

    @property
    def form(self) -> dict[str, str]:
        """Each field's last value."""
        return dict(self.fields)

    @property
    def is_xhr(self) -> bool:
        return self.headers.get("x-requested-with", "").lower() == "xmlhttprequest"


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    headers: list[tuple[str, str]] = field(default_factory=list)


def html(text: str, status: int = 200) -> Response:
    return Response(status, text.encode())


def redirect(location: str, headers: list[tuple[str, str]] | None = None) -> Response:
    return Response(302, headers=[("Location", location), *(headers or [])])


def json_response(value: object, status: int = 200,
                  headers: list[tuple[str, str]] | None = None) -> Response:
    return Response(status, json.dumps(value).encode(), "application/json", headers or [])


def not_found(message: str = "There is no such page.") -> Response:
    return html(pages.message_page("Not Found", message), 404)


def _session_cookie(session: Session) -> tuple[str, str]:
    return ("Set-Cookie", f"{COOKIE}={session.token}; Path=/; HttpOnly; SameSite=Lax")


# The routes. Each takes the site and the request, the URL's groups in request.params.

def _login_page(site: SiteState, error: str | None = None) -> str:
    return pages.login_page(site.config.recaptcha_site_key, error)


def _log_in(site: SiteState, request: Request) -> Session | None:
    form = request.form
    return site.login(form.get("username", ""), form.get("password", ""),
                      form.get("g-recaptcha-response"))


def login_form(site: SiteState, request: Request) -> Response:
    return html(_login_page(site))


def login(site: SiteState, request: Request) -> Response:
    session = _log_in(site, request)
    if session is None:
        return html(_login_page(site, "The username or password is incorrect."))
    if site.config.member_site_for:  # back to the club, which trusts this site's ticket
        return redirect(site.config.member_site_for.rstrip("/") + site.ticket_path(session))
    return redirect("/", [_session_cookie(session)])


def login_by_ticket(site: SiteState, request: Request) -> Response:
    session = site.login_by_ticket(*request.params)
    if session is None:
        return html(_login_page(site, "The member site's ticket is not valid."), 403)
    return redirect("/", [_session_cookie(session)])


def login_json(site: SiteState, request: Request) -> Response:
    session = _log_in(site, request)
    if session is None:
        return json_response({"code": 401, "msg": "The username or password is incorrect."})
    return json_response({"code": 200, "msg": "Logged in."}, headers=[_session_cookie(session)])


def home(site: SiteState, request: Request) -> Response:
    user = request.session.user
    return html(pages.home_page(user.name, site.upcoming_for(user.user_id), site.config.sport))


def _sport_matches(site: SiteState, text: str) -> bool:
    return int(text) == site.config.sport


def schedule(site: SiteState, request: Request) -> Response:
    if not _sport_matches(site, request.params[0]):
        return not_found("There is no such sport at this club.")
    return html(pages.schedule_page(site.config.sport, site.courts(), site.slots(),
                                    site.today()))


def _date(year: str, month: str, day: str) -> date | None:
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


def court_data(site: SiteState, request: Request) -> Response:
    sport, year, month, day_text = request.params
    day = _date(year, month, day_text)
    if not _sport_matches(site, sport) or day is None:
        return json_response({"error": "no such sport or date"}, 404)
    return json_response(site.day_json(day))


def book(site: SiteState, request: Request) -> Response:
    sport, court_id, year, month, day_text, minutes = request.params
    day = _date(year, month, day_text)
    if not _sport_matches(site, sport) or day is None:
        return not_found()
    outcome = site.open_form(request.session, int(court_id), day, int(minutes))
    if outcome.refusal is FormRefusal.NO_SUCH_SLOT:
        return not_found("There is no such court or time slot.")
    if outcome.refusal is FormRefusal.TOO_EARLY or (
            outcome.refusal is not None and site.config.bookerror_words):
        return redirect(BOOKERROR_PATH)
    if outcome.refusal is FormRefusal.BOOKED:
        return html(pages.not_available(BOOKED_NOT_AVAILABLE))
    if outcome.refusal is FormRefusal.HELD:
        return html(pages.not_available(HELD_BY_ANOTHER))
    hold, user = outcome.hold, request.session.user
    held = None
    if site.config.hold_follows_form:
        held = (_type_name(site, hold.rtype), hold.rtype, hold.duration)
    return html(pages.booking_form(
        court=hold.court, court_id=int(court_id), day=hold.day, minutes=hold.minutes,
        temp=hold.temp, user_id=user.user_id if site.config.form_user_id else None,
        user_name=user.name, waiver=site.config.waiver, held=held,
        hold_seconds=site.config.hold_seconds, roster=site.config.roster,
        script_src=_asset(site, assets.FORM_SCRIPT_PATH),
        booking_types=site.config.booking_types, durations=site.config.durations,
        sport=site.config.sport, site_key=site.config.recaptcha_site_key,
        action=site.config.recaptcha_action,
    ))


def _asset(site: SiteState, path: str) -> str | None:
    """The URL of a page's script on the asset origin, or None: the page carries it."""
    if site.config.scripts_elsewhere and site.asset_base_url:
        return site.asset_base_url + path
    return None


def _type_name(site: SiteState, rtype: int) -> str:
    return next((name for name, value in site.config.booking_types.items() if value == rtype),
                str(rtype))


def _same_origin(request: Request) -> bool:
    """A background request from the site's own pages: an `Origin`, when sent, is the
    site's own, and so is `Sec-Fetch-Site`."""
    origin = request.headers.get("origin")
    if origin is not None and origin != f"http://{request.headers.get('host', '')}":
        return False
    return request.headers.get("sec-fetch-site", "same-origin") == "same-origin"


def update_temp(site: SiteState, request: Request) -> Response:
    """The form's hold update (`hold_follows_form`): answered, as GameTime's JSON is,
    HTTP 200 with a `code`, after `hold_update_delay` seconds."""
    if not site.config.hold_follows_form:
        return not_found()
    if not _same_origin(request):
        return json_response({"code": 403, "msg": "Not from this site's pages."}, 403)
    ticket, asked_at = site.hold_update_ticket()
    if request.stopping.wait(site.hold_update_delay()):
        return json_response({"code": 503, "msg": "The site is stopping."}, 503)
    answer = site.update_hold(request.session, request.form, ticket, asked_at)
    if answer["code"] == 200:
        answer["summary"] = pages.hold_summary(_type_name(site, answer["rtype"]),
                                               answer["duration"])
    return json_response(answer)


def roster_search(site: SiteState, request: Request) -> Response:
    """`?q=...` -> `{"results": [{"id": user id, "n": "Last, First"}, ...]}` (`roster`)."""
    if not site.config.roster:
        return not_found()
    query = dict(request.query).get("q", "")
    return json_response({"results": [{"id": m.user_id, "n": m.name}
                                      for m in site.search_roster(query)]})


_BOOKERROR_WORDS = {FormRefusal.HELD: HELD_BY_ANOTHER, FormRefusal.BOOKED: NO_LONGER_AVAILABLE}


def bookerror(site: SiteState, request: Request) -> Response:
    """The session's last refusal, in words: a save the bot check refused, else (with
    `bookerror_words`) the book URL's last refusal, else the countdown page."""
    if site.save_refused(request.session):
        return html(pages.not_validated())
    opens = site.too_early_opens_at(request.session)
    left = None if opens is None else opens - site.now()
    if not site.config.bookerror_words:
        return html(pages.bookerror_page(left))
    refusal = site.last_refusal(request.session)
    if refusal is FormRefusal.TOO_EARLY and left is not None:
        return html(pages.please_wait(left))
    return html(pages.not_available(_BOOKERROR_WORDS.get(refusal, NOT_AVAILABLE)))


SCRIPT_CACHE = "private, max-age=300"
"""How Google serves reCAPTCHA's api.js: a browser keeps it five minutes, so a page that
loads it again (the booking form, after the login page) takes it from its cache."""


def recaptcha_script(site: SiteState, request: Request) -> Response:
    return Response(200, botcheck.API_SCRIPT.encode(), "text/javascript; charset=utf-8",
                    [("Cache-Control", SCRIPT_CACHE)])


def recaptcha_token(site: SiteState, request: Request) -> Response:
    """`{"site_key", "action", "signals"}` -> `{"token"}`; 400 `{"error"}` otherwise."""
    try:
        ask = botcheck.parse_ask(json.loads(request.body or b"null"))
    except ValueError as exc:  # json.JSONDecodeError and UnicodeDecodeError are ValueErrors
        return json_response({"error": str(exc)}, 400)
    return json_response({"token": site.issue_token(request.session, ask, request.headers)})


def save(site: SiteState, request: Request) -> Response:
    outcome = site.save(request.session, request.fields, request.headers)
    if request.session is None:
        return redirect("/auth")
    if outcome.not_validated:
        return redirect(BOOKERROR_PATH)
    if outcome.status == 500:
        return html(pages.message_page("Internal Server Error",
                                       "Something went wrong. Please try again."), 500)
    if outcome.confirmation is not None:
        return redirect(f"/scheduling/confirmation/history/sport/{site.config.sport}"
                        f"/id/{outcome.confirmation}")
    return html(pages.save_refused(outcome.reason or "The booking was not made."))


def confirmation(site: SiteState, request: Request) -> Response:
    booking = site.booking_by_confirmation(request.session.user.user_id,
                                           int(request.params[1]))
    if not _sport_matches(site, request.params[0]) or booking is None:
        return not_found("There is no such booking.")
    return html(pages.confirmation_page(booking))


def cancel_form(site: SiteState, request: Request) -> Response:
    booking = site.booking_for(request.session.user.user_id, int(request.params[0]))
    if booking is None:
        return not_found("There is no such booking.")
    return html(pages.cancel_page(booking, site.config.cancel_steps,
                                  _asset(site, assets.CANCEL_SCRIPT_PATH)))


def cancel(site: SiteState, request: Request) -> Response:
    outcome = site.post_cancel(request.session, int(request.params[0]), request.form)
    if outcome is CancelOutcome.NO_SUCH_BOOKING:
        return not_found("There is no such booking.")
    if outcome is CancelOutcome.NOT_CONFIRMED:
        return html(pages.cancel_not_confirmed())
    return redirect("/")


def state_json(site: SiteState, request: Request) -> Response:
    return json_response(site.snapshot())


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Callable[[SiteState, Request], Response]
    login: bool = True
    """Without a session: 302 to /auth."""
    xhr: bool = False
    """Without `X-Requested-With: XMLHttpRequest`: 400."""


def _route(method: str, pattern: str, handler: Callable[[SiteState, Request], Response],
           **flags: bool) -> Route:
    return Route(method, re.compile(pattern + r"/?\Z"), handler, **flags)


_DATE = r"(\d{4})-(\d{1,2})-(\d{1,2})"
ROUTES = [
    _route("GET", r"/auth", login_form, login=False),
    _route("POST", r"/auth", login, login=False),
    _route("POST", r"/auth/json-index", login_json, login=False),
    _route("GET", r"/auth/ticket/([0-9a-f]+)/([0-9a-f]+)", login_by_ticket, login=False),
    _route("GET", r"/", home),
    _route("GET", r"/scheduling/index/index/sport/(\d+)", schedule),
    _route("GET", rf"/scheduling/index/jsoncourtdata/sport/(\d+)/date/{_DATE}", court_data,
           xhr=True),
    _route("GET", rf"/scheduling/index/book/sport/(\d+)/court/(\d+)/date/{_DATE}/time/(\d+)",
           book),
    _route("GET", r"/scheduling/index/bookerror", bookerror),
    _route("GET", re.escape(botcheck.SCRIPT_PATH), recaptcha_script, login=False),
    _route("POST", re.escape(botcheck.TOKEN_PATH), recaptcha_token, login=False),
    _route("POST", r"/scheduling/index/save", save, login=False),
    _route("POST", re.escape(pages.HOLD_UPDATE_PATH), update_temp, xhr=True),
    _route("GET", re.escape(pages.ROSTER_PATH), roster_search, xhr=True),
    _route("GET", r"/scheduling/confirmation/history/sport/(\d+)/id/(\d+)", confirmation),
    _route("GET", r"/scheduling/index/cancel/id/(\d+)", cancel_form),
    _route("POST", r"/scheduling/index/cancel/id/(\d+)", cancel),
    _route("GET", r"/_sandbox/state", state_json, login=False),
]


def _redirected(site: SiteState, request: Request) -> Response | None:
    """The configured 302 to another site for this path, if any."""
    for prefix, base in site.config.redirects.items():
        if request.path == prefix or (prefix.endswith("/") and request.path.startswith(prefix)):
            return redirect(base.rstrip("/") + request.path)
    return None


def dispatch(site: SiteState, request: Request) -> Response:
    """The route's answer; with `scripts_elsewhere` every page loads the agent."""
    response = _dispatch(site, request)
    agent = _asset(site, assets.AGENT_PATH)
    if agent and response.content_type.startswith("text/html") and response.body:
        response.body = pages.with_agent(response.body.decode(), agent).encode()
    return response


def _dispatch(site: SiteState, request: Request) -> Response:
    elsewhere = _redirected(site, request)
    if elsewhere is not None:
        return elsewhere
    path_matched = False
    for route in ROUTES:
        match = route.pattern.match(request.path)
        if match is None:
            continue
        path_matched = True
        if route.method != request.method:
            continue
        if route.xhr and not request.is_xhr:
            return html(pages.message_page("Bad Request", "This address answers scripts only."),
                        400)
        if route.login and request.session is None:
            return redirect("/auth")
        return route.handler(site, replace(request, params=match.groups()))
    if path_matched:
        return html(pages.message_page("Method Not Allowed", "Not with this method."), 405)
    return not_found()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 30
    server: _Server
    _handled_at: float | None = None
    """The site's clock when the request being answered was handled: its `Date`."""

    def setup(self) -> None:
        # Read by StreamRequestHandler.setup: TCP_NODELAY unless the Nagle mode is on.
        self.disable_nagle_algorithm = not self.server.site.config.nagle
        super().setup()

    def do_GET(self) -> None:
        self._answer("GET")

    def do_POST(self) -> None:
        self._answer("POST")

    def _answer(self, method: str) -> None:
        site = self.server.site
        path = urlsplit(self.path).path
        body = self._read_body()
        control = path.startswith(CONTROL_PREFIX)
        # The modelled network's way in, then the server's own slowness.
        if not control and self.server.stopping.wait(site.one_way() + site.delay()):
            self.close_connection = True
            return
        self._handled_at = None if control else site.now()
        fields = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
        request = Request(method, path, {k.lower(): v for k, v in self.headers.items()}, fields,
                          site.session(self._cookie_token()), body,
                          stopping=self.server.stopping,
                          query=parse_qsl(urlsplit(self.path).query, keep_blank_values=True))
        try:
            response = dispatch(site, request)
        except Exception:  # a bug in the sandbox: answer 500 and show the trace
            traceback.print_exc()
            response = html(pages.message_page("Internal Server Error", "The sandbox failed."),
                            500)
        if not control:
            site.record_request(method, self.path, response.status)
        if method == "POST" and path == SAVE_PATH and self.server.stopping.wait(
                site.save_answer_delay()):
            self.close_connection = True
            return
        if not control and self.server.stopping.wait(site.one_way()):  # the way back
            self.close_connection = True
            return
        self._write(response)

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _cookie_token(self) -> str | None:
        cookies = SimpleCookie()
        try:
            cookies.load(self.headers.get("Cookie", ""))
        except CookieError:
            return None
        morsel = cookies.get(COOKIE)
        return morsel.value if morsel else None

    def _write(self, response: Response) -> None:
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        if not any(name.lower() == "cache-control" for name, _ in response.headers):
            self.send_header("Cache-Control", "no-store")
        if self.server.site.config.nagle:  # two writes, as http.server makes them
            self.end_headers()
            self.wfile.write(response.body)
        else:  # one write, as a real server's
            self._headers_buffer.append(b"\r\n" + response.body)
            self.flush_headers()

    def version_string(self) -> str:
        return "GameTimeSandbox/1.0"

    def date_time_string(self, timestamp: float | None = None) -> str:
        """The `Date` header, by the site's clock when it handled the request."""
        if timestamp is None:
            timestamp = self._handled_at if self._handled_at is not None else (
                self.server.site.now())
        return formatdate(timestamp, usegmt=True)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the site records requests itself."""


class _Server(LoopbackServer):
    def __init__(self, address: tuple[str, int], site: SiteState) -> None:
        self.site = site
        super().__init__(address, _Handler)


class SandboxSite(SiteState):
    """The site's state served over HTTP on a loopback port, in a daemon thread; with
    `scripts_elsewhere`, its asset origin too (`asset_base_url`, another loopback address
    when it can bind one, else another port)."""

    def __init__(self, config: SandboxConfig | None = None) -> None:
        super().__init__(config)
        self.base_url = ""
        self._server: _Server | None = None
        self._assets: assets.AssetServer | None = None

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve, and return the base URL (`http://127.0.0.1:PORT`)."""
        if self._server is not None:
            return self.base_url
        if self.config.scripts_elsewhere:  # first: the pages name it
            self._assets = assets.AssetServer.start_near(host, self)
            self.asset_base_url = self._assets.base_url
        server = _Server((host, port), self)
        self._server = server
        server.serve_in_thread("sandbox-site")
        self.base_url = f"http://{host}:{server.server_address[1]}"
        return self.base_url

    def stop(self) -> None:
        """Stop serving (the asset origin too) and wait for the threads; safe to call
        twice."""
        server, asset_server = self._server, self._assets
        self._server = self._assets = None
        if server is not None:
            server.stop()
        if asset_server is not None:
            asset_server.stop()

    def __enter__(self) -> SandboxSite:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
