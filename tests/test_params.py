"""Query parameters of the data API: parsing, defaults and the 400s that name the parameter."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bastion.data.params import (
    BatchMode,
    ListParams,
    OrderTerm,
    WriteParams,
    parse_batch_mode,
    parse_ids,
    parse_list_params,
    parse_write_params,
)
from bastion.errors import BadRequest


def test_defaults():
    assert parse_list_params({}, 1000) == ListParams(limit=1000)
    assert parse_write_params({}) == WriteParams()


def test_every_list_parameter():
    args = {
        "fields": " name , id",
        "filter": "id > 1",
        "limit": "20",
        "offset": "40",
        "order": "name DESC, id",
        "include_count": "TRUE",
        "ids": "1,2",
        "id_field": "code",
        "api_key": "ignored",
    }
    assert parse_list_params(args, 1000) == ListParams(
        limit=20,
        offset=40,
        fields=("name", "id"),
        filter="id > 1",
        order=(OrderTerm("name", True), OrderTerm("id", False)),
        include_count=True,
        ids=(("1", "2"),),
        id_field=("code",),
        capped=False,
    )


@pytest.mark.parametrize(
    ("asked", "limit", "capped"), [("5", 5, False), ("100", 100, False), ("101", 100, True)]
)
def test_limit_is_capped_by_max_records(asked, limit, capped):
    params = parse_list_params({"limit": asked}, 100)
    assert (params.limit, params.capped) == (limit, capped)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("limit", "0", "Parameter 'limit' must be a positive integer"),
        ("limit", "-3", "Parameter 'limit' must be a positive integer"),
        ("limit", "1.5", "Parameter 'limit' must be a positive integer"),
        ("limit", "", "Parameter 'limit' must be a positive integer"),
        ("limit", "\uff15", "Parameter 'limit' must be a positive integer"),
        ("offset", "-1", "Parameter 'offset' must be a non-negative integer"),
        ("offset", "ten", "Parameter 'offset' must be a non-negative integer"),
        ("include_count", "maybe", "Parameter 'include_count' must be true, false, 1 or 0"),
        ("fields", "a,,b", "Parameter 'fields' must be a comma-separated list of field names"),
        ("id_field", "*", "Parameter 'id_field' must name fields, not '*'"),
        ("order", "name sideways", "Parameter 'order' must be a comma list of 'field [asc|desc]'"),
        ("order", "a b c", "Parameter 'order' must be a comma list"),
        ("order", "name,", "Parameter 'order' must be a comma list"),
        ("ids", " ", "Parameter 'ids' must not be empty"),
        ("ids", "1,,2", "Parameter 'ids' contains an empty id"),
        ("ids", "1,7;", "Parameter 'ids' contains an empty id"),
    ],
)
def test_malformed_values_name_the_parameter(name, value, message):
    with pytest.raises(BadRequest, match=message.replace("[", r"\[").replace("|", r"\|")):
        parse_list_params({name: value}, 100)


def test_fields_star_empty_values_and_flags():
    assert parse_list_params({"fields": "*"}, 10).fields == ("*",)
    assert parse_list_params({"fields": "id,*"}, 10).fields == ("*",)
    assert parse_list_params({"fields": " ", "id_field": "", "filter": "  "}, 10) == ListParams(limit=10)
    assert parse_list_params({"include_count": ""}, 10).include_count is True
    assert parse_list_params({"include_count": "0"}, 10).include_count is False


def test_ids_keep_composite_groups():
    assert parse_ids("1, 2 ,3") == (("1", "2", "3"),)
    assert parse_ids("1,7;3,8") == (("1", "7"), ("3", "8"))


@pytest.mark.parametrize(
    ("args", "mode"),
    [
        ({}, BatchMode.STOP),
        ({"rollback": "true"}, BatchMode.ROLLBACK),
        ({"continue": "1"}, BatchMode.CONTINUE),
        ({"continue": "false", "rollback": "0"}, BatchMode.STOP),
        ({"continue": "true", "rollback": "false"}, BatchMode.CONTINUE),
    ],
)
def test_batch_mode(args, mode):
    assert parse_batch_mode(args) is mode


def test_continue_and_rollback_together_is_a_400():
    with pytest.raises(BadRequest, match="'continue' and 'rollback' cannot be used together"):
        parse_batch_mode({"continue": "true", "rollback": "1"})
    with pytest.raises(BadRequest, match="Parameter 'rollback' must be true"):
        parse_write_params({"rollback": "yes please"})


def test_write_params():
    args = {"fields": "*", "ids": "3,7;4,1", "id_field": "a,b", "continue": "1", "filter": "a = 1"}
    assert parse_write_params(args) == WriteParams(
        fields=("*",),
        filter="a = 1",
        ids=(("3", "7"), ("4", "1")),
        id_field=("a", "b"),
        mode=BatchMode.CONTINUE,
    )


@given(st.integers(min_value=1, max_value=10**12), st.integers(min_value=1, max_value=5000))
def test_any_positive_limit_is_accepted_and_capped(asked, max_records):
    params = parse_list_params({"limit": str(asked)}, max_records)
    assert params.limit == min(asked, max_records)
    assert params.capped is (asked > max_records)


@given(st.text(max_size=12))
def test_limit_text_is_either_a_positive_integer_or_a_400(text):
    try:
        limit = parse_list_params({"limit": text}, 10**15).limit
    except BadRequest as exc:
        assert exc.message == "Parameter 'limit' must be a positive integer"
    else:
        assert limit == int(text.strip()) >= 1  # str.strip also drops \x1c-\x1f, which int() keeps
