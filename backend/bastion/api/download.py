"""DreamFactory's ``file`` option on table reads: the answer as a download (df-core ResponseFactory).

``file=true`` (or bare ``?file``) answers ``resource.json`` as an attachment, ``file=<name>.json`` that
name; ``false``/``0`` is an ordinary answer. DreamFactory also converts to CSV and XML for ``.csv`` and
``.xml`` names; Bastion answers JSON only, so those are a 400 saying so. A value that is neither a boolean
nor a file name (DreamFactory ignores ``file=report``) is a 400 too, never a silently ordinary answer. The
name is kept to letters, digits, ``.``, ``_`` and ``-`` so that it is safe in the header as sent.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from flask import Response, jsonify

from bastion.data.convert import FALSE_WORDS, TRUE_WORDS
from bastion.errors import BadRequest

DEFAULT_NAME = "resource.json"  # df-core's `$resource . '.json'` for a data answer
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,95}\.json", re.IGNORECASE | re.ASCII)


def file_name(args: Mapping[str, Any]) -> str | None:
    """The attachment name a read's ``file`` option asks for, or None for an ordinary answer."""
    value = args.get("file")
    if value is None:
        return None
    text = str(value).strip()
    if text.lower() in FALSE_WORDS:
        return None
    if text == "" or text.lower() in TRUE_WORDS:
        return DEFAULT_NAME
    if text.lower().endswith((".csv", ".xml")):
        raise BadRequest(
            "Parameter 'file' asks for CSV or XML; Bastion answers JSON only: name a .json file",
            {"parameter": "file"},
        )
    if not _NAME.fullmatch(text):
        raise BadRequest(
            "Parameter 'file' must be true, false or a file name ending in .json "
            "(letters, digits, '.', '_' and '-')",
            {"parameter": "file"},
        )
    return text


def answer(body: Any, name: str | None) -> Response:
    """The read's JSON answer, as an attachment when ``file`` asked for one."""
    response: Response = jsonify(body)
    if name is not None:
        response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
