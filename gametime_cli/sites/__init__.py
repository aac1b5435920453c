"""Site drivers, chosen by the club URL's scheme and imported only when needed."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from gametime_cli.errors import BadInput, EnvironmentProblem

if TYPE_CHECKING:
    from datetime import date
    from pathlib import Path

    from gametime_cli.booking.offer import ClubOffer
    from gametime_cli.errors import GametimeError
    from gametime_cli.models import Account, Club
    from gametime_cli.settings import Settings
    from gametime_cli.sites.base import Login, SiteDriver
    from gametime_cli.sites.browser import BrowserHost

SIMULATE_SCHEME = "simulate:"
ARTIFACTS_DIR = "artifacts"


def validate_url(url: str, allow_http: bool = False) -> str:
    """Accept `simulate:[?options]` and https site URLs (plain http on loopback, or
    anywhere with `allow_http`); say what is wrong otherwise."""
    from gametime_cli.sites.origins import check_site_url

    if url.startswith(SIMULATE_SCHEME):
        from gametime_cli.sites.simulated import SimulatedOptions

        SimulatedOptions.parse(url)
        return url
    return check_site_url(url, "--url", allow_http=allow_http)


def validate_login_url(url: str, club_url: str, allow_http: bool = False) -> str:
    """The member site where a GameTime club signs in (`--login-url`), checked as a club
    URL is; its query may stay."""
    from gametime_cli.sites.origins import check_site_url

    if club_url.startswith(SIMULATE_SCHEME):
        raise BadInput("--login-url is for a club on a real site, not a simulate: club")
    return check_site_url(url, "--login-url", allow_http=allow_http, query_ok=True)


def needs_login(club: Club) -> bool:
    """Simulated clubs run without an account; a real site always needs one."""
    return not club.url.startswith(SIMULATE_SCHEME)


def browser_host(settings: Settings, headed: bool = False) -> BrowserHost:
    """The one browser a run shares between its accounts (started when first used):
    as the `browser_mode` setting says, or in a window with `headed` (--headed)."""
    from gametime_cli.sites.browser import BrowserHost, BrowserMode

    return BrowserHost(settings.browser,
                       mode=BrowserMode.HEADED if headed else settings.browser_mode,
                       navigation_timeout=settings.navigation_timeout,
                       action_timeout=settings.action_timeout)


def open_driver(club: Club, login: Login | None, settings: Settings, home: Path,
                headed: bool = False, host: BrowserHost | None = None) -> SiteDriver:
    """The club's driver, as one account. A GameTime club needs a browser: none found is
    exit 3. Given the run's `host`, the driver opens a context on its browser; without,
    it has a browser of its own, closed with it."""
    if club.url.startswith(SIMULATE_SCHEME):
        from gametime_cli.sites.simulated import SimulatedSite

        return SimulatedSite(club, login)
    from gametime_cli.sites.gametime import GameTimeSite

    own = host is None
    host = host or browser_host(settings, headed)
    try:
        host.options  # noqa: B018 -- finds the browser now: none is exit 3
    except BaseException:
        if own:
            host.close()
        raise
    return GameTimeSite(club, login, host, home / ARTIFACTS_DIR, owns_host=own,
                        submit=settings.submit)


def driver_for(club: Club, account: Account | None, settings: Settings, home: Path,
               no_account: Callable[[Club], GametimeError], headed: bool = False,
               host: BrowserHost | None = None) -> SiteDriver:
    """The club's driver, logged in as `account` with the password from where it is
    kept. A club that needs a login and has no account raises `no_account(club)`, the
    caller's words for what to do."""
    from gametime_cli.secrets import credentials
    from gametime_cli.sites.base import Login

    login = None
    if account is not None:
        login = Login(account.username, credentials.load(home, account))
    elif needs_login(club):
        raise no_account(club)
    return open_driver(club, login, settings, home, headed, host=host)


def verify_login(club: Club, login: Login, settings: Settings, home: Path,
                 headed: bool = False, read_day: date | None = None) -> ClubOffer | None:
    """Check the credentials with the club's site; LoginRefused (exit 3) if it refuses
    them, exit 3 too if the site can't be reached or sends the browser elsewhere. With
    `read_day`, then read that day's courts in the same session: what the club serves,
    or None when that read failed (the login stands; the next run reads them)."""
    from gametime_cli.sites.base import AttemptFailed, LoginRefused, OffOrigin

    driver = open_driver(club, login, settings, home, headed)
    try:
        try:
            driver.verify_login()
        except OffOrigin as away:
            raise OffOrigin(f"{away}; the password was not stored") from None
        except LoginRefused as refused:
            raise LoginRefused(
                f"{club.name} refused the login of {login.username} ({refused.reason}); "
                "nothing was stored: check the username and password"
            ) from None
        except AttemptFailed as failed:
            raise EnvironmentProblem(
                f"could not check the login with {club.name}: {failed.outcome.message}; "
                "try again, or store it unchecked with --no-verify"
            ) from None
        if read_day is None:
            return None
        try:
            driver.day_courts(read_day)
        except (AttemptFailed, OffOrigin, LoginRefused) as exc:
            message = exc.outcome.message if isinstance(exc, AttemptFailed) else str(exc)
            logging.getLogger("gametime").warning("could not read %s's courts: %s",
                                                  club.name, message)
            return None
        return driver.offer
    finally:
        driver.close()
