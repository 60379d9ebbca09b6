"""Forwarding a request to a remote HTTP service (issue 20): one urllib3 pool per service version.

A pool is built from the service's opened config: the base URL's host is resolved and checked again
(http_targets) and the pool connects to that checked address, with the host name kept for the Host
header and TLS (SNI and the certificate check), so a later lookup can never send it elsewhere. No
redirect is followed and nothing is retried. The whole exchange (connect, headers, body) runs under
one deadline of the service's timeout (http_deadline); past it, nothing is returned but a 504. The
answer is read up to max_response_bytes; beyond it, nothing is returned but a 502. Failures name the
service; outside production they also name the kind
of error, never the upstream's host or text, and never a secret (the URL can hold a query key).
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import urllib3
from flask import Response
from urllib3.exceptions import HTTPError, NewConnectionError, TimeoutError

from bastion import http_answers, http_links, http_targets
from bastion.docs.upstream_doc import DocumentRefused, parse_document
from bastion.errors import ApiError, BadRequest
from bastion.http_deadline import Deadline, HTTPPool, HTTPSPool
from bastion.service_types import DEFAULT_FORWARD_HEADERS, DEFAULT_HTTP_TIMEOUT, DEFAULT_MAX_RESPONSE_BYTES
from bastion.services.http_config import forwardable

log = logging.getLogger("bastion")
# urllib3's debug lines carry the full URL, which holds a `query` auth key: never below WARNING.
logging.getLogger("urllib3").setLevel(logging.WARNING)

PLATFORM_PARAMETERS = http_links.PLATFORM_PARAMETERS
CHUNK = 64 * 1024
PATH_SAFE = "/:@!$&'()*+,;=-._~"  # what stays unquoted in a path segment (RFC 3986 pchar)


class BadGateway(ApiError):
    code = 502
    default_message = "The remote API cannot be reached"


class UpstreamTimeout(ApiError):
    code = 504
    default_message = "The remote API did not answer in time"


@dataclass(frozen=True)
class Upstream:
    """A remote service ready for requests: its checked target, pool and opened config (memory only)."""

    name: str
    target: http_targets.Target
    pool: urllib3.HTTPConnectionPool
    config: Mapping[str, Any] = field(repr=False)
    spellings: tuple[bytes, ...] = field(default=(), repr=False)  # of its secrets (http_answers)

    @property
    def max_bytes(self) -> int:
        """The cap on an answer's body."""
        return int(self.config.get("max_response_bytes") or DEFAULT_MAX_RESPONSE_BYTES)

    @property
    def seconds(self) -> float:
        """The time one whole exchange may take (connect, headers and body)."""
        return float(self.config.get("timeout") or DEFAULT_HTTP_TIMEOUT)


def build_upstream(config: Mapping[str, Any], allowed: Iterable) -> Upstream:
    """Resolve, check and pin the base URL's address, and open a pool to it (from the opened config)."""
    name = str(config.get("service", "?"))
    try:
        target = http_targets.parse_base_url(config.get("base_url"))
        address = http_targets.resolve_checked(target, allowed)
    except http_targets.TargetRefused as exc:
        log.warning("service %s: remote API refused before connecting: %s", name, exc)
        raise BadGateway(f"Service '{name}' may not reach its base URL: {exc}") from None
    seconds = float(config.get("timeout") or DEFAULT_HTTP_TIMEOUT)
    options: dict[str, Any] = {
        "timeout": urllib3.Timeout(connect=seconds, read=seconds),
        "retries": False,
        "maxsize": 10,
        "block": False,
    }
    if target.scheme == "https":
        pool: urllib3.HTTPConnectionPool = HTTPSPool(
            str(address),
            target.port,
            server_hostname=target.host,
            assert_hostname=target.host,
            cert_reqs="CERT_REQUIRED",
            **options,
        )
    else:
        pool = HTTPPool(str(address), target.port, **options)
    spellings = http_answers.secret_spellings(config)
    return Upstream(name=name, target=target, pool=pool, config=dict(config), spellings=spellings)


def close_upstream(upstream: Upstream) -> None:
    """Close a pool's idle connections; those in use close when they are given back."""
    upstream.pool.close()


def _auth(config: Mapping[str, Any]) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """The headers and query parameters that carry the service's own credential."""
    auth = config.get("auth") or {"kind": "none"}
    kind = auth.get("kind")
    if kind == "header":
        return {auth["name"]: auth["value"]}, []
    if kind == "query":
        return {}, [(auth["name"], auth["value"])]
    if kind == "basic":
        # UTF-8, as RFC 7617 advises (urllib3's make_headers would encode Latin-1).
        pair = base64.b64encode(f"{auth['username']}:{auth['password']}".encode()).decode()
        return {"Authorization": f"Basic {pair}"}, []
    if kind == "bearer":
        return {"Authorization": f"Bearer {auth['token']}"}, []
    return {}, []


def upstream_url(upstream: Upstream, path: str, args: Iterable[tuple[str, str]]) -> str:
    """The path and query sent upstream: the caller's, less the platform's parameters, plus the key."""
    auth_headers, auth_query = _auth(upstream.config)
    taken = {name for name, _ in auth_query}
    query = [(k, v) for k, v in args if k not in PLATFORM_PARAMETERS and k not in taken] + auth_query
    url = f"{upstream.target.path}/{quote(path, safe=PATH_SAFE)}"
    return f"{url}?{urlencode(query)}" if query else url


def upstream_headers(upstream: Upstream, sent: Mapping[str, str]) -> dict[str, str]:
    """The headers sent upstream: the allowed ones of the caller, the fixed ones, the credential."""
    names = upstream.config.get("forward_headers", list(DEFAULT_FORWARD_HEADERS))
    wanted = {n.lower() for n in names if forwardable(n)}
    headers = {k: v for k, v in sent.items() if k.lower() in wanted and forwardable(k)}
    for header in upstream.config.get("headers") or []:
        headers[header["name"]] = header["value"]
    headers.update(_auth(upstream.config)[0])
    headers["Host"] = upstream.target.host_header
    headers["Accept-Encoding"] = "identity"  # the body is passed on and measured as it is
    return headers


def _send(
    upstream: Upstream, deadline: Deadline, method: str, url: str, headers: Mapping[str, str], body=None
) -> urllib3.BaseHTTPResponse:
    """Send one request on the pool, within what is left of the exchange's deadline; the body unread."""
    return upstream.pool.urlopen(
        method,
        url,
        body=body or None,
        headers=headers,
        redirect=False,
        retries=False,
        preload_content=False,
        assert_same_host=False,
        timeout=urllib3.Timeout(connect=deadline.remaining(), read=upstream.seconds),
    )


def _checked(upstream: Upstream, answer: urllib3.BaseHTTPResponse, method: str) -> urllib3.BaseHTTPResponse:
    """The answer, or BadGateway for a final status a proxy cannot pass on (1xx: a 101 would tell the
    client, or a proxy in front, that the connection switched protocols; or not a status at all).

    After a HEAD, a 204 or a 304 (no body by definition) the connection is closed, not reused: bytes an
    upstream sends anyway would be read by the next request on it as its answer, so every later answer
    on that connection would go to the request after its own, a stranger's. (urllib3 gives a connection
    back to the pool as soon as its answer's body is read, and then only drops it when bytes are already
    waiting; a body-less answer's stray bytes may come after that check.)
    """
    if not 200 <= answer.status <= 599:
        answer.close()
        log.warning("service %s: remote API answered status %s", upstream.name, answer.status)
        raise BadGateway(f"Service '{upstream.name}': the remote API answered status {answer.status}")
    if method == "HEAD" or answer.status in (204, 304):
        connection = getattr(answer, "connection", None)
        if connection is not None:
            connection.close()
    return answer


def _too_slow(upstream: Upstream, answer: urllib3.BaseHTTPResponse) -> UpstreamTimeout:
    """The 504 for an answer that ran past the deadline; its connection is dropped, nothing is passed on."""
    answer.close()
    log.warning("service %s: remote API answer not complete within its timeout", upstream.name)
    return UpstreamTimeout(f"Service '{upstream.name}': the remote API did not answer in time")


def _read_capped(upstream: Upstream, answer: urllib3.BaseHTTPResponse, deadline: Deadline) -> bytes:
    """The whole body, decoded when compressed, or BadGateway once it passes max_response_bytes (decoded)
    or when its encoding is one urllib3 cannot decode, or UpstreamTimeout once the deadline passes (the
    connection is dropped either way). Decoded so that it can be searched for the service's secrets
    (http_answers), which a compressed body would hide; the platform asks for none (`identity`)."""
    cap, parts, size = upstream.max_bytes, [], 0
    encoded = _encoded(upstream, answer)
    for chunk in answer.stream(CHUNK, decode_content=encoded):
        if deadline.passed:
            raise _too_slow(upstream, answer)
        size += len(chunk)
        if size > cap:
            answer.close()
            log.warning("service %s: remote API answer over max_response_bytes (%d)", upstream.name, cap)
            raise BadGateway(
                f"Service '{upstream.name}': the remote API's answer is larger than {cap} bytes "
                "(max_response_bytes)"
            )
        parts.append(chunk)
    # The deadline's shutdown ends a body without a length as if it were whole: never pass that on.
    if deadline.passed:
        raise _too_slow(upstream, answer)
    answer.release_conn()
    return b"".join(parts)


def _encoded(upstream: Upstream, answer: urllib3.BaseHTTPResponse) -> bool:
    """Whether the answer's body is compressed (then decoded as read); BadGateway for an unknown coding."""
    codings = [c.strip().lower() for c in answer.headers.get("content-encoding", "").split(",") if c.strip()]
    codings = [c for c in codings if c != "identity"]
    unknown = [c for c in codings if c not in answer.CONTENT_DECODERS]
    if unknown:
        answer.close()
        log.warning("service %s: remote API answered content encoding %r", upstream.name, unknown[0][:40])
        raise BadGateway(
            f"Service '{upstream.name}': the remote API answered an encoding the platform cannot read"
        )
    return bool(codings)


def _failure(upstream: Upstream, exc: Exception, production: bool, late: bool = False) -> ApiError:
    """The 502/504 for a failed exchange: the service named, the error's kind only outside production.

    `late`: the exchange's deadline passed, so whatever failed was cut short by it.
    """
    # A refused connection is a NewConnectionError, which urllib3 also makes a (connect) timeout.
    timed_out = late or (isinstance(exc, TimeoutError) and not isinstance(exc, NewConnectionError))
    kind = "did not answer in time" if timed_out else "cannot be reached"
    log.warning("service %s: remote API %s (%s)", upstream.name, kind, type(exc).__name__)
    message = f"Service '{upstream.name}': the remote API {kind}"
    if not production:
        message += f" ({type(exc).__name__})"
    return (UpstreamTimeout if timed_out else BadGateway)(message)


def _exchange(
    upstream: Upstream,
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | None,
    production: bool,
    keep_body: bool = True,
) -> tuple[urllib3.BaseHTTPResponse, bytes]:
    """One whole exchange within the service's timeout: the answer and its body (none for HEAD, or
    when not kept: then it is read and dropped)."""
    with Deadline(upstream.seconds) as deadline:
        try:
            answer = _checked(upstream, _send(upstream, deadline, method, url, headers, body), method)
            if keep_body and method != "HEAD":
                return answer, _read_capped(upstream, answer, deadline)
            answer.drain_conn()
            if deadline.passed:
                raise _too_slow(upstream, answer)
            answer.release_conn()
            return answer, b""
        except (HTTPError, OSError) as exc:
            raise _failure(upstream, exc, production, late=deadline.passed) from None


def forward(
    upstream: Upstream,
    method: str,
    path: str,
    args: Iterable[tuple[str, str]],
    headers: Mapping[str, str],
    body: bytes | None,
    production: bool,
    public: str,
) -> Response:
    """Send one request upstream and give back its status, allowed headers and body; `public` is the
    service's path on the platform, where the answer's URLs are pointed (http_links)."""
    url = upstream_url(upstream, path, args)
    answer, data = _exchange(upstream, method, url, upstream_headers(upstream, headers), body, production)
    kept = http_answers.answer_headers(answer, _rebase(upstream, url, public))
    if "content-encoding" in answer.headers:  # the body was decoded as read (_read_capped)
        kept = [(name, value) for name, value in kept if name.lower() != "content-encoding"]
    spellings = upstream.spellings
    data = http_answers.redacted(data, spellings)
    response = Response(data, status=answer.status, headers=http_answers.redacted_headers(kept, spellings))
    if "Content-Type" not in answer.headers:
        # Not werkzeug's text/html default: an untyped answer must not be taken for a page.
        response.headers["Content-Type"] = "application/octet-stream"
    return response


def _rebase(upstream: Upstream, url: str, public: str) -> http_links.Rebase:
    """How the answer's URLs map onto the platform; the service's query key is never passed back."""
    _, auth_query = _auth(upstream.config)
    sent = f"{upstream.target.scheme}://{upstream.target.host_header}{url}"
    withheld = http_links.PLATFORM_PARAMETERS | {name for name, _ in auth_query}
    return http_links.Rebase(sent=sent, target=upstream.target, public=public, withheld=withheld)


def fetch_document(name: str, url: str, config: Mapping[str, Any], allowed: Iterable) -> dict:
    """An upstream's OpenAPI document from its URL: the same checked, pinned, capped client, and no
    credential (the document's host need not be the API's)."""
    parts = urlsplit(url)
    base = {"service": name, "base_url": f"{parts.scheme}://{parts.netloc}"}
    limits = {k: config[k] for k in ("timeout", "max_response_bytes") if k in config}
    upstream = build_upstream(base | limits, allowed)
    target = parts.path or "/"
    headers = {"Host": upstream.target.host_header, "Accept": "application/json"}
    try:
        url = f"{target}?{parts.query}" if parts.query else target
        answer, body = _exchange(upstream, "GET", url, headers, None, production=True)
    finally:
        upstream.pool.close()
    if answer.status != 200:
        log.warning("service %s: OpenAPI document not usable (status %s)", name, answer.status)
        raise BadGateway(f"Service '{name}': its OpenAPI document could not be read (status {answer.status})")
    try:
        return parse_document(body)
    except DocumentRefused as exc:
        log.warning("service %s: OpenAPI document refused: %s", name, exc)
        raise BadGateway(f"Service '{name}': its OpenAPI document {exc}") from None


def test_upstream(config: Mapping[str, Any], allowed: Iterable) -> int:
    """A service's connection test: GET its base URL with its credential; the status, or BadRequest."""
    try:
        upstream = build_upstream(config, allowed)
    except BadGateway as exc:
        raise BadRequest(exc.message) from None
    try:
        url, headers = upstream_url(upstream, "", ()), upstream_headers(upstream, {})
        answer, _ = _exchange(upstream, "GET", url, headers, None, production=True, keep_body=False)
        return answer.status
    except (BadGateway, UpstreamTimeout) as exc:
        raise BadRequest(exc.message) from None
    finally:
        upstream.pool.close()


test_upstream.__test__ = False  # type: ignore[attr-defined]  # not a pytest test when imported by name
