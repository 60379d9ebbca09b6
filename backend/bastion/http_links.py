"""The answer headers of a remote HTTP service that carry a URL (Location, Content-Location, Link).

An upstream names its own URLs in them: its host (an internal address the caller must not learn) and its
paths (a next page the caller would fetch around the platform, without its role's check). So a URL is
passed on only as the platform's path to the same resource, never as the upstream wrote it:
- It is resolved against the URL the request was sent to. When it then has the base URL's scheme, host
  and port, no user info, and a path under the base URL's path (not the base itself, which the platform
  answers at `/api/v2/<svc>`), it becomes `/api/v2/<svc>/<rest>` with its query and fragment; anything
  else (another host or port, another scheme, outside the base path, `.`/`..` segments, whitespace,
  controls, backslashes or non-ASCII, which browsers read differently) is dropped.
- The query loses the service's own `query` key and the platform's `api_key` and `session_token`: the
  upstream must not choose the credential a client sends the platform next.
- A Link value (RFC 8288) is rebuilt from what it keeps: each link whose target rebases, with only its
  `rel` (registered names only: an extension relation is a URI and may name a host; never those a
  browser acts on, such as `preload`), `title`, `title*`, `type` and `hreflang`. A link with an
  `anchor` (another resource's link, by URL) or with no relation left is dropped; a value that does not
  parse is dropped whole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote, unquote_plus, urljoin, urlsplit

from bastion.http_targets import DEFAULT_PORTS, Target

URL_HEADERS = frozenset({"location", "content-location", "link"})
PLATFORM_PARAMETERS = frozenset({"api_key", "session_token"})
# Characters browsers skip, fold or read as a separator in a URL, and anything outside ASCII.
UNSAFE = re.compile(r"[^\x21-\x7e]|\\")
NAME = r"[A-Za-z0-9!#$%&'*+.^_`|~-]+"  # an RFC 9110 token
QUOTED = r'"(?:[^"\\]|\\.)*"'
BARE = r"[A-Za-z0-9!#$%&'*+./:^_`|~-]+"  # a token, or a media type left unquoted as servers often do
LINK_TARGET = re.compile(r"[ \t]*<([^<>]*)>")
LINK_PARAM = re.compile(rf"[ \t]*;[ \t]*({NAME})(?:[ \t]*=[ \t]*({BARE}|{QUOTED}))?")
LINK_END = re.compile(r"[ \t]*(,|$)")
REGISTERED_REL = re.compile(r"^[a-z][a-z0-9.-]*$")
# Relations a browser acts on when it reads them in a header: it would fetch, connect or install.
BROWSER_RELS = frozenset(
    {"preload", "prefetch", "preconnect", "dns-prefetch", "modulepreload", "prerender", "stylesheet"}
    | {"icon", "manifest", "serviceworker", "pingback", "compression-dictionary", "expect"}
)
KEPT_LINK_PARAMS = ("title", "title*", "type", "hreflang")
EXT_VALUE = re.compile(  # RFC 8187: charset'language'pct-encoded
    r"^[A-Za-z0-9!#$&+^_`{}~-]*'[A-Za-z0-9-]*'(?:%[0-9A-Fa-f]{2}|[A-Za-z0-9!#$&+.^_`|~-])*$"
)
CONTROL = re.compile(r"[\x00-\x1f\x7f]")

Link = tuple[str, list[tuple[str, str]]]  # its target as written, its parameters (values unquoted)


@dataclass(frozen=True)
class Rebase:
    """Where an upstream's URLs land on the platform: the URL the request went to (relative references
    resolve against it), the service's checked base URL, its path on the platform, and the query
    parameters never passed on."""

    sent: str
    target: Target
    public: str
    withheld: frozenset[str] = PLATFORM_PARAMETERS


def rebased_header(name: str, value: str, rebase: Rebase) -> str | None:
    """A URL-carrying header's value pointed at the platform, or None to drop it (`name` lower-case)."""
    if name == "link":
        return rebased_links(value, rebase)
    reference = value.strip(" \t")
    return rebased(reference, rebase) if reference else None  # an empty one names no resource


def rebased(reference: str, rebase: Rebase) -> str | None:
    """The platform's path for an upstream URL reference, or None when it names anything else."""
    if UNSAFE.search(reference):
        return None
    try:
        parts = urlsplit(urljoin(rebase.sent, reference))
        port = parts.port or DEFAULT_PORTS.get(parts.scheme.lower())
    except ValueError:  # a port out of range, a broken IPv6 literal
        return None
    target = rebase.target
    host = (parts.hostname or "").removesuffix(".")
    if (parts.scheme.lower(), host, port) != (target.scheme, target.host, target.port) or "@" in parts.netloc:
        return None
    rest = parts.path.removeprefix(target.path) if parts.path.startswith(target.path + "/") else ""
    segments = rest.split("/")
    if not rest.strip("/") or any(unquote(s) in (".", "..") for s in segments):
        return None  # outside the base path, the base itself, or a segment the platform refuses
    url = f"{rebase.public}{rest}"
    query = _kept_query(parts.query, rebase.withheld)
    url += f"?{query}" if query else ""
    return f"{url}#{parts.fragment}" if parts.fragment else url


def _kept_query(query: str, withheld: frozenset[str]) -> str:
    """The query's parameters, as written, less those withheld."""
    pairs = [p for p in query.split("&") if p]
    return "&".join(p for p in pairs if unquote_plus(p.split("=", 1)[0]) not in withheld)


def rebased_links(value: str, rebase: Rebase) -> str | None:
    """A Link value with only the links that rebase, rebuilt; None when none is left or it is malformed."""
    links = parse_links(value)
    if links is None:
        return None
    kept = [text for target, params in links if (text := _rebased_link(target, params, rebase))]
    return ", ".join(kept) or None


def _rebased_link(target: str, params: list[tuple[str, str]], rebase: Rebase) -> str | None:
    """One link rebuilt on the platform's URL with its safe parameters, or None to drop it."""
    named: dict[str, str] = {}
    for name, value in params:
        named.setdefault(name.lower(), value)  # the first occurrence counts (RFC 8288 §3.3)
    rels = [r for r in named.get("rel", "").lower().split() if REGISTERED_REL.match(r)]
    rels = [r for r in rels if r not in BROWSER_RELS]
    url = rebased(target, rebase)
    if "anchor" in named or not rels or url is None:
        return None
    kept = [("rel", " ".join(dict.fromkeys(rels)))]
    kept += [(name, named[name]) for name in KEPT_LINK_PARAMS if name in named]
    sent = [(name, text) for name, value in kept if (text := _written(name, value)) is not None]
    return f"<{url}>" + "".join(f"; {name}={text}" for name, text in sent)


def _written(name: str, value: str) -> str | None:
    """A parameter's value as sent: `title*` as the ext-value it must be, the others quoted; None for
    a value that is neither (a control character could end the header)."""
    if name.endswith("*"):
        return value if EXT_VALUE.match(value) else None
    if CONTROL.search(value):
        return None
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def parse_links(value: str) -> list[Link] | None:
    """The links of a Link header value (RFC 8288 §3), or None when it does not parse."""
    links: list[Link] = []
    position = 0
    while True:
        found = LINK_TARGET.match(value, position)
        if found is None:
            return None
        target, params, position = found.group(1), [], found.end()
        while param := LINK_PARAM.match(value, position):
            params.append((param.group(1), _unquoted(param.group(2) or "")))
            position = param.end()
        end = LINK_END.match(value, position)
        if end is None:
            return None
        links.append((target, params))
        if not end.group(1):
            return links
        position = end.end()


def _unquoted(value: str) -> str:
    """A token as it is, a quoted string without its quotes and escapes."""
    if not value.startswith('"'):
        return value
    return re.sub(r"\\(.)", r"\1", value[1:-1])
