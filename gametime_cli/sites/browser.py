"""Finding the Chromium that Playwright drives, and the one browser a run shares.

What the club's site sees of it is a player's own browser: the full Chromium (in its new
headless mode, or headed), `navigator.webdriver` false, its own User-Agent with
`HeadlessChrome` said as `Chrome` (its client hints already name Chromium), a desktop
Chrome's languages, the club's time zone and a desktop's window and screen. Nothing is
injected into its pages and nothing of it is faked.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import shutil
import threading
from collections.abc import Coroutine
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

from gametime_cli.errors import EnvironmentProblem
from gametime_cli.secrets.environment import child_environment, withhold

BROWSER_ENV = "GAMETIME_BROWSER"


class BrowserMode(StrEnum):
    """How the browser runs (the `browser_mode` setting; `--headed` for one command)."""

    HEADLESS = "headless"
    """The full Chromium without a window: to a site, the browser a player runs."""
    LEAN = "lean"
    """Chromium's headless shell: the least memory, and the easiest to tell from a
    player's browser (its client hints say HeadlessChrome, it has no plugins)."""
    HEADED = "headed"
    """The full Chromium in a window; on a machine without a display, on an Xvfb of
    the run's own."""


HEADLESS_SHELLS = ("chromium-headless-shell",)
FULL_BROWSERS = ("chromium", "chromium-browser", "google-chrome")
QUIET_FLAGS = (
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--no-first-run",
    "--no-default-browser-check",
    "--metrics-recording-only",
    "--disable-quic",
)
"""Flags that keep an offline server quiet: no calls home, no first-run UI."""
UNSEEN_FEATURES = ("WebUIOmniboxPopup", "WebUIOmniboxAimPopup")
"""Browser features no page can see that cost a run dearly: the address bar's popup,
which the full Chromium renders ahead in two processes of their own for every context
(window) it opens, about 35 MiB each."""
VIEWPORT = {"width": 1366, "height": 768}
"""A common desktop window's page area ..."""
SCREEN = {"width": 1920, "height": 1080}
"""... on a larger screen, as a player's window sits on theirs."""

T = TypeVar("T")

NO_BROWSER = (
    "no Chromium found for booking; install one with 'apt-get install chromium' or "
    "'playwright install chromium', or name one with GAMETIME_BROWSER"
)
NO_SHELL = (
    "browser_mode lean books with Chromium's headless shell, which is not installed; "
    "install it with 'apt-get install chromium-headless-shell', or book with the full "
    "browser (gametime config set browser_mode headless)"
)


@dataclass(frozen=True)
class BrowserOptions:
    executable: str
    mode: BrowserMode = BrowserMode.HEADLESS
    navigation_timeout: float = 15.0
    action_timeout: float = 5.0

    @property
    def headed(self) -> bool:
        return self.mode is BrowserMode.HEADED


def _playwright_chromium() -> str | None:
    """Playwright's own Chromium, if `playwright install` has put it on this machine."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    withhold()  # the driver copies os.environ as it starts
    try:
        with sync_playwright() as pw:
            path = pw.chromium.executable_path
    except Exception:
        return None
    return path if path and Path(path).is_file() else None


def find_browser(configured: str = "", mode: BrowserMode = BrowserMode.HEADLESS) -> str:
    """GAMETIME_BROWSER, then the `browser` setting; else, for the full browser,
    Playwright's Chromium, then chromium, chromium-browser or google-chrome on PATH;
    for `lean`, chromium-headless-shell on PATH."""
    for source, value in ((BROWSER_ENV, os.environ.get(BROWSER_ENV, "")),
                          ("the browser setting", configured)):
        if value:
            found = value if os.path.isfile(value) and os.access(value, os.X_OK) else None
            found = found or shutil.which(value)
            if not found:
                raise EnvironmentProblem(f"{source} names {value!r}, which is not an executable")
            return found
    if mode is BrowserMode.LEAN:
        for name in HEADLESS_SHELLS:
            if found := shutil.which(name):
                return found
        raise EnvironmentProblem(NO_SHELL)
    own = _playwright_chromium()
    if own:
        return own
    for name in FULL_BROWSERS:
        if found := shutil.which(name):
            return found
    raise EnvironmentProblem(NO_BROWSER)


def launch_arguments(mode: BrowserMode = BrowserMode.HEADLESS) -> list[str]:
    args = [*QUIET_FLAGS,
            "--disable-blink-features=AutomationControlled",  # navigator.webdriver false
            f"--disable-features={','.join(UNSEEN_FEATURES)}"]
    if os.geteuid() == 0:
        args.append("--no-sandbox")  # Chromium refuses to sandbox as root
    if mode is not BrowserMode.HEADED:
        args.append("--hide-scrollbars")
    return args


def players_user_agent(own: str) -> str:
    """The browser's own User-Agent as a player's window would say it."""
    return own.replace("HeadlessChrome/", "Chrome/")


def context_options(user_agent: str, zone: str | None) -> dict[str, Any]:
    """A context's options: the User-Agent, the club's zone, a desktop's window and
    screen. The language is left to the browser, which says what a desktop Chrome
    does (en-US, en); Playwright's `locale` would cut it to one."""
    options: dict[str, Any] = {"user_agent": user_agent, "viewport": VIEWPORT,
                               "screen": SCREEN}
    if zone:
        options["timezone_id"] = zone
    return options


class BrowserHost:
    """One Chromium for a whole run, shared by every account it books for.

    Playwright's async API runs on an event loop in a thread of its own; each account
    gets a browser context of its own on the one browser (cookies kept apart). Any
    thread hands the loop a coroutine with `run` and waits for its answer, so accounts
    firing at the same instant really load their forms concurrently. The browser is
    found when first asked for and started when the first context is opened.
    """

    def __init__(self, configured: str = "", *, mode: BrowserMode = BrowserMode.HEADLESS,
                 navigation_timeout: float = 15.0, action_timeout: float = 5.0):
        self._configured = configured
        self._mode = BrowserMode(mode)
        self._timeouts = (navigation_timeout, action_timeout)
        self._options: BrowserOptions | None = None
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._launching: asyncio.Lock | None = None
        self._pw: Any = None
        self._browser: Any = None
        self._display: Any = None
        self.user_agent = ""
        """What the browser tells sites it is: its own User-Agent, said as a player's."""

    @property
    def options(self) -> BrowserOptions:
        """The browser to drive; EnvironmentProblem (exit 3) when there is none."""
        with self._lock:
            if self._options is None:
                navigation, action = self._timeouts
                self._options = BrowserOptions(find_browser(self._configured, self._mode),
                                               self._mode, navigation, action)
            return self._options

    def _event_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(target=loop.run_forever, name="browser", daemon=True)
                thread.start()
                self._loop, self._thread = loop, thread
            return self._loop

    def run(self, work: Coroutine[Any, Any, T], timeout: float) -> T:
        """Run `work` on the browser's loop and wait at most `timeout` seconds for it."""
        future = asyncio.run_coroutine_threadsafe(work, self._event_loop())
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise BrowserStalled(f"the browser did not answer within {timeout:g} s") from None
        except BaseException:
            future.cancel()
            raise

    async def new_context(self, zone: str | None = None) -> Any:
        """A fresh context (its own cookies) on the run's browser, started if need be,
        as a player's browser in the time zone `zone` (the club's)."""
        if self._launching is None:
            self._launching = asyncio.Lock()
        async with self._launching:
            if self._browser is None:
                await self._launch()
        navigation, action = self._timeouts
        context = await self._browser.new_context(**self.context_options(zone))
        context.set_default_navigation_timeout(navigation * 1000)
        context.set_default_timeout(action * 1000)
        return context

    def launch_arguments(self) -> list[str]:
        """The browser's command line (beyond Playwright's own)."""
        return launch_arguments(self.options.mode)

    def context_options(self, zone: str | None) -> dict[str, Any]:
        """Each account's context, in the club's time zone `zone`."""
        return context_options(self.user_agent, zone)

    async def _launch(self) -> None:
        from playwright.async_api import async_playwright

        options = self.options
        display: dict[str, str] = {}
        if options.headed:
            from gametime_cli.sites.virtual_display import VirtualDisplay, needs_display

            if needs_display():
                self._display = VirtualDisplay()
                display = await asyncio.to_thread(self._display.start)
        withhold()  # the driver copies os.environ as it starts
        self._pw = await async_playwright().start()
        try:
            self._browser = await self._pw.chromium.launch(
                executable_path=options.executable,
                headless=not options.headed,
                args=self.launch_arguments(),
                env=_short_tmpdir(child_environment(display)),
                timeout=30_000,
            )
            session = await self._browser.new_browser_cdp_session()
            version = await session.send("Browser.getVersion")
            await session.detach()
        except Exception as exc:
            await self._shutdown()
            raise EnvironmentProblem(
                f"the browser {options.executable} did not start: {_first_line(exc)}"
            ) from None
        self.user_agent = players_user_agent(version["userAgent"])

    @property
    def started(self) -> bool:
        return self._browser is not None

    async def _stop_playwright(self) -> None:
        if self._pw is not None:
            with contextlib.suppress(Exception):
                await self._pw.stop()
        self._pw = None

    async def _shutdown(self) -> None:
        if self._browser is not None:
            with contextlib.suppress(Exception):
                await self._browser.close()
        self._browser = None
        await self._stop_playwright()
        if self._display is not None:
            await asyncio.to_thread(self._display.stop)
            self._display = None

    def close(self) -> None:
        """Close the browser and end its loop; safe to call twice."""
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is None:
            return
        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        if thread is not None:
            thread.join(10)
        if not loop.is_running():
            loop.close()


SOCKET_PATH_ROOM = 108 - len("/org.chromium.Chromium.XXXXXX/SingletonSocket") - 1
"""The longest TMPDIR the full Chromium can put its singleton's socket under (a Unix
socket's path holds 108 bytes); with a longer one it aborts as it starts."""


def _short_tmpdir(env: dict[str, str]) -> dict[str, str]:
    """The browser's environment, its TMPDIR one its socket fits under."""
    if len(env.get("TMPDIR", "").encode()) > SOCKET_PATH_ROOM:
        return {**env, "TMPDIR": "/tmp"}
    return env


class BrowserStalled(Exception):
    """The browser's loop did not answer in time."""


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__
