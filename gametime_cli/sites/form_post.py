"""A form's save sent by HTTP from the browser's session, the way a live GameTime club
was recorded to accept it (gametime-site.md, "Automation"): a fresh token from the
page's own reCAPTCHA, then the form's own fields, in the page's order and with its
duplicates, posted with the session's cookies and the browser's own headers, the
redirect read rather than followed.

The reCAPTCHA site key is the `render=` parameter of the page's reCAPTCHA script and
the action is the one the page's own `grecaptcha.execute(...)` call names: both read
from the page, never assumed.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

GATHER_JS = r"""async ([selector, waitMs]) => {
  const form = document.querySelector(selector);
  if (!form) return {problem: 'the page has no booking form'};
  const script = Array.from(document.scripts)
    .find(s => /\/recaptcha\/(api|enterprise)\.js/.test(s.src));
  let key = null, action = null, token = null;
  if (script) {
    key = new URL(script.src, location.href).searchParams.get('render');
    const call = new RegExp('grecaptcha(?:\\.enterprise)?\\.execute\\(\\s*[^,()]*?,'
                            + '\\s*\\{[^}]*?\\baction\\s*:\\s*([\'"])([^\'"]+)\\1');
    for (const s of document.scripts) {
      const found = call.exec(s.textContent || '');
      if (found) { action = found[2]; break; }
    }
    if (!key || key === 'explicit' || !action) {
      return {problem: 'the page does not say how it asks reCAPTCHA for a token', key, action};
    }
    const api = /enterprise\.js/.test(script.src) && window.grecaptcha
      ? window.grecaptcha.enterprise : window.grecaptcha;
    if (!api || !api.execute) return {problem: "the page's reCAPTCHA did not load", key, action};
    try {
      token = await Promise.race([
        new Promise((resolve, reject) => api.ready(
          () => Promise.resolve(api.execute(key, {action})).then(resolve, reject))),
        new Promise((_, reject) => setTimeout(() => reject(new Error('no answer')), waitMs)),
      ]);
    } catch (error) {
      return {problem: `the page's reCAPTCHA gave no token (${error.message})`, key, action};
    }
    let field = form.querySelector('[name="g-recaptcha-response"]');
    if (!field) {
      field = Object.assign(document.createElement('input'),
                            {type: 'hidden', name: 'g-recaptcha-response'});
      form.appendChild(field);
    }
    field.value = token;
  }
  const fields = Array.from(new FormData(form),
                            ([name, value]) => [name, typeof value === 'string' ? value : '']);
  return {fields, target: form.action, method: (form.method || 'get').toLowerCase(),
          key, action, token: token !== null};
}"""
"""In the page: take a fresh token as the page's own submit would, put it where the page
puts it, and read the form's fields as the browser would send them."""

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
