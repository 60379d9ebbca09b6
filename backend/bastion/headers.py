"""Headers on every response of the platform, errors and CORS preflights included.

They are set here, not only by nginx, so that they hold whatever stands in front of gunicorn:
- `Cache-Control: no-store`: answers carry tokens, keys and data; no browser or proxy may keep them.
- `X-Content-Type-Options: nosniff`: a JSON body is never run as a script or shown as a page.
- `Referrer-Policy: no-referrer`: nothing of an API URL leaks to another site.
- `Content-Security-Policy: default-src 'none'; frame-ancestors 'none'; sandbox`: the platform never
  serves a page, but a remote HTTP service's answer keeps the upstream's type: HTML or SVG from it, opened
  on the platform's origin, must load nothing, run nothing and sit in no frame.
"""

from __future__ import annotations

from flask import Flask, Response

SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'; sandbox",
}


def put(response: Response, values: dict[str, str]) -> None:
    """Set each header, replacing one of the same name, with a single scan of the response's headers.

    werkzeug's `headers[name] = value` scans (and lower-cases) every header already there, once per
    name set: with the dozen headers an answer carries, that showed in every request's profile.
    """
    headers = response.headers
    present = {name.lower() for name, _ in headers}
    for name, value in values.items():
        if name.lower() in present:
            headers[name] = value
        else:
            headers.add(name, value)


def _add_security_headers(response: Response) -> Response:
    put(response, SECURITY_HEADERS)
    return response


def init_app(app: Flask) -> None:
    """Add the headers to every response the app makes."""
    app.after_request(_add_security_headers)
