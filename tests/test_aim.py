"""Aiming the form's request at the opening: how far ahead to send it, and the shot that
sends it on a connection opened beforehand (a stand-in site on loopback, no browser)."""

from __future__ import annotations

import asyncio
import gzip
import time

import pytest

from gametime_cli.sites.http_shot import Connection, ShotFailed
from gametime_cli.sites.origins import Origin
from gametime_cli.sites.site_clock import AIM_AFTER, ClockEstimate, send_ahead


def test_the_request_leaves_early_by_the_path_and_our_delay_less_the_doubt():
    estimate = ClockEstimate(offset=2.5, uncertainty=0.001, samples=36, latency=0.025,
                             spread=0.003)
    ahead = send_ahead(estimate, send_delay=0.0002)
    assert ahead == pytest.approx(0.025 + 0.0002 - 0.001 - AIM_AFTER)
    # Sent that far ahead, over the fastest path, the request still arrives after the
    # opening.
    assert -ahead + 0.0002 + 0.025 >= AIM_AFTER
    # A site on this machine, with no delay to speak of: sent at the opening, not before.
    assert send_ahead(ClockEstimate(0.0, 0.004, 28, 0.0002, 0.0), 0.0) == 0.0


class StandIn:
    """A loopback site answering each request with the next of `answers`, recording what
    came, on which connection, and when."""

    def __init__(self, answers: list[bytes], close_after: int | None = None):
        self.answers = list(answers)
        self.close_after = close_after
        self.requests: list[tuple[int, bytes, float]] = []
        self.connections = 0
        self.server: asyncio.Server | None = None

    async def __aenter__(self) -> Origin:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return Origin("http", "127.0.0.1", self.server.sockets[0].getsockname()[1])

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        number, served = self.connections, 0
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                self.requests.append((number, head, time.time()))
                writer.write(self.answers.pop(0))
                await writer.drain()
                served += 1
                if self.close_after is not None and served >= self.close_after:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


def answer(status: str, body: bytes, *headers: str) -> bytes:
    head = "".join(f"{h}\r\n" for h in headers)
    return (f"HTTP/1.1 {status}\r\n{head}Content-Length: {len(body)}\r\n\r\n").encode() + body


BROWSER = [("sec-ch-ua", '"Chromium";v="156"'), ("User-Agent", "Mozilla/5.0 Chrome/156.0.0.0"),
           ("Accept-Language", "en-US,en;q=0.9"), ("Cookie", "stale=1"),
           ("Accept-Encoding", "gzip, deflate, br, zstd")]


def test_the_shot_goes_on_the_connection_opened_before_with_the_browsers_headers():
    async def main() -> tuple[StandIn, Origin, list]:
        site = StandIn([answer("302 Found", b"", "Location: /scheduling/index/bookerror"),
                        answer("200 OK", gzip.compress(b"<form>held</form>"),
                               "Content-Encoding: gzip", "Set-Cookie: a=1; Path=/",
                               "Set-Cookie: b=2; Path=/")])
        async with site as origin:
            shot = Connection(origin, timeout=5)
            await shot.connect()
            connected = site.connections
            first = await shot.get("/book/1", BROWSER, "gametime=abc")
            second = await shot.get("/book/1", BROWSER, "gametime=abc")
            shot.close()
        return site, origin, [connected, first, second]

    site, origin, (connected, first, second) = asyncio.run(main())
    assert (first.status, first.header("location")) == (302, "/scheduling/index/bookerror")
    assert second.status == 200 and second.body == b"<form>held</form>"
    # Both Set-Cookie headers reach the page, and no encoding is left to undo.
    assert [v for n, v in second.for_the_page() if n == "Set-Cookie"] == ["a=1; Path=/",
                                                                        "b=2; Path=/"]
    assert not any(n.lower() == "content-encoding" for n, _ in second.for_the_page())
    # One connection, opened before the first request, kept for the second.
    assert connected == 1 and site.connections == 1
    lines = site.requests[0][1].decode().split("\r\n")
    assert lines[0] == "GET /book/1 HTTP/1.1"
    assert lines[1] == f"Host: 127.0.0.1:{origin.port}"
    # The browser's headers in its order; our own cookie and an encoding we can undo.
    names = [line.split(":", 1)[0] for line in lines[2:] if line]
    assert names == ["sec-ch-ua", "User-Agent", "Accept-Language", "Accept-Encoding", "Cookie"]
    assert "Cookie: gametime=abc" in lines and "Cookie: stale=1" not in lines
    assert "Accept-Encoding: gzip, deflate" in lines


def test_a_connection_the_site_closed_while_idle_is_opened_again_once():
    async def main() -> tuple[StandIn, int]:
        site = StandIn([answer("200 OK", b"one"), answer("200 OK", b"two")], close_after=1)
        async with site as origin:
            shot = Connection(origin, timeout=5)
            await shot.get("/a", [], "")
            await asyncio.sleep(0.05)  # the site has closed it by now
            again = await shot.get("/b", [], "")
            shot.close()
        return site, again

    site, again = asyncio.run(main())
    assert again.body == b"two"
    assert site.connections == 2 and [r[0] for r in site.requests] == [1, 2]


def test_a_site_that_never_answers_fails_the_shot_within_its_timeout():
    async def main() -> float:
        async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.read(1 << 16)
            await asyncio.sleep(5)
            writer.close()

        server = await asyncio.start_server(silent, "127.0.0.1", 0)
        origin = Origin("http", "127.0.0.1", server.sockets[0].getsockname()[1])
        begun = time.monotonic()
        try:
            with pytest.raises(ShotFailed, match=r"did not answer within 0\.3 s"):
                await Connection(origin, timeout=0.3).get("/", [], "")
        finally:
            server.close()
        return time.monotonic() - begun

    assert asyncio.run(main()) < 2
