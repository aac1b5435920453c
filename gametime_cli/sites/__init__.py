"""Site drivers, chosen by the club URL's scheme and imported only when needed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gametime_cli.errors import BadInput, EnvironmentProblem

if TYPE_CHECKING:
    from gametime_cli.models import Club
    from gametime_cli.sites.base import Login, SiteDriver

SIMULATE_SCHEME = "simulate:"


def validate_url(url: str) -> str:
    """Accept `simulate:[?options]` and http(s) site URLs; say what is wrong otherwise."""
    from urllib.parse import urlsplit

    if url.startswith(SIMULATE_SCHEME):
        from gametime_cli.sites.simulated import SimulatedOptions

        SimulatedOptions.parse(url)
        return url
    parts = urlsplit(url)
    if parts.scheme in ("http", "https") and parts.hostname:
        return url.rstrip("/")
    raise BadInput(
        f"{url!r} is not a club URL; use the club's GameTime address "
        "(https://CLUB.gametime.net) or simulate: for a simulated site"
    )


def needs_login(club: Club) -> bool:
    """Simulated clubs run without an account; a real site always needs one."""
    return not club.url.startswith(SIMULATE_SCHEME)


def open_driver(club: Club, login: Login | None) -> SiteDriver:
    if club.url.startswith(SIMULATE_SCHEME):
        from gametime_cli.sites.simulated import SimulatedSite

        return SimulatedSite(club, login)
    raise EnvironmentProblem(
        f"club {club.name!r}: the GameTime browser driver is not part of this version; "
        "use a simulate: club for now"
    )


def verify_login(club: Club, login: Login) -> None:
    """Check the credentials with the club's site; BadInput if it refuses them."""
    driver = open_driver(club, login)
    try:
        driver.verify_login()
    finally:
        driver.close()
