"""The password stays on the club's origin: URL checks at `club add`, and a real browser
that a site redirecting elsewhere (at login, or mid-run) can't take along."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime

import pytest

from gametime_cli.sandbox import SandboxConfig, SandboxSite, SandboxUser
from gametime_cli.sites.guard import OriginGuard
from gametime_cli.sites.origins import Origin, check_site_url, is_loopback, origin_of
from tests.support import db_snapshot

PASSWORD = "Origin-Kestrel-5521"
USER = SandboxUser("jo.player", PASSWORD, 4411, "Player, Jo")
WINDOW = ["--timezone", "UTC", "--window-days", "6", "--opens-at", "09:00"]


def add(cli, url: str, *extra: str, name: str = "jct"):
    return cli("club", "add", name, "--url", url, *WINDOW, *extra)


# -- URLs (in-process) --------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("http://[::1", "not a valid URL"),
        ("https://jct.gametime.net:99999", "bad port"),
        ("https://jct.gametime.net:0", "bad port"),
        ("https://jct.gametime.net:http", "bad port"),
        ("https://", "no valid host name"),
        ("https://%41.example", "no valid host name"),
        ("http:///auth", "no valid host name"),
        ("ftp://jct.gametime.net", "not a club URL"),
        ("file:///etc/passwd", "not a club URL"),
        ("javascript:alert(1)", "not a club URL"),
        ("https://jct.gametime.net/?next=/", "query"),
        ("https://jct .gametime.net", "without spaces"),
        ("http://jct.gametime.net", "--allow-http"),
        ("http://10.0.0.5:8080", "--allow-http"),
        ("http://localhost.example.com", "--allow-http"),
    ],
)
def test_a_bad_club_url_is_one_line_exit_2_nothing_written(cli, home, url, fragment):
    assert cli("club", "list").exit_code == 0  # the empty store first
    before = db_snapshot(home)
    result = add(cli, url)
    assert result.exit_code == 2, result.stderr
    assert fragment in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
    assert db_snapshot(home) == before


def test_userinfo_is_refused_without_repeating_the_password(cli, home):
    cli("club", "list")
    before = db_snapshot(home)
    for url in ("https://jo:Hunter-22@jct.gametime.net", "https://jo:Hunter-22@[::1"):
        result = add(cli, url)
        assert result.exit_code == 2
        assert "username or password" in result.stderr
        assert "Hunter-22" not in result.stderr
    assert db_snapshot(home) == before


@pytest.mark.parametrize("url", ["http://127.0.0.1:8765", "http://127.4.5.6", "http://[::1]:8765",
                                 "http://localhost:8765", "https://jct.gametime.net:8443/"])
def test_loopback_http_and_https_are_accepted(cli, url):
    result = add(cli, url)
    assert result.exit_code == 0, result.stderr
    [club] = json.loads(cli("club", "list", "--json").stdout)
    assert club["url"] == url.rstrip("/") and club["login_url"] is None


def test_allow_http_accepts_plain_http_elsewhere(cli):
    assert add(cli, "http://jct.example.org", "--allow-http").exit_code == 0
    [club] = json.loads(cli("club", "list", "--json").stdout)
    assert club["url"] == "http://jct.example.org"


def test_login_url_is_checked_stored_shown_and_changed(cli, home):
    member = "https://members.example.org/login?club=jct"
    added = add(cli, "https://jct.gametime.net", "--login-url", member)
    assert added.exit_code == 0, added.stderr
    assert json.loads(cli("club", "list", "--json").stdout)[0]["login_url"] == member
    assert "members.example.org" in cli("club", "list").stdout
    before = db_snapshot(home)
    for bad in ("http://members.example.org", "https://u:pw@members.example.org",
                "https://members.example.org:70000"):
        refused = cli("club", "set", "jct", "--login-url", bad)
        assert refused.exit_code == 2 and len(refused.stderr.strip().splitlines()) == 1
    assert cli("club", "set", "jct", "--login-url", "https://sso.example.org",
               "--opens-at", "9am").exit_code == 2  # nothing written when any part is bad
    assert db_snapshot(home) == before
    changed = cli("club", "set", "jct", "--login-url", "https://sso.example.org")
    assert changed.exit_code == 0, changed.stderr
    assert json.loads(cli("club", "list", "--json").stdout)[0]["login_url"] == (
        "https://sso.example.org")
    assert cli("club", "set", "jct", "--login-url", "").exit_code == 0
    assert json.loads(cli("club", "list", "--json").stdout)[0]["login_url"] is None


def test_a_bad_login_url_at_add_writes_nothing(cli, home):
    cli("club", "list")
    before = db_snapshot(home)
    for bad in ("ftp://members.example.org", "http://members.example.org", "https://"):
        result = add(cli, "https://jct.gametime.net", "--login-url", bad)
        assert result.exit_code == 2 and "--login-url" in result.stderr
    assert add(cli, "simulate:", "--login-url", "https://m.example.org").exit_code == 2
    assert db_snapshot(home) == before


def test_origins():
    assert origin_of("https://JCT.gametime.net/auth?x=1") == Origin("https", "jct.gametime.net",
                                                                    443)
    assert origin_of("http://127.0.0.1:8765/") == Origin("http", "127.0.0.1", 8765)
    assert origin_of("http://[::1]:80") == Origin("http", "::1", 80)
    assert str(Origin("http", "::1", 8080)) == "http://[::1]:8080"
    assert str(Origin("https", "jct.gametime.net", 443)) == "https://jct.gametime.net"
    assert origin_of("https://bücher.example") == origin_of("https://xn--bcher-kva.example")
    for bad in ("http://[::1", "about:blank", "chrome-error://chromewebdata/", "https://"):
        assert origin_of(bad) is None
    assert origin_of("http://a.example:8080") != origin_of("http://a.example:8081")
    assert origin_of("http://a.example") != origin_of("https://a.example")
    assert all(map(is_loopback, ["127.0.0.1", "127.255.0.9", "::1", "localhost", "LOCALHOST"]))
    assert not any(map(is_loopback, ["10.0.0.1", "localhost.example", "::2", "0.0.0.0"]))
    assert check_site_url("http://127.0.0.1:1/") == "http://127.0.0.1:1"


def test_the_guard_keeps_pages_on_the_clubs_origins_and_secrets_off_others():
    guard = OriginGuard([Origin("https", "jct.gametime.net", 443)], ["pa ss&word"])
    assert guard.allows("https://jct.gametime.net/auth", page_load=True)
    assert not guard.allows("https://jct.gametime.net:8443/auth", page_load=True)
    assert not guard.allows("http://jct.gametime.net/auth", page_load=True)
    assert not guard.allows("https://evil.example/auth", page_load=True)
    assert not guard.allows("https://www.google.com/", page_load=True)
    # What a page loads comes from wherever it names: scripts, images, beacons.
    assert guard.allows("https://js-agent.newrelic.com/nr-spa.js", page_load=False)
    assert guard.allows("https://evil.example/pixel.png", page_load=False)
    assert guard.allows("https://bam.nr-data.net/1/x", False, '{"timing": [1, 2]}')
    assert guard.allows("data:image/png;base64,AAAA", page_load=False)
    # ... but never the password, however it is written, nor the form's fields.
    for url, body in [("https://evil.example/k?p=pa+ss%26word", None),
                      ("https://evil.example/k", "p=pa%20ss%26word"),
                      ("https://evil.example/k", '{"typed": "pa ss&word"}'),
                      ("https://evil.example/k", "temp=1&players%5B2%5D%5Bname%5D=Sam"),
                      ("https://evil.example/k?g-recaptcha-response=x", None)]:
        assert not guard.allows(url, False, body), (url, body)
    # The club's own origin takes them (the login form posts the password there).
    assert guard.allows("https://jct.gametime.net/auth", False, "password=pa+ss%26word")
    guard.secrets.add("1234567")
    assert not guard.allows("https://evil.example/b", False, "hold=1234567")


# -- a real browser against sandbox sites --------------------------------------------

def in_a_browser(test):
    """Drives a real Chromium (missing one fails under CI=true: the fixture does that)."""
    for mark in (pytest.mark.browser, pytest.mark.slow, pytest.mark.usefixtures("needs_browser")):
        test = mark(test)
    return test


@pytest.fixture
def sites(opening: datetime):
    """The club's site and another one (another port: another origin), both knowing
    the player's password."""
    config = SandboxConfig(users=[replace(USER)], timezone="UTC", window_days=6,
                           opens_at=opening.time(), seed=5)
    with SandboxSite(config) as club, SandboxSite(replace(config, seed=6)) as other:
        yield club, other


def club_add(gametime, club: SandboxSite, opening: datetime, *extra: str) -> None:
    result = gametime("club", "add", "sb", "--url", club.base_url,
                      "--accept-waiver", "--yes", "--timezone", "UTC",
                      "--window-days", "6", "--opens-at", opening.strftime("%H:%M:%S"), *extra)
    assert result.returncode == 0, result.stderr


def log_in(gametime):
    return gametime("login", "--club", "sb", "--username", USER.username, "--password-stdin",
                    "--store", "file", input=PASSWORD + "\n", timeout=120)


def origin(site: SandboxSite) -> str:
    return str(origin_of(site.base_url))


def never_reached(other: SandboxSite) -> None:
    """The other origin saw nothing: no request at all, so no POST and no password."""
    requests = other.requests()
    assert not [r for r in requests if r["method"] == "POST"]
    assert PASSWORD not in json.dumps(requests)
    assert requests == []
    assert other.bookings() == []


@pytest.mark.parametrize("member_site", [False, True], ids=["stranger", "unnamed-member-site"])
@in_a_browser
def test_a_login_redirected_to_another_origin_types_nothing_there(
        gametime, sites, opening, home, member_site):
    club, other = sites
    club.config.redirects["/auth"] = other.base_url
    if member_site:  # even the club's real member site, until the player names it
        other.config.member_site_for = club.base_url
    club_add(gametime, club, opening)
    result = log_in(gametime)
    assert result.returncode == 3, result.stderr
    [line] = result.stderr.strip().splitlines()
    assert origin(club) in line and origin(other) in line
    assert "--login-url" in line and "not stored" in line
    never_reached(other)
    assert json.loads(gametime("accounts", "--json").stdout) == []
    assert not (home / "credentials.enc").exists()


@in_a_browser
def test_a_booking_form_redirected_elsewhere_stops_the_run(gametime, sites, opening, day):
    club, other = sites
    club_add(gametime, club, opening)
    assert log_in(gametime).returncode == 0
    booking = json.loads(gametime("book", day.isoformat(), "19:00", "--club", "sb",
                                  "--json").stdout)["id"]
    # Mid-run: the login and the day's courts stay home, the booking form goes astray.
    club.config.redirects["/scheduling/index/book/"] = other.base_url
    result = gametime("run-pending", "--json", "--max-wait", "0", timeout=120)
    assert result.returncode == 3, result.stderr
    assert origin(club) in result.stderr and origin(other) in result.stderr
    shown = json.loads(gametime("show", str(booking), "--json").stdout)
    assert shown["status"] == "pending"
    assert origin(other) in shown["last_error"]
    never_reached(other)
    assert club.saves() == [] and club.bookings() == []


@in_a_browser
def test_a_named_member_site_signs_in_and_the_booking_is_made(gametime, sites, opening,
                                                              day):
    club, member = sites
    club.config.redirects["/auth"] = member.base_url
    member.config.member_site_for = club.base_url
    club_add(gametime, club, opening, "--login-url", member.base_url + "/auth")
    login = log_in(gametime)
    assert login.returncode == 0, login.stderr
    # Of the member site, its login page and its post; besides, only what that page
    # loads itself (its reCAPTCHA, and the browser's own ask for an icon).
    asked = [(r["method"], r["path"].split("?")[0]) for r in member.requests()]
    assert [a for a in asked if not a[1].startswith(("/recaptcha/", "/favicon.ico"))] == [
        ("GET", "/auth"), ("POST", "/auth")]
    assert set(asked) <= {("GET", "/auth"), ("POST", "/auth"), ("GET", "/recaptcha/api.js"),
                          ("POST", "/recaptcha/api3/token"), ("GET", "/favicon.ico")}
    booking = json.loads(gametime("book", day.isoformat(), "19:00", "--club", "sb",
                                  "--json").stdout)["id"]
    assert gametime("run-pending", timeout=120).returncode == 0
    shown = json.loads(gametime("show", str(booking), "--json").stdout)
    assert shown["status"] == "confirmed"
    assert [str(b["confirmation"]) for b in club.bookings()] == [shown["confirmation"]]
