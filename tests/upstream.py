"""A stand-in remote API on 127.0.0.1 that records every request it receives (for HTTP service tests).

Paths: `/openapi.json` serves its `openapi` (`OPENAPI` unless a test sets another), `/slow` answers
after `SLOW_SECONDS`, `/big` sends `BIG_BYTES`, `/redirect` an absolute 302, `/trickle/<part>` sends
its headers (`head`), its body
(`body`) or its body without a length (`unsized`) one byte every `TRICKLE_SECONDS`, anything else
echoes the method, path and body as JSON, with a cookie and hop-by-hop headers the proxy must drop
(under `/close/`, then closes the connection). `/hostile` answers headers a browser would act on for
the platform's origin (`HOSTILE_HEADERS`), `/location/<base64url>` redirects to that value as it is,
`/header/<name>/<base64url>` answers 200 with that header (several: `/header/<name>/<b64>/<b64>...`), and
`/status/<n>` answers status n with a body even where none may be (1xx, 204, 304). `/tell-all` echoes
everything it got, headers and query included, in the body and in `X-Seen-*` headers, as an echo
endpoint or a chatty error page would (`/tell-all-gzip`: the body compressed with gzip);
`/encoded/<coding>` claims that coding.
"""

from __future__ import annotations

import base64
import gzip
import html
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SLOW_SECONDS = 3
# What `/openapi.json` serves: the remote API's own document.
OPENAPI = {
    "openapi": "3.0.3",
    "info": {"title": "Stand-in", "version": "1"},
    "servers": [{"url": "https://upstream.invalid/1.1"}],
    "paths": {
        "/statuses/home_timeline": {"get": {"responses": {"200": {"description": "ok"}}}},
        "/statuses/update": {"post": {"responses": {"200": {"description": "ok"}}}},
        "/statuses/{id}": {
            "get": {"responses": {"200": {"description": "ok"}}},
            "delete": {"responses": {"200": {"description": "ok"}}},
        },
        "/users/show": {"get": {"responses": {"200": {"description": "ok"}}}},
    },
}
BIG_BYTES = 256 * 1024
# Headers that, on the platform's origin, would set or clear its cookies and storage, send its error
# reports elsewhere, move or prompt the page, loosen its framing or CORS, or name a hop-by-hop header.
HOSTILE_HEADERS = [
    ("Set-Cookie", "a=1"),
    ("Set-Cookie", "b=2; Domain=example.com"),
    ("Clear-Site-Data", '"*"'),
    ("NEL", '{"report_to":"x","max_age":31536000,"include_subdomains":true}'),
    ("Report-To", '{"group":"x","max_age":31536000,"endpoints":[{"url":"https://evil.invalid/r"}]}'),
    ("Reporting-Endpoints", 'x="https://evil.invalid/r"'),
    ("Refresh", "0; url=https://evil.invalid/"),
    ("WWW-Authenticate", 'Basic realm="x"'),
    ("Content-Security-Policy", "script-src *"),
    ("Strict-Transport-Security", "max-age=0"),
    ("X-Frame-Options", "ALLOWALL"),
    ("Cross-Origin-Resource-Policy", "cross-origin"),
    ("Timing-Allow-Origin", "*"),
    ("Access-Control-Allow-Origin", "*"),
    ("Access-Control-Allow-Credentials", "true"),
    ("Cache-Control", "public, max-age=86400"),
    ("X-Request-Id", "upstream-chosen"),
    ("Connection", "X-Hop-Secret"),
    ("X-Hop-Secret", "hop"),
    ("Content-Type", "text/html"),
    ("ETag", '"v1"'),
    ("X-RateLimit-Remaining", "9"),
]
# A trickle lasts TRICKLE_BYTES * TRICKLE_SECONDS (4.5 s), each read well within a 1 s timeout.
TRICKLE_SECONDS = 0.3
TRICKLE_BYTES = 15
STRAY_DELAY = 0.3


@dataclass
class Seen:
    """One request as the upstream received it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Upstream:
    """A running stand-in and what it received."""

    server: ThreadingHTTPServer
    seen: list[Seen] = field(default_factory=list)
    openapi: object = field(default_factory=lambda: OPENAPI)  # a dict as JSON, bytes as they are

    @property
    def port(self) -> int:
        """The port it listens on."""
        return self.server.server_address[1]

    @property
    def url(self) -> str:
        """Its base URL."""
        return f"http://127.0.0.1:{self.port}"

    def last(self) -> Seen:
        """The last request received."""
        return self.seen[-1]

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self.server.shutdown()
        self.server.server_close()


def _handler(upstream: Upstream) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_args) -> None:
            """Quiet: the test asserts on `seen`."""

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            seen = Seen(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            upstream.seen.append(seen)
            if self.path.startswith("/trickle/"):
                self._trickle(self.path.removeprefix("/trickle/"))
                return
            if self.path.startswith("/slow"):
                time.sleep(SLOW_SECONDS)
            if self.path.startswith("/redirect"):
                self._send(302, b"", {"Location": f"http://127.0.0.1:{upstream.port}/elsewhere"})
                return
            if self.path.startswith("/hostile"):
                self._send(200, b"<script>alert(1)</script>", {}, HOSTILE_HEADERS)
                return
            if self.path.startswith("/encoded/"):
                coding = self.path.removeprefix("/encoded/")
                self._send(200, b"xx", {"Content-Type": "text/plain", "Content-Encoding": coding})
                return
            if self.path.startswith("/tell-all"):
                self._tell_all(seen)
                return
            if self.path.startswith("/location/"):
                where = base64.urlsafe_b64decode(self.path.removeprefix("/location/")).decode()
                self._send(302, b"", {"Location": where})
                return
            if self.path.startswith("/header/"):
                name, *values = self.path.split("?")[0].split("/")[2:]
                more = [(name, base64.urlsafe_b64decode(v).decode("latin-1")) for v in values]
                self._send(200, b"{}", {"Content-Type": "application/json"}, more)
                return
            if self.path.startswith("/status/"):
                self._send_raw(int(self.path.split("/")[2]), b"stray body bytes")
                return
            if self.path.startswith("/openapi.json"):
                document = upstream.openapi
                body = document if isinstance(document, bytes) else json.dumps(document).encode()
                self._send(200, body, {"Content-Type": "application/json"})
                return
            if self.path.startswith("/big"):
                self._send(200, b"x" * BIG_BYTES, {"Content-Type": "text/plain"})
                return
            # What it got, less headers and query: a real API does not echo the key it was sent.
            echo = {"method": seen.method, "path": seen.path.split("?")[0], "body": body.decode()}
            extra = {"Set-Cookie": "upstream=1", "Keep-Alive": "timeout=5", "X-Upstream": "yes"}
            extra |= {"Content-Type": "application/json", "Access-Control-Allow-Origin": "*"}
            if self.path.startswith("/close/"):
                # No keep-alive: the client's next request needs a new connection.
                extra["Connection"] = "close"
                self.close_connection = True
            status = 201 if seen.method == "POST" else 200
            self._send(status, json.dumps(echo).encode(), extra)

        def _send(self, status: int, body: bytes, headers: dict[str, str], more=()) -> None:
            self.send_response(status)
            for name, value in [*headers.items(), *more]:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _tell_all(self, seen: Seen) -> None:
            text = json.dumps({"path": seen.path, "headers": seen.headers}, ensure_ascii=False)
            page = f"{text} <a href='{html.escape(seen.path)}'>again</a>".encode()
            more = [(f"X-Seen-{name}", value) for name, value in seen.headers.items() if value.isascii()]
            headers = {"Content-Type": "text/plain"}
            if self.path.startswith("/tell-all-gzip"):
                page, headers["Content-Encoding"] = gzip.compress(page), "gzip"
            self._send(200, page, headers, more)

        def _send_raw(self, status: int, body: bytes) -> None:
            """A status line and a length, then a body whatever the status allows: late, so that it
            comes after the proxy's client has read the head (the bytes then wait on the connection)."""
            self.wfile.write(b"HTTP/1.1 %d X\r\nContent-Length: %d\r\n\r\n" % (status, len(body)))
            self.wfile.flush()
            time.sleep(STRAY_DELAY)
            self.wfile.write(body)
            self.wfile.flush()

        def _trickle(self, part: str) -> None:
            """Send the answer's `part` one byte at a time, until done or the client hangs up."""
            body = b"q" * TRICKLE_BYTES
            head = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
            if part == "head":
                head += b"X-Trickle: " + body + b"\r\n"
                body = b""
            if part != "unsized":
                head += b"Content-Length: %d\r\n" % len(body)
            head += b"Connection: close\r\n\r\n"
            self.close_connection = True
            slow = head[head.index(b"X-Trickle") :] if part == "head" else body
            try:
                self.wfile.write(head.removesuffix(slow) if part == "head" else head)
                for i in range(len(slow)):
                    self.wfile.write(slow[i : i + 1])
                    self.wfile.flush()
                    time.sleep(TRICKLE_SECONDS)
            except OSError:
                pass  # the proxy gave up: what the test wants

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _answer

    return Handler


def start_upstream() -> Upstream:
    """Serve a recording stand-in on 127.0.0.1 in a daemon thread."""
    upstream = Upstream(server=None)  # type: ignore[arg-type]
    upstream.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(upstream))
    upstream.server.daemon_threads = True
    threading.Thread(target=upstream.server.serve_forever, daemon=True).start()
    return upstream
