"""The sandbox's reCAPTCHA v3 stand-in: how it scores what a page reports, and the saves
it refuses as the live site does (a 302 to bookerror, "We could not validate your
booking"). HTTP level with the clean client of test_sandbox.py, then one browser test.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from gametime_cli.sandbox import SandboxConfig, SandboxSite, SandboxUser
from tests.support import debian, missing_part
from tests.test_sandbox import (
    BOOKERROR,
    CHROME_UA,
    SAVE,
    TOKEN,
    Client,
    Reply,
    assert_not_validated,
    book_path,
    filled,
    load_form,
    open_day,
)

if TYPE_CHECKING:
    from playwright.sync_api import Page

CONFIRMED = "/scheduling/confirmation/history/sport/1/id/"
HEADLESS_UA = CHROME_UA.replace("Chrome/", "HeadlessChrome/")


@pytest.fixture
def site(make_simple_site: Callable[..., SandboxSite]) -> SandboxSite:
    return make_simple_site()


def logged_in(site: SandboxSite, **login_changes: object) -> Client:
    client = Client(site.base_url, site.config.timezone)
    client.login(**login_changes)
    return client


def booked(reply: Reply) -> bool:
    return reply.status == 302 and (reply.location or "").startswith(CONFIRMED)


def test_the_pages_load_the_script_and_name_the_key_and_action(site: SandboxSite) -> None:
    key = site.config.recaptcha_site_key
    assert re.fullmatch(r"6L[A-Za-z0-9_-]{38}", key)
    client = logged_in(site)
    login = client.get("/auth").text
    assert f'<script src="/recaptcha/api.js?render={key}"></script>' in login
    assert f"grecaptcha.execute('{key}', {{action: 'login'}})" in login
    assert 'name="g-recaptcha-response"' in login
    form = client.get(book_path(site, 1, open_day(site), 1140)).text
    assert f'<script src="/recaptcha/api.js?render={key}"></script>' in form
    assert form.count(f"grecaptcha.execute('{key}', {{action: 'homepage'}})") == 2
    assert "elements['duration']" not in form
    script = client.get("/recaptcha/api.js?render=" + key)
    assert script.status == 200 and "javascript" in script.headers["Content-Type"]
    assert "window.grecaptcha" in script.text and TOKEN in script.text


def test_a_key_and_action_of_ones_own(make_simple_site: Callable[..., SandboxSite]) -> None:
    own = make_simple_site(recaptcha_site_key="6Lsandbox-key_1", recaptcha_action="book/court")
    assert "grecaptcha.execute('6Lsandbox-key_1', {action: 'book/court'})" in logged_in(
        own).get(book_path(own, 1, open_day(own), 1140)).text
    with pytest.raises(ValueError, match="recaptcha_action"):
        SandboxSite(SandboxConfig(recaptcha_action="it's"))
    with pytest.raises(ValueError, match="recaptcha_site_key"):
        SandboxSite(SandboxConfig(recaptcha_site_key="6L<script>"))


def test_the_token_route_takes_json_only(site: SandboxSite) -> None:
    client = Client(site.base_url)
    for body in (b"", b"not json", b"[]", json.dumps({"site_key": 1, "action": "x"}).encode()):
        reply = client.post_bytes(TOKEN, body, {"Content-Type": "application/json"})
        assert reply.status == 400 and "error" in json.loads(reply.text)
    assert site.bot_checks() == []


def test_a_clean_browser_scores_0_9_and_books(site: SandboxSite) -> None:
    client = logged_in(site)
    form = load_form(client, site, 2, open_day(site), 1140)
    assert booked(client.post(SAVE, filled(client.signed_form(form))))
    assert [(c["action"], c["session"], c["score"], c["flags"], c["from_submit"])
            for c in site.bot_checks()] == [("login", None, 0.9, [], True),
                                           ("homepage", "s1", 0.9, [], True)]
    saved = site.saves()[-1]
    assert (saved["score"], saved["flags"]) == (0.9, [])
    assert (saved["user_agent"], saved["origin"]) == (CHROME_UA, site.base_url)
    assert saved["content_type"] == "application/x-www-form-urlencoded"


WINDOWS_UA = CHROME_UA.replace("X11; Linux x86_64", "Windows NT 10.0; Win64; x64")
SINGLE_FLAGS = {
    "webdriver": {"webdriver": True},
    "headless-user-agent": {"user_agent": HEADLESS_UA},
    "headless-client-hints": {"brands": [{"brand": "Chromium", "version": "156"},
                                         {"brand": "HeadlessChrome", "version": "156"}]},
    "client-hints-disagree/version": {"brands": [{"brand": "Chromium", "version": "120"}]},
    "client-hints-disagree/platform": {"user_agent": WINDOWS_UA},
    "client-hints-disagree/none": {"brands": None, "platform": None},
    "no-plugins": {"plugins": 0},
    "one-language": {"languages": ["en-US"]},
    "timezone": {"timezone": "UTC"},
    "screen": {"screen": {"width": 1366, "height": 768}},
    "untrusted-input": {"untrusted": ["input", "change"]},
    "typed-without-keys": {"typed_without_keys": True},
    "untrusted-submit": {"submit_trusted": False},
    "no-interaction": {"interactions": 0, "from_submit": False, "submit_trusted": None},
}


@pytest.mark.parametrize("case", sorted(SINGLE_FLAGS))
def test_each_flag_alone_scores_0_3_and_the_save_is_refused(site: SandboxSite,
                                                            case: str) -> None:
    client = logged_in(site)
    form = load_form(client, site, 1, open_day(site), 1140)
    reply = client.post(SAVE, filled(client.signed_form(form, **SINGLE_FLAGS[case])))
    flag = case.split("/")[0]
    assert (site.bot_checks()[-1]["flags"], site.bot_checks()[-1]["score"]) == ([flag], 0.3)
    assert_not_validated(client, reply)
    saved = site.saves()[-1]
    assert (saved["score"], saved["flags"]) == (0.3, [flag])
    assert saved["reason"] == "not validated: a score of 0.3 (below 0.5)"
    assert site.bookings() == []


def test_no_accept_language_header_is_one_language(site: SandboxSite) -> None:
    client = logged_in(site)
    form = load_form(client, site, 1, open_day(site), 1140)
    client.headers.pop("Accept-Language")
    assert_not_validated(client, client.post(SAVE, filled(client.signed_form(form))))
    assert site.saves()[-1]["flags"] == ["one-language"]


def test_a_headless_chrome_sec_ch_ua_header(site: SandboxSite) -> None:
    client = logged_in(site)
    client.headers["sec-ch-ua"] = '"Chromium";v="156", "HeadlessChrome";v="156"'
    client.token()
    assert site.bot_checks()[-1]["flags"] == ["headless-client-hints"]


def test_two_flags_score_nothing(site: SandboxSite) -> None:
    client = logged_in(site)
    client.token(webdriver=True, plugins=0)
    assert (site.bot_checks()[-1]["flags"], site.bot_checks()[-1]["score"]) == (
        ["webdriver", "no-plugins"], 0.0)


def test_the_hold_survives_a_refusal_and_a_fresh_token_books(site: SandboxSite) -> None:
    client = logged_in(site)
    form = filled(load_form(client, site, 3, open_day(site), 1140))
    assert_not_validated(client, client.post(SAVE, client.signed_form(form, webdriver=True)))
    assert booked(client.post(SAVE, client.signed_form(form)))
    assert [b["court"] for b in site.bookings()] == [3]


def test_the_refusal_is_told_until_the_next_form(site: SandboxSite) -> None:
    client = logged_in(site)
    day = open_day(site)
    form = filled(load_form(client, site, 3, day, 1140))
    assert_not_validated(client, client.post(SAVE, form))  # no token at all
    assert "could not validate" in client.get(BOOKERROR).text  # still, until a form
    load_form(client, site, 3, day, 1140)
    assert "could not validate" not in client.get(BOOKERROR).text


def test_the_page_load_token_fails_when_reused_for_the_save(site: SandboxSite) -> None:
    """As recorded: taken before anyone touched the page, it has no interaction."""
    client = logged_in(site)
    form = load_form(client, site, 1, open_day(site), 1140)
    at_load = client.token(interactions=0, from_submit=False, submit_trusted=None)
    assert_not_validated(client, client.post(
        SAVE, filled({**form, "g-recaptcha-response": at_load})))
    assert site.saves()[-1]["flags"] == ["no-interaction"]


def test_a_reused_token_is_refused(site: SandboxSite) -> None:
    client = logged_in(site)
    form = client.signed_form(filled(load_form(client, site, 1, open_day(site), 1140)))
    mismatch = client.post(SAVE, {**form, "time": "1170"})  # checked, so spent
    assert mismatch.status == 200 and "does not match your hold" in mismatch.text
    assert_not_validated(client, client.post(SAVE, form))
    assert site.saves()[-1]["reason"] == "not validated: a reCAPTCHA token used before"


def test_a_token_lives_two_minutes_by_the_sites_clock(site: SandboxSite) -> None:
    client = logged_in(site)
    form = filled(load_form(client, site, 1, open_day(site), 1140))
    old = client.signed_form(form)
    site.set_clock_offset(120.5)
    assert_not_validated(client, client.post(SAVE, old))
    assert site.saves()[-1]["reason"] == "not validated: an expired reCAPTCHA token"
    fresh = client.signed_form(form)
    site.set_clock_offset(120.5 + 119)  # the hold (five minutes) still stands
    assert booked(client.post(SAVE, fresh))


@pytest.mark.parametrize(("ask", "reason"), [
    ({"action": "login"}, "a reCAPTCHA token for the action 'login'"),
    ({"action": "submit"}, "a reCAPTCHA token for the action 'submit'"),
    ({"site_key": "6L" + "x" * 38}, "a reCAPTCHA token for another site key"),
])
def test_a_token_for_another_action_or_key_is_refused(site: SandboxSite, ask: dict,
                                                      reason: str) -> None:
    client = logged_in(site)
    form = filled(load_form(client, site, 1, open_day(site), 1140))
    token = client.token(**ask)
    assert_not_validated(client, client.post(SAVE, {**form, "g-recaptcha-response": token}))
    assert site.saves()[-1]["reason"] == f"not validated: {reason}"


def test_a_token_of_another_session_or_of_none_is_refused(
        make_simple_site: Callable[..., SandboxSite]) -> None:
    two = make_simple_site(users=[SandboxUser("jo", "a", 4411, "Jo, Test"),
                           SandboxUser("sam", "b", 4412, "Sam, Test")])
    jo, sam = Client(two.base_url), Client(two.base_url)
    jo.login("jo", "a")
    sam.login("sam", "b")
    form = filled(load_form(jo, two, 1, open_day(two), 1140))
    for token in (sam.token(), Client(two.base_url).token()):
        assert_not_validated(jo, jo.post(SAVE, {**form, "g-recaptcha-response": token}))
        assert two.saves()[-1]["reason"] == "not validated: a reCAPTCHA token of another session"
    assert [c["session"] for c in two.bot_checks()[-2:]] == ["s2", None]
    assert booked(jo.post(SAVE, jo.signed_form(form)))


HTTP_LIBRARY_AGENTS = [
    "python-requests/2.32.3", "Python-urllib/3.12", "Python/3.12 aiohttp/3.9.5",
    "python-httpx/0.27.0", "curl/8.5.0", "Wget/1.21.4", "Go-http-client/1.1",
    "node-fetch/1.0 (+https://github.com/bitinn/node-fetch)", "undici", "axios/1.7.2",
    "okhttp/4.12.0", "Java/17.0.2", "libwww-perl/6.76", "PostmanRuntime/7.39.0",
]


@pytest.mark.parametrize("agent", [*HTTP_LIBRARY_AGENTS, HEADLESS_UA, None])
def test_a_save_from_an_http_library_or_headless_is_refused(site: SandboxSite,
                                                            agent: str | None) -> None:
    client = logged_in(site)
    form = client.signed_form(filled(load_form(client, site, 1, open_day(site), 1140)))
    if agent is None:  # no User-Agent header at all
        client.opener.addheaders = []
        client.headers.pop("User-Agent")
    else:
        client.headers["User-Agent"] = agent
    assert_not_validated(client, client.post(SAVE, form))
    saved = site.saves()[-1]
    assert saved["user_agent"] == agent and "User-Agent" in saved["reason"]
    assert (saved["score"], saved["flags"]) == (0.9, [])  # the token itself was clean
    client.headers["User-Agent"] = CHROME_UA
    assert booked(client.post(SAVE, client.signed_form(form)))  # the hold stayed


def test_a_flagged_login_taints_the_sessions_save(site: SandboxSite) -> None:
    client = logged_in(site, typed_without_keys=True)  # filled in, not typed
    assert site.bot_checks()[0]["flags"] == ["typed-without-keys"]
    form = load_form(client, site, 1, open_day(site), 1140)
    assert_not_validated(client, client.post(SAVE, filled(client.signed_form(form))))
    saved = site.saves()[-1]
    assert (saved["score"], saved["flags"]) == (0.3, ["login:typed-without-keys"])


@pytest.mark.parametrize("token", [None, "", "made-up", "spent"])
def test_a_login_without_a_valid_token_logs_in_but_taints(site: SandboxSite,
                                                          token: str | None) -> None:
    client = Client(site.base_url)
    fields = {"username": "member", "password": "secret"}
    if token == "spent":
        token = client.token("login")
        assert client.post("/auth", {**fields, "g-recaptcha-response": token}).status == 302
        client = Client(site.base_url)
    if token is not None:
        fields["g-recaptcha-response"] = token
    assert client.post("/auth", fields).location == "/"
    form = load_form(client, site, 1, open_day(site), 1140)
    assert_not_validated(client, client.post(SAVE, filled(client.signed_form(form))))
    assert site.saves()[-1]["flags"] == ["login:no-token"]


def test_a_json_login_without_a_token_taints_too(site: SandboxSite) -> None:
    client = Client(site.base_url)
    reply = client.post("/auth/json-index", {"username": "member", "password": "secret"})
    assert json.loads(reply.text)["code"] == 200
    form = load_form(client, site, 1, open_day(site), 1140)
    assert_not_validated(client, client.post(SAVE, filled(client.signed_form(form))))
    assert site.saves()[-1]["flags"] == ["login:no-token"]


def test_refuse_page_submit(make_simple_site: Callable[..., SandboxSite]) -> None:
    strict = make_simple_site(refuse_page_submit=True)
    client = logged_in(strict)  # the login page's own submit is never refused
    form = filled(load_form(client, strict, 1, open_day(strict), 1140))
    assert_not_validated(client, client.post(SAVE, client.signed_form(form)))
    assert strict.saves()[-1]["flags"] == ["refuse-page-submit"]
    direct = client.signed_form(form, from_submit=False, submit_trusted=None)
    assert booked(client.post(SAVE, direct))


def test_refuse_direct_token(make_simple_site: Callable[..., SandboxSite]) -> None:
    strict = make_simple_site(refuse_direct_token=True)
    client = logged_in(strict)
    form = filled(load_form(client, strict, 1, open_day(strict), 1140))
    direct = client.signed_form(form, from_submit=False, submit_trusted=None)
    assert_not_validated(client, client.post(SAVE, direct))
    assert strict.saves()[-1]["flags"] == ["refuse-direct-token"]
    assert booked(client.post(SAVE, client.signed_form(form)))


def test_without_the_bot_check_any_valid_token_passes(
        make_simple_site: Callable[..., SandboxSite]) -> None:
    lax = make_simple_site(bot_check=False)
    client = logged_in(lax, webdriver=True)
    day = open_day(lax)
    form = filled(load_form(client, lax, 1, day, 1140))
    assert_not_validated(client, client.post(SAVE, form))  # still no token, no booking
    client.headers["User-Agent"] = "python-requests/2.32.3"
    assert booked(client.post(SAVE, client.signed_form(form, plugins=0, untrusted=["click"])))
    assert lax.saves()[-1]["flags"] == ["no-plugins", "untrusted-input", "login:webdriver"]
    assert lax.saves()[-1]["score"] == 0.0


class _OrderedForm(HTMLParser):
    """A form's controls in document order: (kind, name, value)."""

    def __init__(self) -> None:
        super().__init__()
        self.controls: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        name = named.get("name")
        if tag in ("input", "select") and name:
            kind = "select" if tag == "select" else named.get("type") or "text"
            self.controls.append((kind, name, named.get("value") or ""))


def as_a_browser_posts(page: str, choices: dict[str, str]) -> list[tuple[str, str]]:
    """The pairs a browser sends for the page's form, in order: a select or radio group
    by its choice (a radio group where its first radio is), a text field by what was
    typed in it, the token as the page's script sets it, other hidden fields as they are."""
    parser = _OrderedForm()
    parser.feed(page)
    pairs: list[tuple[str, str]] = []
    for kind, name, value in parser.controls:
        if kind == "select" or (kind == "radio" and all(n != name for n, _ in pairs)):
            pairs.append((name, choices[name]))
        elif kind == "text" or name == "g-recaptcha-response":
            pairs.append((name, choices.get(name, value)))
        elif kind == "hidden":
            pairs.append((name, value))
    return pairs


RECORDED_ORDER = [
    "edit", "is_register", "rt_key", "temp", "upd", "duration", "g-recaptcha-response",
    "court", "date", "time", "sportSel", "duration", "rtype", "invite_for",
    "players[1][user_id]", "players[1][name]", "players[2][name]", "players[3][name]",
    "players[4][name]", "payee_hide", "bookingWaiverPolicy",
]


def test_the_save_keeps_its_fields_in_order_and_books_the_last_duration(
        site: SandboxSite) -> None:
    client = logged_in(site)
    day = open_day(site)
    page = client.get(book_path(site, 4, day, 1140)).text
    choices = {"duration": "90", "rtype": "1", "players[2][name]": "Partner, Sam",
               "g-recaptcha-response": client.token()}
    pairs = as_a_browser_posts(page, choices)
    assert [name for name, _ in pairs] == RECORDED_ORDER
    values = dict(pairs)
    assert (values["date"], values["payee_hide"], values["bookingWaiverPolicy"]) == (
        day.isoformat(), "4411", "true")
    assert [v for n, v in pairs if n == "duration"] == ["30", "90"]
    assert booked(client.post(SAVE, pairs))
    assert site.saves()[-1]["fields"] == pairs
    assert site.bookings()[0]["duration"] == 90

    # The last of the two counts, whichever it is.
    page = client.get(book_path(site, 4, day, 1260)).text
    pairs = as_a_browser_posts(page, {**choices, "g-recaptcha-response": client.token()})
    fixed, chosen = pairs.index(("duration", "30")), pairs.index(("duration", "90"))
    pairs[fixed], pairs[chosen] = pairs[chosen], pairs[fixed]
    assert booked(client.post(SAVE, pairs))
    assert site.bookings()[1]["duration"] == 30


# The browser: a person's keys and mouse, in a browser that says what a desktop's does.

CHROMIUM = Path("/usr/bin/chromium")
HEADLESS_SHELL = Path("/usr/bin/chromium-headless-shell")


def _book_by_hand(page: Page, site: SandboxSite, day: date) -> str:
    """Log in by typing, choose the type and length by keys, click the button with the
    mouse; the address the save lands on."""
    base = site.base_url
    page.goto(base + "/auth")
    page.click("#username")
    page.keyboard.type("member")
    page.click("#password")
    page.keyboard.type("secret")
    page.keyboard.press("Enter")
    page.wait_for_url(base + "/")
    page.goto(base + book_path(site, 2, day, 1140))
    page.focus("#rtype-13")
    page.keyboard.press("Space")
    page.focus("#duration")
    page.keyboard.press("ArrowDown")  # 30 minutes
    page.keyboard.press("ArrowDown")  # 1 hour
    assert page.input_value("#duration") == "60"
    box = page.locator("#book-button").bounding_box()
    with page.expect_navigation():
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    return page.url


@pytest.mark.browser
def test_a_persons_browser_books_and_a_headless_shell_is_refused(
        make_simple_site: Callable[..., SandboxSite]) -> None:
    for path, package in ((CHROMIUM, "chromium"), (HEADLESS_SHELL, "chromium-headless-shell")):
        if not path.exists():
            missing_part(f"{path} for the bot check's browser test", debian(package))
    from playwright.sync_api import sync_playwright

    root = ["--no-sandbox"] if os.geteuid() == 0 else []
    person, bot = make_simple_site(), make_simple_site()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True,
            args=[*root, "--disable-blink-features=AutomationControlled"])
        try:
            own = browser.new_page()
            agent = own.evaluate("navigator.userAgent").replace("HeadlessChrome", "Chrome")
            own.close()
            context = browser.new_context(
                user_agent=agent, timezone_id=person.config.timezone,
                viewport={"width": 1366, "height": 768}, screen={"width": 1920, "height": 1080})
            landed = _book_by_hand(context.new_page(), person, open_day(person))
        finally:
            browser.close()
        shell = playwright.chromium.launch(executable_path=str(HEADLESS_SHELL), headless=True,
                                           args=root)
        try:
            page = shell.new_page()
            refused = _book_by_hand(page, bot, open_day(bot))
            told = page.inner_text("div.error")
        finally:
            shell.close()

    [booking] = person.bookings()
    assert landed.endswith(f"{CONFIRMED}{booking['id']}")
    assert (person.saves()[-1]["score"], person.saves()[-1]["flags"]) == (0.9, [])
    assert refused == bot.base_url + BOOKERROR and "could not validate your booking" in told
    assert bot.bookings() == []
    assert {"webdriver", "headless-user-agent", "headless-client-hints", "no-plugins"} <= set(
        bot.saves()[-1]["flags"])
