"""The "fire exactly at T0" baseline of window_race.py: a naive bot, one shot.

Its own headless Chromium (through Playwright) logs in at the site, then at the instant
FIRE_AT (epoch seconds by this machine's clock: the benchmark passes the site's T0 less
the site's clock offset) loads one booking form with `page.goto`, and ends. It sleeps
until the last few milliseconds, then busy-waits, and takes exactly one shot: a form
asked for too early is answered with a 302, which it records and does not retry. When
its request reached the site is read from the site's own request log, by the benchmark.

    naive_bot.py BASE_URL USERNAME BOOK_PATH FIRE_AT READY_BY   (the password on stdin)

Writes one JSON object a line on stdout: `{"event": "ready", "at": ...}` once logged in,
then `{"event": "fired", "sent": ..., "status": ..., "url": ...}`, or
`{"event": "error", "message": ...}` (exit 1). READY_BY is the latest instant it may
still be logging in; after it, it gives up without firing.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

FALLBACK_BROWSER = "/usr/bin/chromium"


def say(**event: object) -> None:
    print(json.dumps(event), flush=True)


def browser_path() -> str:
    """The Chromium gametime itself would use, else the system's."""
    try:
        from gametime_cli.sites.browser import find_browser
        return find_browser()
    except Exception:  # not there, or it found none: the usual place
        return FALLBACK_BROWSER


def main(argv: list[str]) -> int:
    base_url, username, book_path = argv[:3]
    fire_at, ready_by = float(argv[3]), float(argv[4])
    password = sys.stdin.readline().rstrip("\n")  # never in the process's arguments
    from playwright.sync_api import sync_playwright

    from gametime_cli.run.waiting import wait_until  # sleeps, then spins the last 3 ms
    from gametime_cli.sites.browser import launch_arguments

    args = launch_arguments()  # the flags gametime's own browser gets
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=browser_path(), headless=True, args=args)
        try:
            page = browser.new_page()
            page.set_default_timeout(15_000)
            page.goto(base_url + "/auth")
            page.fill("input[name=username]", username)
            page.fill("input[name=password]", password)
            with page.expect_navigation():
                page.press("input[name=password]", "Enter")
            if urlsplit(page.url).path != "/":
                say(event="error", message=f"login refused (at {page.url})")
                return 1
            if time.time() > ready_by:
                say(event="error", message=f"logged in only {time.time() - fire_at:+.1f} s "
                    "from the instant to fire: not fired")
                return 1
            say(event="ready", at=time.time())
            wait_until(fire_at)
            sent = time.time()
            response = page.goto(base_url + book_path)
            redirected = response is not None and response.request.redirected_from is not None
            say(event="fired", sent=sent,
                status=302 if redirected else (response.status if response else None),
                url=page.url)
        finally:
            browser.close()
    return 0


if __name__ == "__main__":
    try:
        raise SystemExit(main(sys.argv[1:]))
    except Exception as exc:  # reported on stdout for the benchmark, and on stderr
        say(event="error", message=f"{type(exc).__name__}: {str(exc).splitlines()[0][:300]}"
            if str(exc) else type(exc).__name__)
        raise
