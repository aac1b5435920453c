"""The sandbox's asset origin (`scripts_elsewhere`): the pages' scripts from another origin,
as the live site loads New Relic's browser agent and more.

It serves the booking form's and the cancel page's own scripts, and a New-Relic-like agent
that every page loads and that posts one beacon of harmless timing data (the page's path,
its load time) back here, cross-origin. Every request it gets is recorded, headers and
body, in the site's `asset_requests()`: a test can check that no password, cookie or form
field ever reached it. It runs on another loopback address when it can (127.0.0.2 beside
127.0.0.1): a browser sends a host's cookies to every port of it, and the live agent's
host never gets the club's.
"""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from gametime_cli.sandbox import pages
from gametime_cli.sandbox.loopback import LoopbackServer

if TYPE_CHECKING:
    from gametime_cli.sandbox.state import SiteState

AGENT_PATH = "/nr/agent.js"
"""The agent every page loads (in its head)."""
BEACON_PATH = "/nr/beacon"
"""Where the agent posts its beacon: JSON {agent, path, load_ms} as text/plain."""
FORM_SCRIPT_PATH = "/static/booking-form.js"
"""The booking form's own script."""
CANCEL_SCRIPT_PATH = "/static/cancel.js"
"""The two-step cancel page's script (`cancel_steps=2`)."""
AGENT_NAME = "sandbox-nr/1"
SCRIPT_CACHE = "public, max-age=300"
"""Scripts are kept five minutes by the browser, as a CDN's are."""
NEIGHBOURS = {"127.0.0.1": "127.0.0.2"}
"""A club's loopback address -> the asset origin's, when it can be bound."""

_AGENT_SCRIPT = """\
/* The sandbox's stand-in for a New Relic browser agent: one timing beacon a page. */
(function () {
  var sent = false;
  function send() {
    if (sent) { return; }
    sent = true;
    var entries = performance.getEntriesByType ? performance.getEntriesByType('navigation') : [];
    var nav = entries.length ? entries[0] : null;
    var data = {agent: AGENT, path: location.pathname,
                load_ms: Math.round(nav && nav.loadEventStart ? nav.loadEventStart
                                                             : performance.now())};
    fetch(BEACON, {method: 'POST', mode: 'cors', credentials: 'omit', keepalive: true,
                   headers: {'Content-Type': 'text/plain;charset=UTF-8'},
                   body: JSON.stringify(data)}).catch(function () {});
  }
  if (document.readyState === 'complete') { setTimeout(send, 0); }
  else { window.addEventListener('load', function () { setTimeout(send, 0); }); }
})();
"""


def agent_script(beacon_url: str) -> str:
    return pages.with_strings(_AGENT_SCRIPT, BEACON=beacon_url, AGENT=AGENT_NAME)


def form_script(site: SiteState) -> str:
    """The booking form's script for this site, as the form would carry it inline."""
    config = site.config
    return pages.form_script(config.recaptcha_site_key, config.recaptcha_action,
                             hold_updates=config.hold_follows_form, roster=config.roster)


class _AssetHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 30
    server: AssetServer

    def do_GET(self) -> None:
        self._answer("GET")

    def do_POST(self) -> None:
        self._answer("POST")

    def do_OPTIONS(self) -> None:
        self._answer("OPTIONS")

    def _answer(self, method: str) -> None:
        site = self.server.site
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if self.server.stopping.wait(site.one_way()):  # the modelled network, each way
            self.close_connection = True
            return
        status, content_type, payload = self._route(method, urlsplit(self.path).path)
        site.record_asset_request({
            "method": method, "path": self.path, "status": status,
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "body": body.decode("utf-8", "replace")})
        if self.server.stopping.wait(site.one_way()):
            self.close_connection = True
            return
        self.send_response(status)
        self.send_header("Access-Control-Allow-Origin", site.base_url or "*")
        self.send_header("Vary", "Origin")
        if method == "OPTIONS":
            self.send_header("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
            self.send_header("Access-Control-Allow-Headers", "Content-Type")
            self.send_header("Access-Control-Max-Age", "600")
        if content_type:
            self.send_header("Content-Type", content_type)
        cached = content_type.startswith("text/javascript")
        self.send_header("Cache-Control", SCRIPT_CACHE if cached else "no-store")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _route(self, method: str, path: str) -> tuple[int, str, bytes]:
        """(status, content type, body) of a request."""
        if method == "OPTIONS":
            return 204, "", b""
        if method == "POST":
            return (204, "", b"") if path == BEACON_PATH else (404, "text/plain", b"no such\n")
        site = self.server.site
        scripts = {AGENT_PATH: lambda: agent_script(self.server.base_url + BEACON_PATH),
                   FORM_SCRIPT_PATH: lambda: form_script(site),
                   CANCEL_SCRIPT_PATH: pages.cancel_script}
        if path not in scripts:
            return 404, "text/plain", b"no such asset\n"
        return 200, "text/javascript; charset=utf-8", scripts[path]().encode()

    def version_string(self) -> str:
        return "SandboxAssets/1.0"

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: requests are recorded in the site's `asset_requests()`."""


class AssetServer(LoopbackServer):
    """The asset origin of one site."""

    def __init__(self, address: tuple[str, int], site: SiteState) -> None:
        self.site = site
        super().__init__(address, _AssetHandler)

    @classmethod
    def start_near(cls, host: str, site: SiteState) -> AssetServer:
        """Serve beside a club on `host`: on its neighbour address if one can be bound,
        else on `host` itself (another port)."""
        server = None
        if host in NEIGHBOURS:
            try:
                server = cls((NEIGHBOURS[host], 0), site)
            except OSError:
                server = None
        server = server or cls((host, 0), site)
        server.serve_in_thread("sandbox-assets")
        return server
