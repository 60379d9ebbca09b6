"""The tokens of the `filter` grammar (data/filters.py), read one at a time as the parser asks for them.

The lexer has two modes because an unquoted value cannot be told from names and keywords out of context:
``token()`` reads names, keywords, numbers, quoted text, operators and punctuation; ``value()`` reads what
follows an operator, where bare text (``J%``, ``Van Buren``) is a value. The value rules are documented
in data/filters.py.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from bastion.errors import BadRequest

_TOKEN = re.compile(
    r"(?P<space>\s+)|(?P<number>-?\d+(?:\.\d+)?)|(?P<word>[A-Za-z_]\w*)"
    r"|(?P<op>&&|\|\||[=!<>]+)|(?P<punct>[(),])",
    re.ASCII,
)
# A quoted string or name; a doubled quote inside stands for one quote.
_QUOTED = {q: re.compile(f"{q}((?:[^{q}]|{q}{q})*){q}") for q in "'\"`"}
_QUOTES = {"'": "string", '"': "dq", "`": "name"}
NUMBER = re.compile(r"-?\d+(?:\.\d+)?", re.ASCII)
_TRAILING = re.compile(r"[\w.]+", re.ASCII)
_SPACE = re.compile(r"\s*")
# `and` / `or` as a word of their own: they end an unquoted value, and no value may start with them.
_JOINER = re.compile(r"(?:and|or)(?=[\s(]|$)|&&|\|\|", re.IGNORECASE)
_PLACEHOLDER = re.compile(r":[A-Za-z_]\w*", re.ASCII)
_WORDS = {"true": "bool", "false": "bool", "null": "null"}


class FilterError(BadRequest):
    """A filter that cannot be parsed; the message names the problem and its 1-based position."""

    @classmethod
    def at(cls, text: str, position: int, problem: str) -> FilterError:
        """The error for `problem` found at 1-based `position` of `text`."""
        message = f"Invalid filter at position {position}: {problem}"
        return cls(message, {"filter": text, "position": position})


class Token(NamedTuple):
    """One lexical token and where it starts."""

    kind: str  # word, name, dq, string, number, bool, null, param, op, punct, end
    text: str  # the source text, or the content of a quoted token
    pos: int  # 1-based


class Lexer:
    """Reads tokens from a position of the filter text on demand."""

    def __init__(self, text: str) -> None:
        self.text, self.at = text, 0

    def error(self, index: int, problem: str) -> FilterError:
        """The FilterError for a problem at 0-based `index`."""
        return FilterError.at(self.text, index + 1, problem)

    def token(self) -> Token:
        """The next token in name/keyword mode; an `end` token past the end."""
        self.at = _SPACE.match(self.text, self.at).end()
        text, i = self.text, self.at
        if i >= len(text):
            return Token("end", "", len(text) + 1)
        if text[i] in _QUOTES:
            return self._quoted()
        if not (match := _TOKEN.match(text, i)):
            raise self.error(i, f"unexpected character '{text[i]}'")
        if match.lastgroup == "number" and (junk := _TRAILING.match(text, match.end())):
            raise self.error(i, f"invalid number '{show(text[i : junk.end()])}'")
        self.at = match.end()
        return Token(match.lastgroup, match.group(), i + 1)

    def value(self, in_list: bool) -> Token:
        """The next token in value mode: quoted text, or an unquoted value classified by its spelling."""
        self.at = _SPACE.match(self.text, self.at).end()
        text, i = self.text, self.at
        if i >= len(text) or text[i] in "(),`" or _JOINER.match(text, i):
            return self.token()  # not a value: the parser names what it found
        if text[i] in _QUOTES:
            return self._quoted()
        end = self._unquoted_end(i, in_list)
        raw = text[i:end].rstrip()
        self.at = i + len(raw)
        kind = _WORDS.get(raw.lower(), "string")
        if NUMBER.fullmatch(raw):
            kind = "number"
        elif _PLACEHOLDER.fullmatch(raw):
            kind = "param"
        return Token(kind, raw.lower() if kind in ("bool", "null") else raw, i + 1)

    def _unquoted_end(self, start: int, in_list: bool) -> int:
        """Where an unquoted value starting at `start` ends: see data/filters.py for the rule."""
        text, depth, opened, i = self.text, 0, [], start
        while i < len(text):
            ch = text[i]
            if depth == 0 and (ch == ")" or in_list and ch == ","):
                break
            if depth == 0 and text.startswith(("&&", "||"), i):
                break
            if depth == 0 and not in_list and ch.isspace():
                word = _SPACE.match(text, i).end()
                if _JOINER.match(text, word):
                    break
            if ch == "(":
                depth += 1
                opened.append(i)
            elif ch == ")":
                depth -= 1
                opened.pop()
            i += 1
        if opened:
            raise self.error(opened[-1], "unbalanced parenthesis in a value (quote the value)")
        return i

    def _quoted(self) -> Token:
        text, i = self.text, self.at
        quote = text[i]
        if not (match := _QUOTED[quote].match(text, i)):
            raise self.error(i, "unterminated quoted name" if quote == "`" else "unterminated string")
        self.at = match.end()
        return Token(_QUOTES[quote], match.group(1).replace(quote * 2, quote), i + 1)


def show(text: str, limit: int = 40) -> str:
    """Shorten a user-supplied fragment for an error message."""
    return text if len(text) <= limit else text[: limit - 3] + "..."
