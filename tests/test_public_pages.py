"""A system list's page of JSON forms (listing.public_page) is exactly what one row at a time gives."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("resource", ["role", "app", "service", "cors"])
def test_a_page_matches_each_record_read_on_its_own(client, admin_headers, tmp_path, resource):
    from tests.conftest import add_sqlite_service

    add_sqlite_service(client, admin_headers, tmp_path / "hr.db", ["CREATE TABLE t (id INTEGER PRIMARY KEY)"])
    bodies = {
        "role": [
            {"name": f"r{i}", "description": "d", "access": [{"service": "hr", "component": "*"}]}
            for i in range(3)
        ],
        "app": [{"name": f"a{i}", "description": "d"} for i in range(3)],
        "service": [],
        "cors": [{"path": f"/api/v2/hr{i}/*", "origins": ["https://a.example"]} for i in range(3)],
    }[resource]
    for body in bodies:
        assert client.post(f"/api/v2/system/{resource}", json=body, headers=admin_headers).status_code == 201
    page = client.get(f"/api/v2/system/{resource}", headers=admin_headers).json["resource"]
    assert page
    for record in page:
        alone = client.get(f"/api/v2/system/{resource}/{record['id']}", headers=admin_headers).json
        assert record == alone
