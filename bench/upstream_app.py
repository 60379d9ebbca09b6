"""The remote API of http_proxy_bench.py: a bare WSGI app answering one small JSON timeline.

Started as ``gunicorn -c deploy/gunicorn.conf.py upstream_app:app`` so that it runs under the same server
settings as the platform in front of it. It checks the bearer token the platform adds (401 otherwise).
"""

from __future__ import annotations

import json

TOKEN = "bench-upstream-token"  # noqa: S105 (a benchmark's stand-in credential)
BODY = json.dumps(
    {"statuses": [{"id": i, "text": f"status {i}", "user": "bench"} for i in range(10)]}
).encode()


def app(environ, start_response):
    """The timeline for a caller with the token; 401 for anyone else."""
    if environ.get("HTTP_AUTHORIZATION") != f"Bearer {TOKEN}":
        start_response("401 Unauthorized", [("Content-Type", "application/json"), ("Content-Length", "2")])
        return [b"{}"]
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(BODY)))])
    return [BODY]
