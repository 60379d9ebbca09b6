"""Every /api/v2/system/<resource> list: limit, offset, order/sort, filter, ids, fields, include_count;
batches by ids with the data API's modes (issue 15 §1). On each system database engine."""

from __future__ import annotations

import pytest

from tests.conftest import add_sqlite_service, created

SYS = "/api/v2/system"


def make_three(client, headers, resource, tmp_path) -> list[int]:
    """Three records of a resource (an admin already exists: two more), their ids."""
    if resource == "admin":
        made = [
            created(
                client,
                headers,
                "admin",
                {"email": f"a{i}@example.com", "name": f"a{i}", "password": "p" * 12},
            )
            for i in range(2)
        ]
        listed = client.get(f"{SYS}/admin", headers=headers).get_json()["resource"]
        return sorted(a["id"] for a in listed)
    if resource == "service":
        return [
            add_sqlite_service(
                client, headers, tmp_path / f"s{i}.db", ["CREATE TABLE t (id INTEGER PRIMARY KEY)"], f"s{i}"
            )["id"]
            for i in range(3)
        ]
    bodies = {
        "role": lambda i: {"name": f"r{i}"},
        "app": lambda i: {"name": f"app{i}"},
        "user": lambda i: {"email": f"u{i}@example.com", "name": f"u{i}", "password": "p" * 12},
        "cors": lambda i: {"path": f"api/v2/p{i}", "origins": ["https://a.example.com"]},
    }
    made = [created(client, headers, resource, bodies[resource](i)) for i in range(3)]
    return [m["id"] for m in made]


RESOURCES = ["admin", "user", "role", "app", "service", "cors"]


@pytest.mark.parametrize("resource", RESOURCES)
def test_limit_offset_count_and_ids(client, admin_headers, tmp_path, resource):
    ids = make_three(client, admin_headers, resource, tmp_path)
    url = f"{SYS}/{resource}"
    page = client.get(
        url, query_string={"limit": 1, "offset": 1, "include_count": "true"}, headers=admin_headers
    )
    assert page.status_code == 200, page.get_json()
    body = page.get_json()
    assert [r["id"] for r in body["resource"]] == [ids[1]] and body["meta"] == {"count": 3}
    chosen = client.get(url, query_string={"ids": f"{ids[2]},{ids[0]}"}, headers=admin_headers).get_json()
    assert sorted(r["id"] for r in chosen["resource"]) == sorted([ids[0], ids[2]])
    desc = client.get(
        url, query_string={"order": "id desc", "fields": "id"}, headers=admin_headers
    ).get_json()
    assert desc["resource"] == [{"id": i} for i in sorted(ids, reverse=True)]
    sort = client.get(url, query_string={"sort": "id DESC", "limit": 1}, headers=admin_headers).get_json()
    assert sort["resource"][0]["id"] == max(ids) and "meta" not in sort
    one = client.get(url, query_string={"filter": f"id = {ids[1]}"}, headers=admin_headers).get_json()
    assert [r["id"] for r in one["resource"]] == [ids[1]]


def test_filter_uses_the_data_api_grammar_with_bound_values(client, admin_headers, tmp_path):
    make_three(client, admin_headers, "role", tmp_path)
    url = f"{SYS}/role"

    def names(flt):
        response = client.get(url, query_string={"filter": flt}, headers=admin_headers)
        assert response.status_code == 200, response.get_json()
        return [r["name"] for r in response.get_json()["resource"]]

    assert names("name = 'r0' or name = 'r2' and is_active = true") == ["r0", "r2"]
    assert names("name in ('r1', 'r2') and not (name = 'r2')") == ["r1"]
    assert names("name like 'r%'") == ["r0", "r1", "r2"]
    # A quote in a value is part of the value, never SQL.
    assert names("name = 'r0'' or ''1''=''1'") == []


@pytest.mark.parametrize(
    ("resource", "secret"),
    [
        ("admin", "password_hash"),
        ("user", "password_hash"),
        ("app", "api_key_hash"),
        ("service", "config"),
        ("role", "access"),
    ],
)
def test_secret_and_json_columns_cannot_be_named(client, admin_headers, resource, secret):
    for param, value in (("filter", f"{secret} like 's%'"), ("order", secret)):
        response = client.get(f"{SYS}/{resource}", query_string={param: value}, headers=admin_headers)
        assert response.status_code == 400, (param, response.get_json())
        assert secret in response.get_json()["error"]["message"]


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "x"}, "limit"),
        ({"offset": "-1"}, "offset"),
        ({"ids": "1,x"}, "ids"),
        ({"ids": "0"}, "ids"),
        ({"fields": "id,nope"}, "fields"),
        ({"related": "nope"}, "related"),
        ({"order": "nope"}, "order"),
        ({"order": "id", "sort": "id"}, "sort"),
        ({"include_count": "maybe"}, "include_count"),
        ({"group": "name"}, "group"),
        ({"count_only": "true"}, "count_only"),
        ({"filter": "name ="}, "filter"),
    ],
)
def test_bad_parameters_are_a_400_naming_them(client, admin_headers, query, named):
    response = client.get(f"{SYS}/role", query_string=query, headers=admin_headers)
    assert response.status_code == 400, response.get_json()
    message = response.get_json()["error"]["message"]
    assert named in message or "filter" in message


def test_limits_are_capped_and_a_cut_list_says_so(client, admin_headers, tmp_path, monkeypatch):
    monkeypatch.setattr("bastion.api.listing.SYSTEM_MAX_RECORDS", 2)
    make_three(client, admin_headers, "role", tmp_path)
    asked = client.get(f"{SYS}/role", query_string={"limit": 500}, headers=admin_headers).get_json()
    assert len(asked["resource"]) == 2
    default = client.get(f"{SYS}/role", headers=admin_headers).get_json()
    assert len(default["resource"]) == 2 and default["meta"] == {"count": 3}


def test_service_types_list_pages_and_counts(client, admin_headers):
    response = client.get(
        f"{SYS}/service_type", query_string={"include_count": "1", "fields": "name"}, headers=admin_headers
    )
    assert response.get_json() == {"resource": [{"name": "sql"}, {"name": "http"}], "meta": {"count": 2}}
    paging = {"limit": "1", "offset": "1", "fields": "name"}
    paged = client.get(f"{SYS}/service_type", query_string=paging, headers=admin_headers)
    assert paged.get_json()["resource"] == [{"name": "http"}]
    assert (
        client.get(
            f"{SYS}/service_type", query_string={"filter": "name = 'sql'"}, headers=admin_headers
        ).status_code
        == 400
    )


@pytest.mark.parametrize("resource", RESOURCES)
def test_delete_several_by_ids(client, admin_headers, tmp_path, resource):
    ids = make_three(client, admin_headers, resource, tmp_path)
    doomed = ids[1:]  # an admin's list starts with the caller, who stays
    response = client.delete(
        f"{SYS}/{resource}", query_string={"ids": ",".join(map(str, doomed))}, headers=admin_headers
    )
    assert response.status_code == 200, response.get_json()
    assert [r["id"] for r in response.get_json()["resource"]] == doomed
    left = client.get(f"{SYS}/{resource}", headers=admin_headers).get_json()["resource"]
    assert [r["id"] for r in left] == [ids[0]]


@pytest.mark.parametrize(
    ("resource", "fields"),
    [
        ("admin", {"name": "same"}),
        ("user", {"is_active": False}),
        ("role", {"description": "batch"}),
        ("app", {"description": "batch"}),
        ("service", {"label": "batch"}),
        ("cors", {"max_age": 60}),
    ],
)
def test_patch_several_by_ids_and_by_resource_list(client, admin_headers, tmp_path, resource, fields):
    ids = make_three(client, admin_headers, resource, tmp_path)
    key, value = next(iter(fields.items()))
    by_ids = client.patch(
        f"{SYS}/{resource}", query_string={"ids": f"{ids[1]},{ids[2]}"}, json=fields, headers=admin_headers
    )
    assert by_ids.status_code == 200, by_ids.get_json()
    assert [r[key] for r in by_ids.get_json()["resource"]] == [value, value]
    listed = client.put(
        f"{SYS}/{resource}", json={"resource": [{"id": ids[0], **fields}]}, headers=admin_headers
    )
    assert listed.status_code == 200, listed.get_json()
    every = client.get(f"{SYS}/{resource}", query_string={"fields": f"id,{key}"}, headers=admin_headers)
    assert all(r[key] == value for r in every.get_json()["resource"] if r["id"] in ids)


def _descriptions(client, headers):
    roles = client.get(f"{SYS}/role", headers=headers).get_json()["resource"]
    return {r["name"]: r["description"] for r in roles}


def test_batch_modes_stop_continue_and_rollback(client, admin_headers, tmp_path):
    ids = make_three(client, admin_headers, "role", tmp_path)
    # The second record fails: it would take the first one's name.
    batch = {
        "resource": [
            {"id": ids[0], "description": "x"},
            {"id": ids[1], "name": "r0"},
            {"id": ids[2], "description": "x"},
        ]
    }
    stop = client.patch(f"{SYS}/role", json=batch, headers=admin_headers)
    assert stop.status_code == 400 and stop.get_json()["error"]["context"]["errors"] == [1]
    assert _descriptions(client, admin_headers) == {"r0": "x", "r1": "", "r2": ""}

    batch["resource"][0]["description"] = batch["resource"][2]["description"] = "y"
    rollback = client.patch(
        f"{SYS}/role", query_string={"rollback": "true"}, json=batch, headers=admin_headers
    )
    assert rollback.status_code == 400
    assert rollback.get_json()["error"]["context"]["resource"][0] is None
    assert _descriptions(client, admin_headers) == {"r0": "x", "r1": "", "r2": ""}

    keep_going = client.patch(
        f"{SYS}/role", query_string={"continue": "1"}, json=batch, headers=admin_headers
    )
    context = keep_going.get_json()["error"]["context"]
    assert keep_going.status_code == 400 and context["errors"] == [1]
    assert context["resource"][1]["error"]["code"] == 409 and context["resource"][2]["description"] == "y"
    assert _descriptions(client, admin_headers) == {"r0": "y", "r1": "", "r2": "y"}


def test_delete_batch_with_a_missing_id_rolls_back(client, admin_headers, tmp_path):
    ids = make_three(client, admin_headers, "app", tmp_path)
    response = client.delete(
        f"{SYS}/app", query_string={"ids": f"{ids[0]},999999", "rollback": "true"}, headers=admin_headers
    )
    assert response.status_code == 400, response.get_json()
    assert len(client.get(f"{SYS}/app", headers=admin_headers).get_json()["resource"]) == 3
    # A batch of one answers as the single request would.
    assert (
        client.delete(f"{SYS}/app", query_string={"ids": "999999"}, headers=admin_headers).status_code == 404
    )


@pytest.mark.parametrize(
    ("method", "kwargs"),
    [
        ("delete", {}),
        ("patch", {"json": {"description": "x"}}),
        ("patch", {"json": {"resource": [{"description": "x"}]}}),
        ("patch", {"query_string": {"ids": "1"}, "json": {"resource": [{"id": 1}]}}),
        ("delete", {"query_string": {"filter": "id = 1"}}),
    ],
)
def test_batches_must_name_their_records(client, admin_headers, method, kwargs):
    response = getattr(client, method)(f"{SYS}/role", headers=admin_headers, **kwargs)
    assert response.status_code == 400, response.get_json()


@pytest.mark.parametrize("resource", [*RESOURCES, "lookup"])
@pytest.mark.parametrize("method", ["put", "patch", "delete"])
@pytest.mark.parametrize("bad", [0, 2**31, 261741209905160093696])
def test_batch_ids_out_of_range_are_a_400_naming_the_record(client, admin_headers, resource, method, bad):
    # Past 64 bits SQLite cannot even bind the value, and past 32 bits no system id column holds it.
    listed = client.get(f"{SYS}/{resource}", headers=admin_headers).get_json()["resource"]
    body = {"resource": [{"id": bad, "description": "x"}]}
    response = getattr(client, method)(f"{SYS}/{resource}", json=body, headers=admin_headers)
    assert response.status_code == 400, response.get_json()
    assert "resource[0].id" in response.get_json()["error"]["context"]
    assert client.get(f"{SYS}/{resource}", headers=admin_headers).get_json()["resource"] == listed


def test_the_admin_document_describes_parameters_batches_and_dreamfactory_names(client, admin_headers):
    document = client.get("/api/v2/api_docs/system", headers=admin_headers).get_json()
    paths = document["paths"]
    listed = {p["name"] for p in paths["/system/role"]["get"]["parameters"]}
    assert {"limit", "offset", "order", "sort", "filter", "ids", "fields", "include_count"} <= listed
    for verb in ("patch", "put", "delete"):
        names = {p["name"] for p in paths["/system/user"][verb]["parameters"]}
        assert {"ids", "continue", "rollback"} <= names
    role_body = paths["/system/role"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert "role_service_access_by_role_id" in role_body["properties"]
    cors_body = paths["/system/cors/{id}"]["patch"]["requestBody"]["content"]["application/json"]["schema"]
    assert {"origin", "header", "exposed_header", "method"} <= set(cors_body["properties"])
    app_body = paths["/system/app"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert {"api_key", "launch_url", "toggle_location"} <= set(app_body["properties"])
    user_body = paths["/system/user"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert {"first_name", "phone", "user_to_app_to_role_by_user_id"} <= set(user_body["properties"])
    assert {"/system/admin/profile", "/system/admin/password", "/user/profile"} <= set(paths)


def test_create_batch_is_all_or_nothing_unless_continue(client, admin_headers):
    batch = {"resource": [{"name": "a"}, {"name": "a"}, {"name": "b"}]}
    plain = client.post(f"{SYS}/role", json=batch, headers=admin_headers)
    assert plain.status_code == 409 and _descriptions(client, admin_headers) == {}
    keep_going = client.post(
        f"{SYS}/role", query_string={"continue": "true"}, json=batch, headers=admin_headers
    )
    assert keep_going.status_code == 400 and keep_going.get_json()["error"]["context"]["errors"] == [1]
    assert sorted(_descriptions(client, admin_headers)) == ["a", "b"]
