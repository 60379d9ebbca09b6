"""The grammar of CORS rule fields (DESIGN §7): checked when a rule is saved, compiled when it is loaded.

Pure functions with no Flask or database imports, so that the models validate with them and the CORS
layer compiles with them: what was accepted on save is exactly what is matched at request time.

- Paths are globs: `*` is any run of characters, `/` included. A leading `/` is ignored on both sides,
  so `/api/v2/x` and `api/v2/x` are the same rule (DreamFactory's `/api/v2/x` silently never matched).
  Matching is linear in the path's length, whatever the glob (see Glob).
- Origins are `*`, `scheme://host[:port]` or `scheme://*.domain[:port]` with scheme http or https. They
  are compared case-insensitively, and a default port (80, 443) may be written or left out. The
  wildcard stands for one or more subdomain labels: `https://*.example.com` matches `https://a.example.com`
  and `https://a.b.example.com`, never `https://example.com` nor `https://a.example.com.evil.io`. It is
  refused directly under a public suffix (`https://*.co.uk`, `https://*.com`, and private-section ones
  such as `https://*.github.io`, where every subdomain is someone else's site), under a single-label
  name (`https://*.localhost`: list the development origins instead) and before an IP address. The
  suffixes come from the Public Suffix List bundled with the `publicsuffixlist` package, so the check
  works offline; upgrading the package updates the list.
- Headers are RFC 7230 tokens, compared case-insensitively; `*` in the allowed headers means any.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

from publicsuffixlist import PublicSuffixList

from bastion.verbs import VERBS

METHODS = (*VERBS, "OPTIONS", "HEAD")
DEFAULT_METHODS = list(VERBS)
MAX_AGE_LIMIT = 86400  # a day: Firefox's own cap; Chromium caps at two hours anyway
DEFAULT_PORTS = {"http": "80", "https": "443"}

_LABEL = r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?"
_HOST = rf"{_LABEL}(?:\.{_LABEL})*"
_ORIGIN = re.compile(
    rf"(?P<scheme>[a-z][a-z0-9+.-]*)://(?P<wild>\*\.)?(?P<host>{_HOST}|\[[0-9a-f:.]+\])(?::(?P<port>\d{{1,5}}))?",
    re.IGNORECASE | re.ASCII,
)
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_PATH = re.compile(r"[^\s?#\x00-\x1f\x7f]+")
# NUL and lone surrogates cannot pass through every database driver.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def split_list(value: object) -> object:
    """Accept comma-separated strings (DreamFactory's form), alone or as list items; commas cannot
    occur in an origin, a method or a header name. Anything else is left to the type check."""
    if isinstance(value, str):
        value = [value]
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return [part for item in value for part in item.split(",") if part.strip()]
    return value


def _unique(items: Iterable[str], key=str.lower) -> list[str]:
    seen: set[str] = set()
    out = []
    for item in items:
        if key(item) not in seen:
            seen.add(key(item))
            out.append(item)
    return out


def normalize_path(path: str) -> str:
    """The form paths and globs are compared in: without the leading slash."""
    return path.lstrip("/")


def check_path(value: str) -> str:
    """A rule path: a glob without spaces, query or fragment; trimmed."""
    value = value.strip()
    if not _PATH.fullmatch(value) or _UNSTORABLE.search(value) or not normalize_path(value):
        raise ValueError("must be a path glob such as 'api/v2/*' or '*' (no spaces, '?' or '#')")
    return value


def check_text(value: str) -> str:
    """Free text (a description) that every system database can store."""
    if _UNSTORABLE.search(value):
        raise ValueError("must not contain NUL or unpaired surrogate characters")
    return value


def check_origin(value: str) -> str:
    """One origin, trimmed and lower-cased, or ValueError naming it."""
    value = value.strip()
    if value == "*":
        return value
    match = _ORIGIN.fullmatch(value)
    if not match or match["scheme"].lower() not in DEFAULT_PORTS:
        raise ValueError(
            f"'{value}' is not an origin: use '*', 'https://host[:port]' or 'https://*.domain'"
            " (http or https, no path)"
        )
    if match["port"] is not None and not 0 < int(match["port"]) < 65536:
        raise ValueError(f"'{value}' has a port outside 1-65535")
    if match["wild"]:
        _check_wildcard_domain(value, match["host"].lower())
    return value.lower()


def _check_wildcard_domain(origin: str, domain: str) -> None:
    """A subdomain wildcard must sit under a registrable domain, never directly under a public suffix."""
    if domain.startswith("[") or domain.rsplit(".", 1)[-1].isdigit():
        raise ValueError(f"'{origin}' puts a wildcard before an IP address: list the exact origin")
    # Single-label names (com, localhost, internal) count as suffixes too: the list's default rule.
    if public_suffixes().is_public(domain):
        raise ValueError(
            f"'{origin}' is too broad: '{domain}' is a public suffix, shared by unrelated sites;"
            f" put the wildcard before a domain such as example.{domain}"
        )


@functools.cache
def public_suffixes() -> PublicSuffixList:
    """The Public Suffix List bundled with the publicsuffixlist package (ICANN and private sections)."""
    # Loaded on first use (about 50 ms), not at import: every command imports this module.
    return PublicSuffixList()


def check_origins(values: list[str]) -> list[str]:
    """Every origin checked and trimmed, duplicates dropped."""
    return _unique(check_origin(v) for v in values)


def check_methods(values: list[str]) -> list[str]:
    """HTTP verbs, upper-cased, from METHODS."""
    methods = [v.strip().upper() for v in values]
    for method in methods:
        if method not in METHODS:
            raise ValueError(f"'{method}' is not one of {', '.join(METHODS)}")
    return _unique(methods)


def check_headers(values: list[str]) -> list[str]:
    """Header names (RFC 7230 tokens), trimmed, duplicates dropped regardless of case."""
    headers = [v.strip() for v in values]
    for header in headers:
        if not _TOKEN.fullmatch(header):
            raise ValueError(f"'{header}' is not a header name")
    return _unique(headers)


def check_max_age(value: int) -> int:
    """Seconds a browser may cache a preflight answer; 0 sends no Access-Control-Max-Age."""
    if not 0 <= value <= MAX_AGE_LIMIT:
        raise ValueError(f"must be between 0 and {MAX_AGE_LIMIT} seconds")
    return value


@dataclass(frozen=True)
class Glob:
    """A path glob compiled for matching in time linear in the path's length, whatever the glob.

    The glob is split on `*` into literal pieces: the first must begin the path, the last must end it,
    and each piece between is found with `str.find`, left to right, from where the one before it ended.
    Taking the leftmost place of every middle piece is never wrong (it leaves the most room for the
    pieces after it), so nothing is ever retried. A regex of `.*` runs, which this replaced, backtracks
    into O(n^k) for k stars: four stars and a 1,500-segment URL cost minutes of CPU.
    """

    first: str
    middle: tuple[str, ...]
    last: str | None  # None: the glob has no `*` and must equal the path

    @classmethod
    def compile(cls, glob: str) -> Glob:
        """A saved path glob, ready to match normalized request paths."""
        pieces = normalize_path(glob).split("*")
        if len(pieces) == 1:
            return cls(pieces[0], (), None)
        return cls(pieces[0], tuple(p for p in pieces[1:-1] if p), pieces[-1])

    def matches(self, path: str) -> bool:
        """Whether the whole normalized path matches the glob."""
        if self.last is None:
            return path == self.first
        end = len(path) - len(self.last)
        if end < len(self.first) or not path.startswith(self.first) or not path.endswith(self.last):
            return False
        position = len(self.first)
        for piece in self.middle:
            found = path.find(piece, position, end)
            if found < 0:
                return False
            position = found + len(piece)
        return True


def glob_prefix(path: str) -> str:
    """The literal start of a glob: every path it matches begins with it."""
    return normalize_path(path).split("*", 1)[0]


def specificity(glob: str, rule_id: int) -> tuple[int, int, int]:
    """How a rule ranks among those covering a path: the longest glob first, then fewer `*`, then older."""
    normalized = normalize_path(glob)
    return (-len(normalized), normalized.count("*"), rule_id)


def glob_matches(glob: str, path: str) -> bool:
    """Whether a path glob covers a request path, both compared without their leading slash."""
    return Glob.compile(glob).matches(normalize_path(path))


def origin_regex(origin: str) -> re.Pattern:
    """A saved origin as a case-insensitive regex over Origin header values (use match; it is anchored)."""
    if origin == "*":
        return re.compile(r".*\Z", re.DOTALL)
    match = _ORIGIN.fullmatch(origin)
    scheme, host, port = match["scheme"].lower(), match["host"].lower(), match["port"]
    default = DEFAULT_PORTS[scheme]
    port_part = rf"(?::{default})?" if port is None or int(port) == int(default) else f":{int(port)}"
    subdomains = rf"(?:{_LABEL}\.)+" if match["wild"] else ""
    return re.compile(rf"{scheme}://{subdomains}{re.escape(host)}{port_part}\Z", re.IGNORECASE | re.ASCII)
