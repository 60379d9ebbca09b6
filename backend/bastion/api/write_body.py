"""Write bodies as DreamFactory's clients send them: options beside the records (body_options.py), and
unknown keys dropped and named in X-Ignored-Fields.

The record layer drops the keys that name no column the caller may use (records.drop_unknown_fields); this
module names them in the response header, which the CORS layer exposes to browser clients (cors.py).
The names are the client's own text: each is percent-encoded where it is not printable ASCII or holds
a comma or `%`, so a header can never be split or corrupted by a key, and the list stops at
MAX_HEADER characters, ending with `...` when it is cut (proxies refuse responses with huge headers).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from flask import Response, jsonify, make_response, request

from bastion.access import Grant
from bastion.api import body_options
from bastion.api.body import json_body
from bastion.data.params import WriteParams, parse_write_params
from bastion.data.records import drop_unknown_fields, records_from_body
from bastion.errors import BadRequest

HEADER = "X-Ignored-Fields"
MAX_HEADER = 2000
# Printable ASCII but for the list's separator and the escape character itself.
_SAFE = "".join(chr(c) for c in range(0x20, 0x7F) if chr(c) not in ",%" and not chr(c).isalnum())


def known_records(
    table: sa.Table, grant: Grant, records: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[str]]:
    """The body's records with unknown (or hidden) keys dropped, and the dropped names."""
    return drop_unknown_fields(table, grant, records)


def known_values(table: sa.Table, grant: Grant, values: Any) -> tuple[dict[str, Any], list[str]]:
    """One object of values to set, with unknown keys dropped; `{"resource": {...}}` is unwrapped."""
    if isinstance(values, dict) and set(values) == {"resource"} and isinstance(values["resource"], dict):
        values = values["resource"]
    # A leftover "resource" is a batch sent where one object belongs: refused, not dropped as unknown.
    if not isinstance(values, dict) or "resource" in values and "resource" not in table.c:
        raise BadRequest("Send one JSON object of the values to set")
    kept, ignored = drop_unknown_fields(table, grant, [values])
    return kept[0], ignored


def header_value(names: list[str]) -> str:
    """The header's comma list, each name encoded and the whole capped (see the module docstring)."""
    text = ""
    for name in names:
        item = quote(name, safe=_SAFE, errors="replace")
        if len(text) + len(item) + 1 > MAX_HEADER:
            return text + ",..."
        text = f"{text},{item}" if text else item
    return text


def answer(body: Any, ignored: list[str], status: int = 200) -> Response:
    """The JSON response of a write, with X-Ignored-Fields when keys were dropped."""
    response = make_response(jsonify(body), status)
    if ignored:
        response.headers[HEADER] = header_value(ignored)
    return response


def write_request(table: sa.Table, grant: Grant, required: bool = True) -> tuple[WriteParams, Any, list[str]]:
    """A write's options, from the query string and (as DreamFactory reads them) the body; the body
    without those options; and the names of the options the body carried (api/body_options.py)."""
    body = json_body() if required or request.get_data(cache=True) else None
    usable = (column.name for column in table.columns if grant.allows_column(column.name))
    body, options = body_options.split_write_body(body, usable)
    args = body_options.merged(request.args, options.items()) if options else request.args
    return parse_write_params(args), body, list(options)


def records_to_delete(body: Any, from_body: list[str], params: WriteParams) -> list[dict] | None:
    """The records a DELETE body names, or None when it held only options (`{"ids": [1, 2]}`)."""
    if body is None or from_body and body == {}:
        return None
    named = params.ids is not None or params.filter is not None
    if from_body and named and isinstance(body, dict) and "resource" not in body:
        # Left beside ids or filter, these would be read as a record to delete as well: a 400 says so.
        keys = ", ".join(f"'{key}'" for key in body)
        raise BadRequest(
            f"A DELETE body that names its records with 'ids' or 'filter' may hold only options, not {keys}; "
            "send other options in the query string"
        )
    return records_from_body(body)
