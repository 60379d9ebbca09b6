"""Cache invalidation through the system database: a bump made by one app reaches another."""

from __future__ import annotations

from bastion.db import session_scope
from bastion.invalidation import VersionedCache, bump
from tests.conftest import make_app


def test_a_bump_in_one_app_rebuilds_the_cache_of_another(app, system_db_url, tmp_path):
    other = make_app(system_db_url, str(tmp_path))
    builds = []
    cache = VersionedCache("cors", lambda: builds.append(1) or len(builds))
    with other.test_request_context():
        assert cache.get() == 1
    with other.test_request_context():
        assert cache.get() == 1
    with app.app_context(), session_scope() as db:
        bump(db, "cors")
    with other.test_request_context():
        assert cache.get() == 2
    other.extensions["bastion.db"].dispose()
