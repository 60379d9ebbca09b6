"""DreamFactory's count_only, include_schema and group over HTTP, under roles (issue 14 §3).

The access world (tests/access_world.py): key "a" carries the reader role, GET on employees limited to
Sales rows and to the fields id, first_name, department, and GET on _schema/employees with those fields.
"""

from __future__ import annotations

import pytest

from tests.access_world import world_on

URL = "/api/v2/hr/_table/employees"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(request, tmp_path_factory):
    yield from world_on(request.param, tmp_path_factory.mktemp("dfparams"))


@pytest.fixture
def reader(world):
    world.reset_rows()
    return {"X-Api-Key": world.keys["a"]}


@pytest.fixture
def no_schema(world):
    """A key whose role may read employees (all rows, all fields) but not their schema."""
    if "no_schema" not in world.keys:
        access = [{"service": "hr", "component": "_table/employees", "verbs": ["GET"]}]
        role = _post(world, "role", {"name": "no-schema", "access": access})
        world.keys["no_schema"] = _post(world, "app", {"name": "no-schema", "role_id": role["id"]})["api_key"]
    world.reset_rows()
    return {"X-Api-Key": world.keys["no_schema"]}


def _post(world, path: str, body: dict) -> dict:
    response = world.client.post(f"/api/v2/system/{path}", json=body, headers=world.admin_headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_count_only_is_the_bare_number_inside_the_row_filter(world, reader):
    response = world.client.get(URL, query_string={"count_only": "true"}, headers=reader)
    assert response.status_code == 200 and response.is_json
    assert response.get_json() == 3  # the three Sales rows, whatever the table holds
    everything = world.client.get(URL, query_string={"count_only": "1"}, headers=world.admin_headers)
    assert everything.get_json() == 5
    filtered = world.client.get(URL, query_string={"count_only": "", "filter": "id > 1"}, headers=reader)
    assert filtered.get_json() == 2


def test_include_schema_is_the_schema_the_role_may_see(world, reader):
    response = world.client.get(URL, query_string={"include_schema": "true", "limit": "1"}, headers=reader)
    body = response.get_json()
    assert response.status_code == 200, body
    schema = world.client.get("/api/v2/hr/_schema/employees", headers=reader).get_json()
    assert body["meta"]["schema"] == schema
    assert {f["name"] for f in schema["field"]} == {"id", "first_name", "department"}
    assert len(body["resource"]) == 1


def test_include_schema_without_schema_access_is_a_403(world, no_schema):
    assert world.client.get(URL, headers=no_schema).status_code == 200
    refused = world.client.get(URL, query_string={"include_schema": "1"}, headers=no_schema)
    assert refused.status_code == 403, refused.get_json()
    assert "_schema/employees" in refused.get_json()["error"]["message"]


def test_group_over_http_keeps_the_row_filter_and_the_field_list(world, reader):
    query = {"group": "department", "fields": "department,COUNT(*)"}
    grouped = world.client.get(URL, query_string=query, headers=reader)
    assert grouped.get_json() == {"resource": [{"department": "Sales", "COUNT_ALL": 3}]}
    hidden = world.client.get(URL, query_string={**query, "fields": "department,SUM(salary)"}, headers=reader)
    assert hidden.status_code == 400
    assert hidden.get_json()["error"]["message"] == "Unknown field 'salary'"
    alias = world.client.get(
        URL, query_string={"group_by": "department", "order_by": "department"}, headers=world.admin_headers
    )
    assert alias.get_json() == {"resource": [{"department": "Eng"}, {"department": "Sales"}]}


@pytest.mark.parametrize("name", ["count_only", "group", "having", "include_schema", "group_by"])
def test_collection_read_options_are_refused_elsewhere(world, name):
    world.reset_rows()
    for method, path in (("GET", f"{URL}/1"), ("PATCH", f"{URL}/1"), ("DELETE", f"{URL}/1"), ("POST", URL)):
        response = world.client.open(
            path, method=method, query_string={name: "1"}, json={"id": 9}, headers=world.admin_headers
        )
        assert response.status_code == 400, (method, response.get_json())
        message = f"Parameter '{name}' is supported on collection reads (GET _table/<table>) only"
        assert response.get_json()["error"]["message"] == message
    assert world.client.get(f"{URL}/1", headers=world.admin_headers).status_code == 200


# X-HTTP-Method: a POST tunnels GET, PUT, PATCH and DELETE; every check sees the tunnelled verb.

ORIGIN = "https://contacts.example"


def _key(world, name: str, verbs: list[str]) -> dict:
    """A key whose role may use only these verbs on employees (all rows, all fields)."""
    if name not in world.keys:
        access = [{"service": "hr", "component": "_table/employees/*", "verbs": verbs}]
        role = _post(world, "role", {"name": name, "access": access})
        world.keys[name] = _post(world, "app", {"name": name, "role_id": role["id"]})["api_key"]
    world.reset_rows()
    return {"X-Api-Key": world.keys[name]}


def _tunnel(world, path, verb, headers, header="X-HTTP-Method", **kwargs):
    return world.client.post(path, headers={**headers, header: verb}, **kwargs)


def _exists(world, row_id: int) -> bool:
    return world.client.get(f"{URL}/{row_id}", headers=world.admin_headers).status_code == 200


def test_a_tunnelled_get_takes_its_options_from_the_body(world, reader):
    body = {
        "filter": "first_name like %d%",
        "fields": ["id", "first_name"],
        "limit": 5,
        "include_count": True,
    }
    tunnelled = _tunnel(world, URL, "GET", reader, json=body)
    assert tunnelled.status_code == 200, tunnelled.get_json()
    query = {"filter": "first_name like %d%", "fields": "id,first_name", "limit": "5", "include_count": "1"}
    assert tunnelled.get_json() == world.client.get(URL, query_string=query, headers=reader).get_json()
    assert tunnelled.get_json()["resource"] == [{"id": 1, "first_name": "Ada"}, {"id": 5, "first_name": "Ed"}]
    by_ids = _tunnel(world, f"{URL}?fields=id", "get", reader, json={"ids": [1, 2], "order": "id desc"})
    assert by_ids.get_json()["resource"] == [{"id": 2}, {"id": 1}]
    outside = _tunnel(world, f"{URL}?fields=id", "get", reader, json={"ids": [1, 2, 3]})
    assert outside.get_json()["error"]["context"]["error"] == [2]  # 3 is outside the row filter
    placeholders = {"filter": "id = :n or first_name = :name", "params": {":n": 1, "name": "Bob"}}
    found = _tunnel(world, URL, "GET", reader, header="X-HTTP-Method-Override", json=placeholders)
    assert [r["id"] for r in found.get_json()["resource"]] == [1, 2]
    one = _tunnel(world, f"{URL}/2", "GET", reader, json={"fields": "first_name"})
    assert one.get_json() == {"first_name": "Bob"}


@pytest.mark.parametrize(
    ("query", "body", "needle"),
    [
        ({"filter": "id = 1"}, {"filter": "id = 2"}, "Option 'filter' is given in both"),
        ({"fields": "id"}, {"select": "id"}, "Option 'select' is given in both the query string ('fields')"),
        ({"params[:a]": "1"}, {"params": {"a": 2}}, "Option 'params[a]' is given in both"),
        ({}, {"limit": {"n": 1}}, "Body option 'limit' must be"),
        ({}, {"resource": [{"id": 1}]}, "with 'ids'"),
        ({}, {"count_only": True, "salary": 1}, None),
    ],
)
def test_a_tunnelled_get_refuses_an_option_given_twice(world, reader, query, body, needle):
    response = _tunnel(world, URL, "GET", reader, json=body, query_string=query)
    if needle is None:  # names that are not DreamFactory options stay ignored, as in a query string
        assert response.get_json() == 3
        return
    assert response.status_code == 400
    assert needle in response.get_json()["error"]["message"]


def test_the_role_check_sees_the_tunnelled_verb(world):
    reader = _key(world, "get-only", ["GET"])
    assert _tunnel(world, URL, "GET", reader).get_json()["resource"][0]["id"] == 1
    refused = _tunnel(world, f"{URL}/4", "DELETE", reader)
    assert refused.status_code == 403 and _exists(world, 4)
    poster = _key(world, "post-only", ["POST"])
    for verb, path in (("DELETE", f"{URL}/4"), ("PATCH", f"{URL}/4"), ("GET", URL), ("PUT", f"{URL}/4")):
        response = _tunnel(world, path, verb, poster, json={"salary": 1})
        assert response.status_code == 403, (verb, response.get_json())
    assert _exists(world, 4)
    assert world.client.get(f"{URL}/4", headers=world.admin_headers).get_json()["salary"] == 400
    created = world.client.post(URL, json={"id": 9, "first_name": "Flo"}, headers=poster)
    assert created.status_code == 201, created.get_json()


def test_tunnelled_writes_do_what_the_verb_does(world):
    world.reset_rows()
    admin = world.admin_headers
    patched = _tunnel(world, f"{URL}/4", "PATCH", admin, json={"salary": 401})
    assert patched.status_code == 200, patched.get_json()
    assert world.client.get(f"{URL}/4", headers=admin).get_json()["salary"] == 401
    deleted = _tunnel(world, URL, "DELETE", admin, query_string={"ids": "4,5"})
    assert deleted.status_code == 200 and not _exists(world, 4) and not _exists(world, 5)
    ibm = _tunnel(world, f"{URL}/3", "delete", admin, header="X-Method-Override")
    assert ibm.status_code == 200 and not _exists(world, 3)


@pytest.mark.parametrize(
    ("headers", "needle"),
    [
        ({"X-HTTP-Method": "TRACE"}, "X-HTTP-Method must be GET, PUT, PATCH or DELETE, not 'TRACE'"),
        ({"X-HTTP-Method-Override": "OPTIONS"}, "not 'OPTIONS'"),
        ({"X-HTTP-Method": "HEAD"}, "not 'HEAD'"),
        ({"X-HTTP-Method": "DELETE", "X-HTTP-Method-Override": "GET"}, "name different verbs"),
    ],
)
def test_other_tunnelled_verbs_are_a_400(world, headers, needle):
    world.reset_rows()
    response = world.client.post(f"{URL}/4", headers={**world.admin_headers, **headers})
    assert response.status_code == 400
    assert needle in response.get_json()["error"]["message"]
    assert _exists(world, 4)


def test_system_paths_tunnel_too_but_read_no_body(world):
    admin = world.admin_headers
    role = _post(world, "role", {"name": "throwaway"})
    listed = _tunnel(world, "/api/v2/system/role", "GET", admin)
    assert listed.status_code == 200 and "throwaway" in {r["name"] for r in listed.get_json()["resource"]}
    with_body = _tunnel(world, "/api/v2/system/role", "GET", admin, json={"filter": "name = 'x'"})
    assert with_body.status_code == 400
    assert "read on table reads" in with_body.get_json()["error"]["message"]
    deleted = _tunnel(world, f"/api/v2/system/role/{role['id']}", "DELETE", admin)
    assert deleted.status_code == 200, deleted.get_json()
    assert world.client.get(f"/api/v2/system/role/{role['id']}", headers=admin).status_code == 404


@pytest.fixture
def cors_rule(world):
    """A CORS rule for the contacts app on the hr service: GET and POST only."""
    body = {
        "path": "api/v2/hr/*",
        "origins": [ORIGIN],
        "methods": ["GET", "POST"],
        "headers": ["X-Api-Key", "Content-Type"],
    }
    created = _post(world, "cors", body)
    yield created
    world.client.delete(f"/api/v2/system/cors/{created['id']}", headers=world.admin_headers)


def test_cors_sees_the_tunnelled_verb(world, cors_rule):
    deleter = _key(world, "deleter", ["GET", "DELETE"])
    preflight = world.client.options(
        f"{URL}/4",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "x-api-key, x-http-method, content-type",
        },
    )
    assert preflight.status_code == 204, preflight.get_json()
    allowed = preflight.headers["Access-Control-Allow-Headers"].lower()
    assert "x-http-method" in allowed
    # DELETE is not among the rule's methods: tunnelled through an allowed POST it is refused, not run.
    refused = _tunnel(world, f"{URL}/4", "DELETE", {**deleter, "Origin": ORIGIN})
    assert refused.status_code == 403, refused.get_json()
    assert "tunnelled through POST" in refused.get_json()["error"]["message"]
    assert _exists(world, 4)
    assert _tunnel(world, f"{URL}/4", "DELETE", deleter).status_code == 200  # not cross-origin
    read = _tunnel(world, URL, "GET", {**deleter, "Origin": ORIGIN}, json={"ids": "1"})
    assert read.status_code == 200 and read.headers["Access-Control-Allow-Origin"] == ORIGIN
    elsewhere = _tunnel(world, URL, "GET", {**deleter, "Origin": "https://evil.example"})
    assert elsewhere.status_code == 403


# Writes as DreamFactory's clients send them.

NO_SALARY_ROLE = [
    {
        "service": "hr",
        "component": "_table/employees/*",
        "verbs": ["GET", "POST", "PATCH", "PUT"],
        "fields": ["id", "first_name", "department", "owner_id"],
    }
]


def test_a_wrapped_single_record_is_one_record(world):
    world.reset_rows()
    created = world.client.post(
        URL, json={"resource": {"id": 9, "first_name": "Flo"}}, headers=world.admin_headers
    )
    assert created.status_code == 201, created.get_json()
    assert created.get_json() == {"resource": [{"id": 9}]}
    patched = world.client.patch(f"{URL}/9", json={"resource": {"salary": 5}}, headers=world.admin_headers)
    assert patched.status_code == 200 and _admin_salary(world, 9) == 5
    by_ids = world.client.patch(
        URL, query_string={"ids": "9"}, json={"resource": {"salary": 6}}, headers=world.admin_headers
    )
    assert by_ids.status_code == 200 and _admin_salary(world, 9) == 6
    batch = world.client.patch(
        URL, query_string={"ids": "9"}, json={"resource": [{"salary": 7}]}, headers=world.admin_headers
    )
    assert batch.status_code == 400 and _admin_salary(world, 9) == 6


def _admin_salary(world, row_id):
    return world.client.get(f"{URL}/{row_id}", headers=world.admin_headers).get_json()["salary"]


def test_keys_that_are_no_column_are_dropped_and_named(world):
    world.reset_rows()
    form = {"id": 9, "first_name": "Flo", "csrf_token": "x", "submit": "Save", "a,b\r\nX-Evil: 1": 1}
    created = world.client.post(
        URL, json=[form, {"id": 10, "first_name": "Gus", "submit": "Save"}], headers=world.admin_headers
    )
    assert created.status_code == 201, created.get_json()
    assert created.headers["X-Ignored-Fields"] == "csrf_token,submit,a%2Cb%0D%0AX-Evil: 1"
    assert "X-Evil" not in created.headers
    patched = world.client.patch(f"{URL}/9", json={"salary": 3, "Submit": 1}, headers=world.admin_headers)
    assert patched.status_code == 200 and patched.headers["X-Ignored-Fields"] == "Submit"
    assert _admin_salary(world, 9) == 3
    # An object or array under an unknown name is a relationship's shape: refused, never dropped unseen.
    nested = world.client.patch(
        f"{URL}/9", json={"salary": 5, "teams_by_x": [{"id": 1}]}, headers=world.admin_headers
    )
    assert nested.status_code == 400 and nested.get_json()["error"]["message"] == "Unknown field 'teams_by_x'"
    assert _admin_salary(world, 9) == 3
    clean = world.client.patch(f"{URL}/9", json={"SALARY": 4}, headers=world.admin_headers)
    assert clean.status_code == 200 and "X-Ignored-Fields" not in clean.headers  # a column in another case
    assert _admin_salary(world, 9) == 4


def test_a_column_the_field_list_hides_is_dropped_like_a_key_naming_no_column(world):
    # Refusing a hidden column while dropping a made-up name told the caller which hidden columns exist.
    if "no_salary" not in world.keys:
        role = _post(world, "role", {"name": "no-salary", "access": NO_SALARY_ROLE})
        world.keys["no_salary"] = _post(world, "app", {"name": "no-salary", "role_id": role["id"]})["api_key"]
    world.reset_rows()
    headers = {"X-Api-Key": world.keys["no_salary"]}
    answers = {}
    for name in ("salary", "SALARY", "no_such_column"):
        body = {"resource": {"id": 9, "first_name": "Flo", name: 1}}
        created = world.client.post(URL, json=body, headers=headers)
        assert created.status_code == 201, created.get_json()
        answers[name] = (created.get_json(), created.headers["X-Ignored-Fields"] == name)
        assert _admin_salary(world, 9) is None  # created without the hidden column's value
        world.client.delete(f"{URL}/9", headers=world.admin_headers)
    assert len({repr(answer) for answer in answers.values()}) == 1, answers
    world.reset_rows()
    before = _admin_salary(world, 1)
    for name in ("salary", "no_such_column"):
        patched = world.client.patch(f"{URL}/1", json={"first_name": "Al", name: 7}, headers=headers)
        assert patched.status_code == 200 and patched.headers["X-Ignored-Fields"] == name
    assert _admin_salary(world, 1) == before


def test_validation_and_batch_errors_carry_dreamfactory_keys(world):
    world.reset_rows()
    bad = world.client.patch(f"{URL}/1", json={"salary": "lots"}, headers=world.admin_headers)
    context = bad.get_json()["error"]["context"]
    assert bad.status_code == 400 and set(context) == {"salary", "errors"}
    assert context["salary"] == [context["errors"]["salary"]]
    batch = [{"id": 11, "first_name": "A"}, {"id": 12}, {"id": 13, "first_name": "C", "salary": "x"}]
    failed = world.client.post(URL, query_string={"continue": "1"}, json=batch, headers=world.admin_headers)
    context = failed.get_json()["error"]["context"]
    assert failed.status_code == 400
    assert context["errors"] == context["error"] == [1, 2]
    assert context["resource"][0] == {"id": 11}
    assert context["resource"][1]["error"]["context"]["first_name"] == ["is required"]
    # df-core BatchException::toArray: a failed record's entry holds code, status_code, message, context.
    entry = context["resource"][1]
    assert entry["code"] == entry["status_code"] == entry["error"]["code"] == 400
    assert entry["message"] == entry["error"]["message"] and entry["context"] == entry["error"]["context"]


def test_a_browser_may_read_the_ignored_fields(world, cors_rule):
    world.reset_rows()
    headers = {**world.admin_headers, "Origin": ORIGIN}
    created = world.client.post(URL, json={"id": 9, "first_name": "Flo", "submit": "Save"}, headers=headers)
    assert created.status_code == 201 and created.headers["X-Ignored-Fields"] == "submit"
    assert created.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert created.headers["Access-Control-Expose-Headers"] == "X-Ignored-Fields"
    read = world.client.get(URL, headers=headers)
    assert "Access-Control-Expose-Headers" not in read.headers  # only where the platform sets it


def test_resource_lists_take_dreamfactorys_options(world, reader):
    """df-core RestHandler::handleGET, df-database BaseDbTableResource/DbSchemaResource::getResources."""
    get = lambda path, **query: world.client.get(f"/api/v2/hr{path}", query_string=query, headers=reader)  # noqa: E731
    assert get("/_table", as_list="true").get_json() == {"resource": ["employees"]}
    assert get("/_schema", as_list="1").get_json() == {"resource": ["employees"]}
    assert get("", as_list="true").get_json() == {"resource": ["_table", "_schema"]}
    tables = get("/_table", include_access="true").get_json()["resource"]
    assert tables == [{"name": "employees", "verbs": ["GET"], "access": ["GET"]}]
    assert get("/_table", fields="name", ids="employees,other").get_json() == {
        "resource": [{"name": "employees"}]
    }
    assert get("/_table", ids="other").get_json() == {"resource": []}
    # _schema?ids= describes each named table exactly as _schema/<table> does for this caller.
    one = world.client.get("/api/v2/hr/_schema/employees", headers=reader).get_json()
    assert get("/_schema", ids="employees").get_json() == {"resource": [one]}
    assert get("/_schema", ids="employees", fields="name,primary_key").get_json() == {
        "resource": [{"name": "employees", "primary_key": ["id"]}]
    }


@pytest.mark.parametrize("path", ["", "/_table", "/_schema"])
@pytest.mark.parametrize("name", ["limit", "filter", "order", "include_count", "related"])
def test_resource_lists_refuse_the_options_they_do_not_take(world, reader, path, name):
    response = world.client.get(f"/api/v2/hr{path}", query_string={name: "1"}, headers=reader)
    assert response.status_code == 400, response.get_json()
    assert f"'{name}'" in response.get_json()["error"]["message"]


def test_schema_ids_ask_the_same_access_as_each_table(world, no_schema):
    refused = world.client.get("/api/v2/hr/_schema", query_string={"ids": "employees"}, headers=no_schema)
    assert refused.status_code == 403, refused.get_json()
    missing = world.client.get(
        "/api/v2/hr/_schema", query_string={"ids": "nope"}, headers=world.admin_headers
    )
    assert missing.status_code == 404


def test_file_answers_the_read_as_a_json_download(world, reader):
    plain = world.client.get(URL, headers=reader)
    assert "Content-Disposition" not in plain.headers
    for value, name in (
        ("true", "resource.json"),
        ("", "resource.json"),
        ("sales-2024.JSON", "sales-2024.JSON"),
    ):
        download = world.client.get(URL, query_string={"file": value}, headers=reader)
        assert download.status_code == 200, download.get_json()
        assert download.headers["Content-Disposition"] == f'attachment; filename="{name}"'
        assert download.get_json() == plain.get_json()  # the same rows, inside the row filter
    one = world.client.get(f"{URL}/1", query_string={"file": "1"}, headers=reader)
    assert one.get_json() == {"id": 1, "first_name": "Ada", "department": "Sales"}
    assert one.headers["Content-Disposition"] == 'attachment; filename="resource.json"'
    count = world.client.get(URL, query_string={"count_only": "1", "file": "n.json"}, headers=reader)
    assert count.get_json() == 3 and "n.json" in count.headers["Content-Disposition"]
    off = world.client.get(URL, query_string={"file": "false"}, headers=reader)
    assert "Content-Disposition" not in off.headers


@pytest.mark.parametrize(
    ("value", "needle"),
    [
        ("rows.csv", "Bastion answers JSON only"),
        ("rows.xml", "Bastion answers JSON only"),
        ("report", "must be true, false or a file name ending in .json"),
        ('a".json', "must be true, false or a file name"),
        ("../x.json", "must be true, false or a file name"),
    ],
)
def test_file_that_bastion_cannot_answer_is_a_400(world, reader, value, needle):
    response = world.client.get(URL, query_string={"file": value}, headers=reader)
    assert response.status_code == 400
    assert needle in response.get_json()["error"]["message"]
    write = world.client.delete(f"{URL}/1", query_string={"file": "true"}, headers=world.admin_headers)
    assert write.status_code == 400
    assert "'file' is supported on table reads" in write.get_json()["error"]["message"]
