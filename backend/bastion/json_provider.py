"""JSON responses encoded with orjson: the same documents as Flask's encoder, several times faster.

Encoding a page of records with the standard library took about a tenth of a data request. Dates,
times and dataclasses are passed back to Flask's own default handler, so they come out exactly as
before; anything orjson refuses (an integer beyond 64 bits, say) falls back to Flask's encoder whole.
Non-ASCII text is sent as UTF-8 rather than as \\u escapes: the same JSON to any parser.
"""

from __future__ import annotations

from typing import Any

import orjson
from flask import Response
from flask.json.provider import DefaultJSONProvider

OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


class OrjsonProvider(DefaultJSONProvider):
    """Flask's JSON provider with orjson doing the encoding of responses and dumps()."""

    sort_keys = False  # records keep their columns' order

    def encode(self, obj: Any) -> bytes:
        """obj as compact JSON bytes."""
        try:
            return orjson.dumps(obj, default=self.default, option=OPTIONS)
        except (TypeError, orjson.JSONEncodeError):
            return super().dumps(obj, separators=(",", ":")).encode()

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        """obj as JSON text; options other than the defaults take Flask's own encoder."""
        if kwargs:
            return super().dumps(obj, **kwargs)
        return self.encode(obj).decode()

    def response(self, *args: Any, **kwargs: Any) -> Response:
        """A JSON response of the arguments, as jsonify() makes it (compact, newline-terminated)."""
        obj = self._prepare_response_obj(args, kwargs)
        return self._app.response_class(self.encode(obj) + b"\n", mimetype=self.mimetype)
