"""Notifications through apprise to a loopback server of the test's own, and the
--on-result command."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

pytest.importorskip("apprise")


@pytest.fixture
def hook():
    """A loopback HTTP server that keeps what is POSTed to it."""
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            received.append(json.loads(body))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"json://127.0.0.1:{server.server_address[1]}/hook", received
    server.shutdown()
    server.server_close()
    thread.join(10)


def club(gametime, name: str, url: str) -> None:
    assert gametime("club", "add", name, "--url", url, "--timezone", "UTC", "--window-days",
                    "7", "--opens-at", "00:00").returncode == 0


def test_results_reach_the_notifier(gametime, hook):
    url, received = hook
    assert gametime("notify", "add", url).returncode == 0
    assert json.loads(gametime("notify", "list", "--json").stdout) == [{"id": 1, "url": url}]
    club(gametime, "ok", "simulate:?success=1&seed=2")
    club(gametime, "down", "simulate:?success=0")
    gametime("config", "set", "max_attempts", "1")
    gametime("book", "tomorrow", "19:00", "--club", "ok", "--court", "2")
    gametime("book", "tomorrow", "20:00", "--club", "down")
    result = gametime("run-pending", "--json")
    assert result.returncode == 1
    titles = sorted(m["title"] for m in received)
    assert titles[0].startswith("Booking failed: down ") and titles[0].endswith(" 20:00")
    assert titles[1].startswith("Court booked: ok ") and titles[1].endswith(" 19:00")
    booked = next(m for m in received if m["title"].startswith("Court booked"))
    confirmation = json.loads(gametime("show", "1", "--json").stdout)["confirmation"]
    assert booked["message"] == f"Court 2, confirmation {confirmation}."
    failed = next(m for m in received if m["title"].startswith("Booking failed"))
    assert "gave up after 1 attempts" in failed["message"]


def test_a_notifier_that_fails_changes_nothing(gametime):
    assert gametime("notify", "add", "json://127.0.0.1:9/nowhere").returncode == 0
    club(gametime, "ok", "simulate:?success=1")
    gametime("book", "tomorrow", "19:00", "--club", "ok")
    result = gametime("run-pending", "--json")
    assert result.returncode == 0
    assert json.loads(result.stdout)["bookings"][0]["status"] == "confirmed"
    assert "notification could not be sent" in result.stderr
    assert gametime("notify", "test").returncode == 3


def test_on_result_runs_a_command_with_the_outcome(gametime, tmp_path):
    out = tmp_path / "result.txt"
    club(gametime, "ok", "simulate:?success=1&seed=4")
    gametime("book", "tomorrow", "19:00", "--club", "ok", "--court", "5")
    command = (f'echo "$GAMETIME_BOOKING_ID $GAMETIME_STATUS $GAMETIME_CLUB $GAMETIME_TIME '
               f'$GAMETIME_COURT $GAMETIME_CONFIRMATION" > {out}')
    assert gametime("run-pending", "--on-result", command).returncode == 0
    confirmation = json.loads(gametime("show", "1", "--json").stdout)["confirmation"]
    assert out.read_text().split() == ["1", "confirmed", "ok", "19:00", "5", confirmation]


def test_bad_notifier_input(gametime):
    bad = gametime("notify", "add", "not a url")
    assert bad.returncode == 2 and "apprise" in bad.stderr
    assert gametime("notify", "remove", "7").returncode == 2
    assert json.loads(gametime("notify", "list", "--json").stdout) == []
