"""A form's save sent by HTTP from the browser's session, the way a live GameTime club
was recorded to accept it (gametime-site.md, "Automation"): a fresh token from the
page's own reCAPTCHA, then the form's own fields, in the page's order and with its
duplicates, posted with the session's cookies and the browser's own headers, the
redirect read rather than followed.

The reCAPTCHA site key is the `render=` parameter of the page's reCAPTCHA script and
the action is the one the page's own `grecaptcha.execute(...)` call names: both read
from the page, never assumed (`gametime/js/gather_form.js`).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

BROWSER_HEADERS = ("user-agent", "accept", "accept-language", "sec-ch-ua", "sec-ch-ua-mobile",
                   "sec-ch-ua-platform", "upgrade-insecure-requests")
"""What the browser sends of itself with a page's request, kept for the session's own
requests: the same browser, to the site."""


@dataclass(frozen=True)
class GatheredForm:
    """What the page gave for posting its form, or why it could not."""

    fields: list[tuple[str, str]]
    target: str
    method: str
    key: str | None
    action: str | None
    problem: str | None = None

    @classmethod
    def from_page(cls, found: dict) -> GatheredForm:
        return cls([(str(n), str(v)) for n, v in found.get("fields") or []],
                   str(found.get("target") or ""), str(found.get("method") or "get"),
                   found.get("key"), found.get("action"), found.get("problem"))


def browser_headers(sent: dict[str, str]) -> dict[str, str]:
    """Of the headers the browser sent with a page, those that describe the browser."""
    return {name: value for name, value in sent.items() if name.lower() in BROWSER_HEADERS}


def save_request(form: GatheredForm, browser: dict[str, str], origin: str,
                 referer: str) -> tuple[dict[str, str], str]:
    """The headers and the body of the form's post: the browser's own headers, `Origin`
    the site's, `Referer` the form's address, the fields urlencoded in their order."""
    headers = {**browser, "content-type": "application/x-www-form-urlencoded",
               "origin": origin, "referer": referer}
    return headers, urlencode(form.fields)
