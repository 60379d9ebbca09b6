"""Admin lists read one page from the system database, not every row then a slice (issue 17).

The cost of `GET /api/v2/system/role?limit=25` must not grow with the number of roles: the page is cut by
the database (LIMIT/OFFSET), so at most 25 roles are loaded whatever the table holds. The test counts the
rows the ORM loads, which is what a list costs, instead of timing it.
"""

from __future__ import annotations

import contextlib

import pytest

from bastion.db import session_scope
from bastion.invalidation import bump
from bastion.models import Service, User
from bastion.models_access import App, Role
from tests.databases import recorded

MANY = 300


@pytest.fixture(scope="module")
def system_db_url(sqlite_system_db_url):
    """Paging is the same SQL on every system database; one SQLite database is enough here."""
    return sqlite_system_db_url


def loaded(model) -> contextlib.AbstractContextManager[list]:
    """The instances of a model the ORM builds from rows while the block runs."""
    # The calling admin's own row (identification) is not part of any list.
    return recorded(model, "load", lambda row, _context: None if getattr(row, "is_sys_admin", False) else row)


def _add(app, make) -> None:
    with app.app_context(), session_scope() as db:
        db.add_all(make(i) for i in range(MANY))
        for counter in ("access", "services"):
            bump(db, counter)


@pytest.mark.parametrize(
    ("path", "model", "make"),
    [
        ("role", Role, lambda i: Role(name=f"role{i:04d}", access=[])),
        ("app", App, lambda i: App(name=f"app{i:04d}", api_key_hash=f"h{i}", key_fingerprint=f"f{i}")),
        ("service", Service, lambda i: Service(name=f"svc{i:04d}", config={"engine": "sqlite"})),
        ("user", User, lambda i: User(email=f"u{i}@example.com", name=f"u{i}", password_hash="")),
    ],
)
def test_a_page_of_an_admin_list_loads_only_that_page(app, client, admin_headers, path, model, make):
    _add(app, make)
    url = f"/api/v2/system/{path}"
    with loaded(model) as seen:
        page = client.get(url, query_string={"limit": "25", "offset": "100"}, headers=admin_headers)
    assert page.status_code == 200, page.get_json()
    assert len(page.get_json()["resource"]) == 25
    assert len(seen) <= 25
    with loaded(model) as seen:
        counted = client.get(url, query_string={"limit": "25", "include_count": "1"}, headers=admin_headers)
    assert counted.get_json()["meta"]["count"] >= MANY and len(seen) <= 25


def test_the_service_list_of_api_v2_reads_the_worker_cache(app, client, admin_headers):
    _add(app, lambda i: Service(name=f"svc{i:04d}", config={"engine": "sqlite"}))
    client.get("/api/v2", headers=admin_headers)
    with loaded(Service) as seen:
        listed = client.get("/api/v2", headers=admin_headers).get_json()["resource"]
    assert len(listed) == MANY and not seen
    # A change through the platform is seen on the very next request.
    first = client.get("/api/v2/system/service", query_string={"limit": "1"}, headers=admin_headers)
    service_id = first.get_json()["resource"][0]["id"]
    changed = client.patch(
        f"/api/v2/system/service/{service_id}", json={"is_active": False}, headers=admin_headers
    )
    assert changed.status_code == 200, changed.get_json()
    names = [s["name"] for s in client.get("/api/v2", headers=admin_headers).get_json()["resource"]]
    assert len(names) == MANY - 1 and names == sorted(names)
