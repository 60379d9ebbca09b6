"""gunicorn's own output (deploy/gunicorn.conf.py): one line per log record, and the JSON envelope for
the requests it refuses itself before the platform sees them (a request line over 8190 bytes, malformed
HTTP, oversized headers), where gunicorn would answer an HTML page.
"""

from __future__ import annotations

import json
import uuid

from gunicorn import util
from gunicorn.glogging import Logger
from gunicorn.workers.gthread import ThreadWorker

from bastion.headers import SECURITY_HEADERS
from bastion.logs import OneLineFormatter

# What the client is told, per status gunicorn chose; never gunicorn's text, which quotes the request.
MESSAGES = {
    400: "Malformed HTTP request",
    403: "Forbidden",
    414: "URL too long: the request line may hold at most 8190 bytes; send long filters or id lists in fewer "
    "characters",
    417: "Expectation failed: only 'Expect: 100-continue' is understood",
    431: "Request header fields too large",
    500: "Internal server error",
    501: "Transfer-Encoding not supported",
}


def json_error(status: int, reason: str) -> bytes:
    """A whole HTTP/1.1 answer carrying the error envelope (DESIGN §6); it closes the connection."""
    request_id = uuid.uuid4().hex
    message = MESSAGES.get(status, reason)
    envelope = {"code": status, "status_code": status, "message": message, "context": None}
    body = json.dumps({"error": {**envelope, "request_id": request_id}}).encode()
    headers = {
        "Connection": "close",
        "Content-Type": "application/json",
        "Content-Length": str(len(body)),
        "X-Request-Id": request_id,
        **SECURITY_HEADERS,
    }
    head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    return f"HTTP/1.1 {status} {reason}\r\n{head}\r\n".encode("latin-1") + body


def _write_json_error(sock, status_int: int, reason: str, _mesg: str) -> None:
    util.write_nonblock(sock, json_error(status_int, reason))


class JsonErrorWorker(ThreadWorker):
    """gunicorn's thread worker whose own refusals (414, 400, 431, ...) are the JSON envelope, and which
    accepts a new connection only while one of its threads is free.

    gunicorn's thread worker accepts until it holds worker_connections (1,000) connections, so one worker
    may take every kept-alive connection of a client while the others idle: measured with wrk (16
    connections, 2 workers of 8 threads), all 16 landed on one worker in 1 run of 8 and served 1,178
    requests per second against 3,900-4,100 when split 8/8, with a third of the CPU idle. A worker whose
    threads are all busy leaves new connections in the listen queue for a worker that has a free thread;
    connections it already holds (kept alive, waiting in its poller) are served as before.
    """

    _in_flight = 0  # connections handed to the thread pool and not finished yet (main thread only)

    def init_process(self) -> None:
        """Make gunicorn's refusal writer the JSON one, then run the worker."""
        # gunicorn writes its refusals with util.write_error, an HTML page. This process serves only the
        # platform, so the JSON writer replaces it for the worker's whole life, in every thread at once
        # (swapping it per call would race between threads).
        util.write_error = _write_json_error
        super().init_process()

    def enqueue_req(self, conn) -> None:
        """Hand a connection to the thread pool; stop accepting once every thread has one."""
        self._in_flight += 1
        try:
            super().enqueue_req(conn)
        except BaseException:
            self._in_flight -= 1
            raise
        if self._in_flight >= self.cfg.threads:
            self.set_accept_enabled(False)

    def finish_request(self, conn, fs) -> None:
        """A thread finished with a connection (called once per enqueue_req): accept again if allowed."""
        self._in_flight -= 1
        try:
            super().finish_request(conn, fs)
        finally:
            self.set_accept_enabled(self.nr_conns < self.worker_connections)

    def set_accept_enabled(self, enabled: bool) -> None:
        """Accept only when gunicorn would (worker_connections) and a thread is free."""
        super().set_accept_enabled(enabled and self._in_flight < self.cfg.threads)


class OneLineLogger(Logger):
    """gunicorn's logger whose access and error lines escape control characters (a `%0a` in a path)."""

    def setup(self, cfg) -> None:
        """gunicorn's handlers, each formatter wrapped so that a record stays on one line."""
        super().setup(cfg)
        for handler in (*self.error_log.handlers, *self.access_log.handlers):
            if not isinstance(handler.formatter, OneLineFormatter):
                handler.setFormatter(OneLineFormatter(handler.formatter))

    def atoms(self, resp, req, environ, request_time) -> dict:
        """gunicorn's access-log atoms, with the path as the text it spells (PATH_INFO is UTF-8 bytes as
        latin-1 by WSGI's rule), so `/api/v2/hr/_table/café` is logged as written and U+2028 is escaped."""
        atoms = super().atoms(resp, req, environ, request_time)
        path = atoms.get("U")
        if isinstance(path, str):
            atoms["U"] = path.encode("latin-1", "replace").decode("utf-8", "replace")
        return atoms
