"""Origins (scheme, host, port) and the checks on the URLs a player gives for a club.

A driver talks only to its club's origin, and to the club's member site when the
player names one with --login-url; plain http:// is for loopback (the sandbox) unless
the player accepts it with --allow-http.
"""

from __future__ import annotations

import ipaddress
import re
from typing import NamedTuple
from urllib.parse import urlsplit

from gametime_cli.errors import BadInput

DEFAULT_PORTS = {"http": 80, "https": 443}


class Origin(NamedTuple):
    scheme: str
    host: str
    port: int

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        port = "" if DEFAULT_PORTS.get(self.scheme) == self.port else f":{self.port}"
        return f"{self.scheme}://{host}{port}"


def origin_of(url: str) -> Origin | None:
    """The http(s) origin of `url`; None for another scheme or a malformed URL."""
    try:
        parts = urlsplit(url)
        port = parts.port
        host = (parts.hostname or "").encode("idna").decode("ascii")
    except (ValueError, UnicodeError):
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not host:
        return None
    return Origin(scheme, host, port or DEFAULT_PORTS[scheme])


def path_of(url: str) -> str:
    """A URL's path without its trailing slash (`/` for none): which page it is."""
    return urlsplit(url).path.rstrip("/") or "/"


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 and localhost."""
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


_LABEL = r"[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?"
_HOST_NAME = re.compile(rf"{_LABEL}(\.{_LABEL})*\.?")


def _valid_host(host: str) -> bool:
    """An IP address, or a DNS name (after IDNA) of letters, digits, "-" and "_"."""
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return len(host) <= 253 and _HOST_NAME.fullmatch(host) is not None


def check_site_url(url: str, option: str = "--url", *, allow_http: bool = False,
                   query_ok: bool = False) -> str:
    """An https:// URL (http:// on loopback, or anywhere with `allow_http`) with a host,
    a port in 1-65535, no username or password (and no query unless `query_ok`);
    BadInput saying what is wrong."""
    def bad(problem: str) -> BadInput:
        return BadInput(f"{option} {url!r} {problem}")

    authority = re.split(r"[/?#]", url.split("//", 1)[-1], maxsplit=1)[0]
    if "@" in authority:  # the URL is not repeated: it may hold a password
        raise BadInput(f"{option} carries a username or password (NAME:PASSWORD@); give "
                       "the address alone, and the password to 'gametime login'")
    if not url or any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        raise bad("is not a URL; give the address without spaces")
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise bad(f"is not a valid URL ({exc})") from None
    if parts.scheme.lower() not in DEFAULT_PORTS:
        raise bad("is not a club URL; use the club's GameTime address "
                  "(https://CLUB.gametime.net) or simulate: for a simulated site")
    try:
        port = parts.port
    except ValueError:
        raise bad("has a bad port; a port is a number from 1 to 65535") from None
    if port == 0 or parts.netloc.endswith(":"):
        raise bad("has a bad port; a port is a number from 1 to 65535")
    origin = origin_of(url)
    if origin is None or not _valid_host(origin.host):
        raise bad("has no valid host name; write it as https://HOST[:PORT][/PATH]")
    if (parts.query or parts.fragment) and not query_ok:
        raise bad("has a query or a fragment; give the site's address alone")
    if parts.scheme.lower() == "http" and not allow_http and not is_loopback(parts.hostname or ""):
        raise bad("is plain http:// to another machine: the password would travel in clear; "
                  "use https://, or pass --allow-http to accept that")
    return url.rstrip("/")
