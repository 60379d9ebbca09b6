"""gunicorn's own output (deploy/gunicorn.conf.py): its log lines, like the platform's, are one line each."""

from __future__ import annotations

from gunicorn.glogging import Logger

from bastion.logs import OneLineFormatter


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
