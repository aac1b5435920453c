"""Finding the Chromium that Playwright drives, and the one browser a run shares."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import shutil
import threading
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from gametime_cli.errors import EnvironmentProblem
from gametime_cli.secrets_env import child_environment, withhold

BROWSER_ENV = "GAMETIME_BROWSER"
HEADLESS_SHELLS = ("chromium-headless-shell",)
"""Chromium's headless shell, as Playwright itself uses for headless runs: no browser
UI, so about half the memory per account of a full Chromium run headless."""
PATH_CANDIDATES = ("chromium", "chromium-browser", "google-chrome")
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
"""Flags that keep a headless, offline server quiet: no calls home, no first-run UI."""

T = TypeVar("T")

NO_BROWSER = (
    "no Chromium found for booking; install one with 'apt-get install chromium' or "
    "'playwright install chromium', or name one with GAMETIME_BROWSER"
)


@dataclass(frozen=True)
class BrowserOptions:
    executable: str
    headed: bool = False
    navigation_timeout: float = 15.0
    action_timeout: float = 5.0


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


def find_browser(configured: str = "", headed: bool = False) -> str:
    """GAMETIME_BROWSER, then the `browser` setting, then Playwright's Chromium, then on
    PATH: chromium-headless-shell (headless runs only), chromium, chromium-browser,
    google-chrome."""
    for source, value in ((BROWSER_ENV, os.environ.get(BROWSER_ENV, "")),
                          ("the browser setting", configured)):
        if value:
            found = value if os.path.isfile(value) and os.access(value, os.X_OK) else None
            found = found or shutil.which(value)
            if not found:
                raise EnvironmentProblem(f"{source} names {value!r}, which is not an executable")
            return found
    own = _playwright_chromium()
    if own:
        return own
    for name in (PATH_CANDIDATES if headed else (*HEADLESS_SHELLS, *PATH_CANDIDATES)):
        found = shutil.which(name)
        if found:
            return found
    raise EnvironmentProblem(NO_BROWSER)


def launch_arguments(headed: bool) -> list[str]:
    args = list(QUIET_FLAGS)
    if os.geteuid() == 0:
        args.append("--no-sandbox")  # Chromium refuses to sandbox as root
    if not headed:
        args.append("--hide-scrollbars")
    return args


class BrowserHost:
    """One Chromium for a whole run, shared by every account it books for.

    Playwright's async API runs on an event loop in a thread of its own; each account
    gets a browser context of its own on the one browser (cookies kept apart). Any
    thread hands the loop a coroutine with `run` and waits for its answer, so accounts
    firing at the same instant really load their forms concurrently. The browser is
    found when first asked for and started when the first context is opened.
    """

    def __init__(self, configured: str = "", *, headed: bool = False,
                 navigation_timeout: float = 15.0, action_timeout: float = 5.0):
        self._configured = configured
        self._headed = headed
        self._timeouts = (navigation_timeout, action_timeout)
        self._options: BrowserOptions | None = None
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._launching: asyncio.Lock | None = None
        self._pw: Any = None
        self._browser: Any = None
        self.send_delays: dict[tuple[str, int], float] = {}
        """Per site and number of accounts firing together, how long this browser takes
        from being asked for their pages to sending the first request: measured once,
        so that every account aims at the same instant."""
        self._rehearsals: dict[tuple[str, int], _Rehearsal] = {}
        self._openings: dict[tuple[str, float], dict[object, int]] = {}

    @contextlib.contextmanager
    def opening(self, site: str, instant: float, account: object) -> Iterator[None]:
        """While an account's lane prepares for and fires at an opening (any thread)."""
        key = (site, instant)
        with self._lock:
            accounts = self._openings.setdefault(key, {})
            accounts[account] = accounts.get(account, 0) + 1
        try:
            yield
        finally:
            with self._lock:
                accounts[account] -= 1
                if not accounts[account]:
                    del accounts[account]
                if not accounts:
                    self._openings.pop(key, None)

    def together(self, site: str, instant: float) -> int:
        """How many accounts fire at this site at this instant (at least 1)."""
        with self._lock:
            return max(1, len(self._openings.get((site, instant), {})))

    async def rehearse(self, site: str, together: int,
                       load: Callable[[], Awaitable[float | None]], wait: float) -> float | None:
        """On the loop: the least delay in sending a page's request when `together`
        accounts ask at once. Each account calls this with `load` (a page load of its
        own, returning its delay); once all have, or `wait` seconds after the first,
        their loads go together a few times, and every caller gets the same answer
        (kept for the run)."""
        key = (site, together)
        if key in self.send_delays:
            return self.send_delays[key]
        rehearsal = self._rehearsals.get(key)
        if rehearsal is None or rehearsal.started:
            rehearsal = self._rehearsals[key] = _Rehearsal(
                asyncio.get_running_loop().create_future())
            asyncio.get_running_loop().call_later(wait, rehearsal.begin, self, key)
        rehearsal.loads.append(load)
        if len(rehearsal.loads) >= together:
            rehearsal.begin(self, key)
        return await asyncio.shield(rehearsal.answer)

    @property
    def options(self) -> BrowserOptions:
        """The browser to drive; EnvironmentProblem (exit 3) when there is none."""
        with self._lock:
            if self._options is None:
                navigation, action = self._timeouts
                self._options = BrowserOptions(find_browser(self._configured, self._headed),
                                               self._headed,
                                               navigation, action)
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

    async def new_context(self) -> Any:
        """A fresh context (its own cookies) on the run's browser, started if need be."""
        if self._launching is None:
            self._launching = asyncio.Lock()
        async with self._launching:
            if self._browser is None:
                from playwright.async_api import async_playwright

                options = self.options
                withhold()  # the driver copies os.environ as it starts
                self._pw = await async_playwright().start()
                try:
                    self._browser = await self._pw.chromium.launch(
                        executable_path=options.executable,
                        headless=not options.headed,
                        args=launch_arguments(options.headed),
                        env=child_environment(),
                        timeout=30_000,
                    )
                except Exception as exc:
                    await self._stop_playwright()
                    raise EnvironmentProblem(
                        f"the browser {options.executable} did not start: {_first_line(exc)}"
                    ) from None
        navigation, action = self._timeouts
        context = await self._browser.new_context()
        context.set_default_navigation_timeout(navigation * 1000)
        context.set_default_timeout(action * 1000)
        return context

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


class BrowserStalled(Exception):
    """The browser's loop did not answer in time."""


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__


REHEARSALS = 5
"""Times the accounts firing together load a page at once while preparing."""


class _Rehearsal:
    """Accounts gathering to time their page loads together."""

    def __init__(self, answer: asyncio.Future[float | None]):
        self.answer = answer
        self.loads: list[Callable[[], Awaitable[float | None]]] = []
        self.started = False
        self.task: asyncio.Future[None] | None = None

    def begin(self, host: BrowserHost, key: tuple[str, int]) -> None:
        if not self.started:
            self.started = True
            self.task = asyncio.ensure_future(self._run(host, key))

    async def _run(self, host: BrowserHost, key: tuple[str, int]) -> None:
        firsts = []
        try:
            for _ in range(REHEARSALS):
                delays = await asyncio.gather(*(load() for load in self.loads),
                                              return_exceptions=True)
                found = [d for d in delays if isinstance(d, float)]
                if found:
                    firsts.append(min(found))
        finally:
            value = min(firsts) if firsts else None
            if value is not None:
                host.send_delays[key] = value
            if not self.answer.done():
                self.answer.set_result(value)
