"""The sandbox's reCAPTCHA v3 stand-in: the script a page loads, and the judge of what it reports.

The script (`API_SCRIPT`, served as `/recaptcha/api.js`) defines `window.grecaptcha`,
watches the page's input events from the moment it loads, and on `execute` posts the
facts it read to `/recaptcha/api3/token`. `judge` turns those facts, with the token
request's own headers, into flags (short stable strings, `FLAGS`) and `score` into a
score, as reCAPTCHA v3 is known to rate browsers: automation, headless builds, a
browser that lies about itself, and input that no person made. The state keeps the
tokens; nothing here holds any.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

TOKEN_PATH = "/recaptcha/api3/token"
SCRIPT_PATH = "/recaptcha/api.js"
TOKEN_SECONDS = 120.0
"""A token's lifetime, as Google documents it."""
LOGIN_ACTION = "login"
CLEAN_SCORE = 0.9
FLAG_COST = 0.6

WEBDRIVER = "webdriver"
HEADLESS_USER_AGENT = "headless-user-agent"
HEADLESS_CLIENT_HINTS = "headless-client-hints"
CLIENT_HINTS_DISAGREE = "client-hints-disagree"
NO_PLUGINS = "no-plugins"
ONE_LANGUAGE = "one-language"
TIMEZONE = "timezone"
SCREEN = "screen"
UNTRUSTED_INPUT = "untrusted-input"
TYPED_WITHOUT_KEYS = "typed-without-keys"
UNTRUSTED_SUBMIT = "untrusted-submit"
NO_INTERACTION = "no-interaction"
REFUSE_PAGE_SUBMIT = "refuse-page-submit"
"""The `refuse_page_submit` knob refused a token asked from a submit event."""
REFUSE_DIRECT_TOKEN = "refuse-direct-token"
"""The `refuse_direct_token` knob refused a token asked outside a submit event."""
NO_TOKEN = "no-token"
"""A login without a valid token (its session carries it as `login:no-token`)."""
LOGIN_PREFIX = "login:"
FLAGS = (WEBDRIVER, HEADLESS_USER_AGENT, HEADLESS_CLIENT_HINTS, CLIENT_HINTS_DISAGREE,
         NO_PLUGINS, ONE_LANGUAGE, TIMEZONE, SCREEN, UNTRUSTED_INPUT, TYPED_WITHOUT_KEYS,
         UNTRUSTED_SUBMIT, NO_INTERACTION, REFUSE_PAGE_SUBMIT, REFUSE_DIRECT_TOKEN)
"""Every flag `judge` gives, in the order it lists them."""

HTTP_LIBRARIES = ("python-requests", "python-urllib", "Python/", "aiohttp", "httpx", "curl",
                  "Wget", "Go-http-client", "node-fetch", "undici", "axios", "okhttp",
                  "Java/", "libwww-perl", "PostmanRuntime")
"""User-Agent words of HTTP libraries and tools: a save sent by one is refused."""
ACTION_PATTERN = re.compile(r"[A-Za-z0-9/_]+\Z")
"""What Google allows in an action name."""
SITE_KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]+\Z")
HEADLESS = "HeadlessChrome"
CHROME_BRANDS = ("Chromium", "Google Chrome")
_CHROME_VERSION = re.compile(r"Chrome/(\d+)")
_SEC_CH_UA_ITEM = re.compile(r'"([^"]*)"\s*;\s*v\s*=\s*"([^"]*)"')
_PLATFORMS = (("Windows", "Windows"), ("Android", "Android"), ("CrOS", "Chrome OS"),
              ("iPhone", "iOS"), ("iPad", "iOS"), ("Macintosh", "macOS"), ("Linux", "Linux"))
"""A User-Agent's word for its platform -> that platform as userAgentData names it,
first match wins (an Android UA says Linux too)."""


API_SCRIPT = """\
/* The sandbox's stand-in for https://www.google.com/recaptcha/api.js (reCAPTCHA v3). */
(function () {
  'use strict';
  var TOKEN_PATH = 'TOKEN_PATH_HERE';
  var WATCHED = ['click', 'mousedown', 'mouseup', 'keydown', 'keyup', 'beforeinput',
                 'input', 'change', 'submit'];
  var TEXT_TYPES = ['text', 'password', 'search', 'email'];
  var RECENT_MS = 1000;
  var untrusted = [];
  var interactions = 0;
  var typedWithoutKeys = false;
  var keyed = new WeakMap();  // field -> a keydown on it since its last input
  var cause = null;           // the latest click or Enter keydown
  var lastSubmit = null;

  function now() { return performance.now(); }
  function recent(seen) { return seen !== null && now() - seen.at <= RECENT_MS; }
  function isTextField(el) {
    return el instanceof HTMLInputElement && TEXT_TYPES.indexOf(el.type) >= 0;
  }
  function contains(outer, inner) {
    return !!outer && inner instanceof Node && outer.contains(inner);
  }
  function submitTrusted(event) {
    // Caused by a trusted click on its submitter, or a trusted Enter in the form.
    if (!event.isTrusted || !recent(cause) || !cause.trusted) { return false; }
    return cause.kind === 'click' ? contains(event.submitter, cause.target)
                                  : contains(event.target, cause.target);
  }
  function watch(event) {
    var type = event.type;
    var target = event.target;
    if (!event.isTrusted && untrusted.indexOf(type) < 0) { untrusted.push(type); }
    if (event.isTrusted && (type === 'keydown' || type === 'mousedown' || type === 'click')) {
      interactions += 1;
    }
    if (type === 'keydown') {
      keyed.set(target, true);
      if (event.key === 'Enter') {
        cause = {kind: 'enter', target: target, trusted: event.isTrusted, at: now()};
      }
    } else if (type === 'click') {
      cause = {kind: 'click', target: target, trusted: event.isTrusted, at: now()};
    } else if (type === 'input') {
      if (event.isTrusted && event.inputType === 'insertText' && isTextField(target)
          && !keyed.get(target)) {
        typedWithoutKeys = true;
      }
      keyed.delete(target);
    } else if (type === 'submit') {
      lastSubmit = {trusted: submitTrusted(event), at: now()};
    }
  }
  function signals() {
    var data = navigator.userAgentData || null;
    var fromSubmit = recent(lastSubmit);
    return {
      webdriver: navigator.webdriver === undefined ? null : !!navigator.webdriver,
      user_agent: navigator.userAgent,
      brands: data ? data.brands.map(function (b) {
        return {brand: b.brand, version: b.version};
      }) : null,
      platform: data ? data.platform : null,
      plugins: navigator.plugins ? navigator.plugins.length : 0,
      languages: Array.prototype.slice.call(navigator.languages || []),
      timezone: Intl.DateTimeFormat().resolvedOptions().timeZone || null,
      screen: {width: screen.width, height: screen.height},
      window: {width: window.innerWidth, height: window.innerHeight},
      untrusted: untrusted.slice(),
      typed_without_keys: typedWithoutKeys,
      interactions: interactions,
      from_submit: fromSubmit,
      submit_trusted: fromSubmit ? lastSubmit.trusted : null
    };
  }
  WATCHED.forEach(function (type) { document.addEventListener(type, watch, true); });
  window.grecaptcha = {
    ready: function (callback) { setTimeout(callback, 0); },
    execute: function (siteKey, options) {
      var body = JSON.stringify({
        site_key: String(siteKey),
        action: options && options.action ? String(options.action) : '',
        signals: signals()
      });
      return fetch(TOKEN_PATH, {
        method: 'POST', credentials: 'include',
        headers: {'Content-Type': 'application/json'}, body: body
      }).then(function (response) {
        if (!response.ok) { throw new Error('reCAPTCHA: HTTP ' + response.status); }
        return response.json();
      }).then(function (data) { return data.token; });
    }
  };
})();
""".replace("TOKEN_PATH_HERE", TOKEN_PATH)


@dataclass(frozen=True)
class Signals:
    """What the page's script read, each fact defaulting to what a bare client shows."""

    webdriver: bool = False
    user_agent: str = ""
    brands: tuple[tuple[str, str], ...] | None = None
    """(brand, version) of navigator.userAgentData; None without userAgentData."""
    platform: str | None = None
    plugins: int = 0
    languages: tuple[str, ...] = ()
    timezone: str = ""
    screen: tuple[int, int] = (0, 0)
    window: tuple[int, int] = (0, 0)
    """innerWidth, innerHeight."""
    untrusted: tuple[str, ...] = ()
    typed_without_keys: bool = False
    interactions: int = 0
    from_submit: bool = False
    submit_trusted: bool = False


@dataclass(frozen=True)
class TokenAsk:
    """One token request: the key and action `execute` was called with, and the facts."""

    site_key: str
    action: str
    signals: Signals


def _as_int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _as_str(value: object) -> str:
    return value if isinstance(value, str) else ""


def _size(value: object) -> tuple[int, int]:
    if not isinstance(value, Mapping):
        return (0, 0)
    return (_as_int(value.get("width")), _as_int(value.get("height")))


def _brands(value: object) -> tuple[tuple[str, str], ...] | None:
    if not isinstance(value, list):
        return None
    return tuple((_as_str(b.get("brand")), _as_str(b.get("version")))
                 for b in value if isinstance(b, Mapping))


def _strings(value: object) -> tuple[str, ...]:
    return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()


def parse_signals(value: object) -> Signals:
    """The script's `signals` object; a fact missing or of the wrong type is absent."""
    raw = value if isinstance(value, Mapping) else {}
    platform = raw.get("platform")
    return Signals(
        webdriver=raw.get("webdriver") is True,
        user_agent=_as_str(raw.get("user_agent")),
        brands=_brands(raw.get("brands")),
        platform=platform if isinstance(platform, str) else None,
        plugins=_as_int(raw.get("plugins")),
        languages=_strings(raw.get("languages")),
        timezone=_as_str(raw.get("timezone")),
        screen=_size(raw.get("screen")),
        window=_size(raw.get("window")),
        untrusted=_strings(raw.get("untrusted")),
        typed_without_keys=raw.get("typed_without_keys") is True,
        interactions=_as_int(raw.get("interactions")),
        from_submit=raw.get("from_submit") is True,
        submit_trusted=raw.get("submit_trusted") is True,
    )


def parse_ask(body: object) -> TokenAsk:
    """The token request's JSON body: `{"site_key", "action", "signals"}`; ValueError if
    it is not an object with string `site_key` and `action`."""
    if not isinstance(body, Mapping):
        raise ValueError("the body is not a JSON object")
    site_key, action = body.get("site_key"), body.get("action")
    if not isinstance(site_key, str) or not isinstance(action, str):
        raise ValueError("site_key and action must be strings")
    return TokenAsk(site_key, action, parse_signals(body.get("signals")))


def sec_ch_ua_brands(header: str) -> list[tuple[str, str]]:
    """`"Chromium";v="156", "Not:A-Brand";v="8"` -> [("Chromium", "156"), ...]."""
    return _SEC_CH_UA_ITEM.findall(header)


def ua_platform(user_agent: str) -> str | None:
    """The platform a User-Agent names, as userAgentData.platform would say it."""
    for word, platform in _PLATFORMS:
        if word in user_agent:
            return platform
    return None


def hints_disagree(user_agent: str, brands: list[tuple[str, str]] | None,
                   platform: str | None) -> bool:
    """A Chrome User-Agent whose client hints are missing, or name no Chromium brand of
    its major version, or another platform."""
    match = _CHROME_VERSION.search(user_agent)
    if match is None:
        return False  # not Chrome: no client hints to expect
    if brands is None:
        return True
    major = match.group(1)
    if not any(name in CHROME_BRANDS and version.split(".")[0] == major
               for name, version in brands):
        return True
    named = ua_platform(user_agent)
    return platform is not None and named is not None and named != platform.strip('"')


def _client_flags(signals: Signals, headers: Mapping[str, str]) -> list[str]:
    """What the browser says about itself."""
    header_ua = headers.get("user-agent", "")
    sec_ch_ua = headers.get("sec-ch-ua", "")
    brands = list(signals.brands) if signals.brands is not None else None
    disagree = hints_disagree(signals.user_agent, brands, signals.platform) or (
        bool(sec_ch_ua) and hints_disagree(header_ua, sec_ch_ua_brands(sec_ch_ua),
                                           headers.get("sec-ch-ua-platform")))
    return [flag for flag, raised in (
        (WEBDRIVER, signals.webdriver),
        (HEADLESS_USER_AGENT, HEADLESS in signals.user_agent or HEADLESS in header_ua),
        (HEADLESS_CLIENT_HINTS, HEADLESS in sec_ch_ua
         or any(HEADLESS in name for name, _ in brands or [])),
        (CLIENT_HINTS_DISAGREE, disagree),
        (NO_PLUGINS, signals.plugins == 0),
        (ONE_LANGUAGE, len(signals.languages) < 2 or not headers.get("accept-language")),
    ) if raised]


def _input_flags(signals: Signals) -> list[str]:
    """How the page was used before the token was asked."""
    return [flag for flag, raised in (
        (UNTRUSTED_INPUT, bool(signals.untrusted)),
        (TYPED_WITHOUT_KEYS, signals.typed_without_keys),
        (UNTRUSTED_SUBMIT, signals.from_submit and not signals.submit_trusted),
        (NO_INTERACTION, signals.interactions == 0),
    ) if raised]


def judge(ask: TokenAsk, headers: Mapping[str, str], *, timezone: str,
          refuse_page_submit: bool = False, refuse_direct_token: bool = False) -> list[str]:
    """The flags of one token request (headers with lower-case names), in `FLAGS` order.
    `timezone` is the club's zone; the two knobs flag tokens by where they were asked."""
    signals = ask.signals
    flags = _client_flags(signals, headers)
    if signals.timezone != timezone:
        flags.append(TIMEZONE)
    screen, window = signals.screen, signals.window
    if screen[0] <= window[0] and screen[1] <= window[1]:
        flags.append(SCREEN)  # no room around the page for a browser's own window
    flags += _input_flags(signals)
    if refuse_page_submit and signals.from_submit:
        flags.append(REFUSE_PAGE_SUBMIT)
    if refuse_direct_token and not signals.from_submit:
        flags.append(REFUSE_DIRECT_TOKEN)
    return flags


def score(flags: list[str] | tuple[str, ...]) -> float:
    """0.9 without a flag, 0.3 with one, 0.0 with more."""
    return round(max(0.0, CLEAN_SCORE - FLAG_COST * len(flags)), 1)


def refused_user_agent(user_agent: str | None) -> str | None:
    """Why a save's User-Agent header marks it as a bot's, else None."""
    if not user_agent:
        return "no User-Agent header"
    if HEADLESS in user_agent:
        return f"a {HEADLESS} User-Agent"
    lowered = user_agent.casefold()
    for library in HTTP_LIBRARIES:
        if library.casefold() in lowered:
            return f"an HTTP library's User-Agent ({library})"
    return None
