"""The booking form's request at the opening, sent by the session on a connection it
opened beforehand.

A browser's navigation costs its UI thread milliseconds before the request leaves, and
the full Chromium more than its headless shell (its window's toolbar and tab strip
follow every navigation): accounts firing together queue one behind the other, the
eighth of eight about a hundred ms after the first on a 2-core machine. So at the
opening each account sends the form's GET itself, with the browser's own headers and
the session's cookies, on a kept-alive connection opened while preparing; the page is
then shown that answer without asking the site again (`OriginGuard.serve`). To the
site it is the request the browser would have sent, leaving at the instant aimed for.

A small HTTP/1.1 client on asyncio streams: the request, then the status line, the
headers and the body (by length, chunked, or to the close).
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time
import zlib
from dataclasses import dataclass

from gametime_cli.sites.origins import DEFAULT_PORTS, Origin

ACCEPT_ENCODING = "gzip, deflate"
"""What the shot accepts: the encodings it can undo itself (the browser, shown the
answer, is given it undone)."""
LEFT_OUT = frozenset({"host", "cookie", "content-length", "accept-encoding", "connection"})
"""Of a navigation's headers, those the shot writes itself."""
HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "content-encoding",
                        "content-length", "proxy-connection", "upgrade", "te", "trailer"})
MAX_HEADER_BYTES = 64 * 1024
MAX_BODY_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class Answer:
    status: int
    headers: list[tuple[str, str]]
    """As the site sent them, repeats (Set-Cookie) kept, in order."""
    body: bytes
    """Decoded (no content encoding left)."""

    def header(self, name: str) -> str | None:
        return next((v for n, v in self.headers if n.lower() == name.lower()), None)

    def for_the_page(self) -> list[tuple[str, str]]:
        """The headers to show the browser with the decoded body."""
        return [(n, v) for n, v in self.headers if n.lower() not in HOP_BY_HOP]


class ShotFailed(OSError):
    """The connection or the answer failed."""


class Connection:
    """One kept-alive connection to a site's origin, opened ahead of the opening."""

    def __init__(self, origin: Origin, timeout: float):
        self.origin = origin
        self.timeout = timeout
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self.sent_at: float | None = None
        """When the last request was written (local epoch seconds)."""
        self._answering = False
        """Some of the answer to the last request came."""

    @property
    def host_header(self) -> str:
        host = f"[{self.origin.host}]" if ":" in self.origin.host else self.origin.host
        default = DEFAULT_PORTS.get(self.origin.scheme) == self.origin.port
        return host if default else f"{host}:{self.origin.port}"

    @property
    def open(self) -> bool:
        return self._writer is not None and not self._writer.is_closing()

    async def connect(self) -> None:
        """Open the connection (TCP, and TLS for https) unless it is open."""
        if self.open:
            return
        secure = ssl.create_default_context() if self.origin.scheme == "https" else None
        try:
            self._reader, self._writer = await asyncio.wait_for(asyncio.open_connection(
                self.origin.host, self.origin.port, ssl=secure,
                server_hostname=self.origin.host if secure else None), self.timeout)
        except (TimeoutError, OSError, ssl.SSLError) as exc:
            raise ShotFailed(f"could not connect to {self.origin}: {exc or 'timed out'}") from None

    async def get(self, target: str, headers: list[tuple[str, str]], cookie: str) -> Answer:
        """GET `target` (a path with its query): `headers` in their order, then the
        cookie. An idle connection the site closed meanwhile is opened again once, when
        nothing of an answer came on it."""
        for again in (False, True):
            fresh = not self.open
            await self.connect()
            try:
                return await self._exchange(target, headers, cookie)
            except _ClosedBeforeAnswer:
                self.close()
                if again or fresh:
                    raise ShotFailed(f"{self.origin} closed the connection without an "
                                     f"answer") from None
        raise AssertionError("unreachable")

    async def _exchange(self, target: str, headers: list[tuple[str, str]],
                        cookie: str) -> Answer:
        assert self._reader is not None and self._writer is not None
        lines = [f"GET {target} HTTP/1.1", f"Host: {self.host_header}"]
        lines += [f"{n}: {v}" for n, v in headers if n.lower() not in LEFT_OUT]
        lines.append(f"Accept-Encoding: {ACCEPT_ENCODING}")
        if cookie:
            lines.append(f"Cookie: {cookie}")
        self._writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        self.sent_at = time.time()
        self._answering = False
        try:
            return await asyncio.wait_for(self._answer(), self.timeout)
        except TimeoutError:
            self.close()
            raise ShotFailed(f"{self.origin} did not answer within {self.timeout:g} s") from None
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError) as exc:
            self.close()
            if not self._answering:
                raise _ClosedBeforeAnswer from None
            raise ShotFailed(f"the answer from {self.origin} broke off: {exc}") from None

    async def _answer(self) -> Answer:
        assert self._reader is not None
        reader = self._reader
        status_line = await reader.readline()
        if not status_line:
            raise _ClosedBeforeAnswer
        self._answering = True
        version, _, rest = status_line.decode("latin-1").strip().partition(" ")
        try:
            status = int(rest.split(" ", 1)[0])
        except ValueError:
            raise ShotFailed(f"{self.origin} answered {status_line[:80]!r}") from None
        headers: list[tuple[str, str]] = []
        size = len(status_line)
        while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
            size += len(line)
            if size > MAX_HEADER_BYTES:
                raise ShotFailed(f"{self.origin} sent headers over {MAX_HEADER_BYTES} bytes")
            name, _, value = line.decode("latin-1").partition(":")
            headers.append((name.strip(), value.strip()))
        answer = Answer(status, headers, b"")
        body = await self._body(answer)
        keep = (version == "HTTP/1.1"
                and (answer.header("connection") or "").lower() != "close")
        if not keep:
            self.close()
        return Answer(status, headers, _decoded(body, answer.header("content-encoding")))

    async def _body(self, answer: Answer) -> bytes:
        assert self._reader is not None
        reader = self._reader
        if answer.status in (204, 304) or 100 <= answer.status < 200:
            return b""
        if "chunked" in (answer.header("transfer-encoding") or "").lower():
            parts = []
            total = 0
            while True:
                size = int((await reader.readline()).split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(parts)
                total += size
                if total > MAX_BODY_BYTES:
                    raise ShotFailed(f"{self.origin} sent a body over {MAX_BODY_BYTES} bytes")
                parts.append(await reader.readexactly(size))
                await reader.readline()
        length = answer.header("content-length")
        if length is not None:
            if int(length) > MAX_BODY_BYTES:
                raise ShotFailed(f"{self.origin} sent a body over {MAX_BODY_BYTES} bytes")
            return await reader.readexactly(int(length))
        body = await reader.read(MAX_BODY_BYTES)
        self.close()
        return body

    def close(self) -> None:
        writer, self._writer, self._reader = self._writer, None, None
        if writer is not None:
            with contextlib.suppress(Exception):
                writer.close()


class _ClosedBeforeAnswer(Exception):
    """The site closed the connection before any of an answer came (an idle
    connection it timed out): asking again on a new one is safe."""


def _decoded(body: bytes, encoding: str | None) -> bytes:
    coding = (encoding or "").strip().lower()
    try:
        if coding in ("gzip", "x-gzip"):
            return zlib.decompress(body, 16 + zlib.MAX_WBITS)
        if coding == "deflate":
            try:
                return zlib.decompress(body)
            except zlib.error:
                return zlib.decompress(body, -zlib.MAX_WBITS)
    except zlib.error as exc:
        raise ShotFailed(f"the answer's {coding} body is damaged: {exc}") from None
    if coding not in ("", "identity"):
        raise ShotFailed(f"the site answered in an encoding not asked for: {coding}")
    return body
