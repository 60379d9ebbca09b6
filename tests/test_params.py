"""Query parameters of the data API: parsing, defaults and the 400s that name the parameter."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bastion.data.options import RECORD_READ, Query
from bastion.data.params import (
    BatchMode,
    ListParams,
    OrderTerm,
    Related,
    WriteParams,
    parse_batch_mode,
    parse_ids,
    parse_list_params,
    parse_read_params,
    parse_write_params,
)
from bastion.errors import BadRequest
from bastion.platform import QueryArgs


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
        ("include_count", "maybe", "Parameter 'include_count' must be true, false, 1, 0 or estimate"),
        ("fields", "a,,b", "Parameter 'fields' must be a comma-separated list of field names"),
        ("id_field", "*", "Parameter 'id_field' must name fields, not '*'"),
        ("order", "name sideways", "Parameter 'order' must be a comma list of 'field [asc|desc] [nulls"),
        ("order", "name desc nulls", "Parameter 'order' must be a comma list of 'field [asc|desc] [nulls"),
        ("order", "name nulls middle", "Parameter 'order' must be a comma list"),
        ("order", "name asc nulls last x", "Parameter 'order' must be a comma list"),
        ("sort", "name up", "Parameter 'sort' must be a comma list"),
        ("top", "0", "Parameter 'top' must be a positive integer"),
        ("skip", "-1", "Parameter 'skip' must be a non-negative integer"),
        ("as_list", "maybe", "Parameter 'as_list' must be true, false, 1 or 0"),
        ("select", "a,,b", "Parameter 'select' must be a comma-separated list of field names"),
        ("id_type", "integer,bogus", "Parameter 'id_type' names an unknown type 'bogus'"),
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


# ---- DreamFactory's option names (issue 14) ----


def test_dreamfactory_aliases_stand_for_the_options():
    args = {"select": "id,name", "where": "id > 1", "top": "5", "skip": "2", "sort": "name desc"}
    assert parse_list_params(args, 100) == ListParams(
        limit=5,
        offset=2,
        fields=("id", "name"),
        filter="id > 1",
        order=(OrderTerm("name", True),),
        capped=False,
    )
    assert parse_list_params({"order_by": "id"}, 100).order == (OrderTerm("id"),)
    assert parse_write_params({"select": "*", "where": "a = 1"}) == WriteParams(fields=("*",), filter="a = 1")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"fields": "id", "select": "name"}, "Parameters 'fields' and 'select' cannot be used together"),
        ({"sort": "id", "order_by": "id"}, "Parameters 'order_by' and 'sort' cannot be used together"),
        ({"limit": "1", "top": "1"}, "Parameters 'limit' and 'top' cannot be used together"),
    ],
)
def test_two_spellings_of_one_option_are_a_400(args, message):
    with pytest.raises(BadRequest) as caught:
        parse_list_params(args, 100)
    assert caught.value.message == message


UNSUPPORTED = ["include_access", "as_access_list", "schema", "force"]
UNSUPPORTED += ["regenerate", "send_invite"]


@pytest.mark.parametrize("name", UNSUPPORTED)
def test_dreamfactory_options_bastion_lacks_are_a_400_naming_them(name):
    for parse in (lambda args: parse_list_params(args, 100), parse_write_params):
        with pytest.raises(BadRequest) as caught:
            parse({name: "true", "fields": "id"})
        assert caught.value.message == f"Parameter '{name}' is not supported by Bastion"
        assert caught.value.context == {"parameter": name}


def test_file_is_a_read_option():
    assert parse_list_params({"file": "true"}, 100) and parse_read_params({"file": "x.json"})
    with pytest.raises(
        BadRequest, match=r"'file' is supported on table reads \(GET _table/<table>\[/<id>\]\) only"
    ):
        parse_write_params({"file": "true"})


@pytest.mark.parametrize("name", ["as_list", "count_only", "include_schema", "group", "group_by", "having"])
def test_read_only_options_are_a_400_on_writes_and_reads_by_id(name):
    with pytest.raises(BadRequest, match=r"is supported on collection reads \(GET _table/<table>\) only"):
        parse_write_params({name: "1"})


def test_placeholders_fill_the_filter_of_a_write_but_not_a_read_by_id():
    parsed = parse_write_params({"filter": "id = :x", "params[x]": "1"})
    assert parsed.filter_params == ((":x", "1"),)
    with pytest.raises(BadRequest, match="'params' is supported with 'filter' on collection reads and"):
        parse_read_params({"params[:x]": "1"})


def test_related_is_parsed_on_reads_and_refused_on_writes():
    args = {"related": "*", "contact_info_by_contact_id.limit": "2", "x.order": "name desc", "y.other": "1"}
    related = parse_list_params(args, 10).related
    assert related.every and [ask.name for ask in related.asks] == ["contact_info_by_contact_id", "x"]
    assert related.ask("x").order[0].descending and related.ask("contact_info_by_contact_id").limit == 2
    with pytest.raises(BadRequest, match="Parameter 'a.limit' must be a positive integer"):
        parse_list_params({"related": "a", "a.limit": "0"}, 10)
    with pytest.raises(BadRequest, match=r"Parameter 'related' is supported on reads \(GET\) only"):
        parse_write_params({"related": "*"})
    assert parse_write_params({"allow_related_delete": "true"}).allow_related_delete
    with pytest.raises(BadRequest, match="'allow_related_delete' is not supported"):
        parse_list_params({"allow_related_delete": "1"}, 10)


def test_names_dreamfactory_does_not_define_stay_ignored():
    args = {"_": "1712345678", "api_key": "k", "session_token": "t", "callback": "x", "Fields": "nope"}
    assert parse_list_params(args, 10) == ListParams(limit=10)
    assert parse_write_params(args) == WriteParams()
    # Options Bastion implements elsewhere are no error on a write: they never changed a write's answer.
    assert parse_write_params({"limit": "5", "order": "id", "include_count": "1", "refresh": "1"})


def test_filter_params_are_collected_with_their_colon():
    args = {"filter": "a = :a and b = :b", "params[:b]": "2", "params[a]": "x y", "params[:c]": ""}
    params = parse_list_params(args, 10)
    assert params.filter_params == ((":a", "x y"), (":b", "2"), (":c", ""))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"params": "{}"}, "Parameter 'params' must name a filter placeholder, as in params[:name]=value"),
        ({"params[]": "1"}, "Parameter 'params[]' must name a filter placeholder"),
        ({"params[a b]": "1"}, "Parameter 'params[a b]' must name a filter placeholder"),
        ({"params[:a]": "1", "params[a]": "2"}, "Filter placeholder ':a' is given twice in 'params'"),
    ],
)
def test_malformed_filter_params_are_a_400(args, message):
    with pytest.raises(BadRequest, match=message.replace("[", r"\[")):
        parse_list_params(args, 10)


def test_order_takes_nulls_first_or_last():
    order = parse_list_params({"order": "a nulls first, b DESC NULLS LAST,c asc nulls first"}, 10).order
    assert order == (
        OrderTerm("a", False, "first"),
        OrderTerm("b", True, "last"),
        OrderTerm("c", False, "first"),
    )


def test_id_type_is_checked_and_kept():
    assert parse_list_params({"id_type": "Integer, string"}, 10).id_type == ("Integer", "string")
    assert parse_write_params({"id_type": "uuid"}).id_type == ("uuid",)


def test_the_shape_keeps_everything_but_per_run_values():
    base = parse_list_params({"limit": "5", "offset": "10", "include_count": "1", "filter": "a = :a"}, 100)
    other_page = parse_list_params({"limit": "7", "offset": "0", "filter": "a = :a"}, 100)
    assert base.shape() == other_page.shape()
    for extra in ({"params[:a]": "1"}, {"as_list": "1"}, {"order": "a nulls first"}, {"id_type": "id"}):
        changed = parse_list_params({"limit": "5", "filter": "a = :a", **extra}, 100)
        assert changed.shape() != base.shape(), extra
    one = parse_list_params({"filter": "a = :a", "params[:a]": "1"}, 100)
    two = parse_list_params({"filter": "a = :a", "params[:a]": "2"}, 100)
    assert one.shape() != two.shape()
    hash(one.shape())


# Values bound per run: they must not split the plans' key. Every other field must change it.
PER_RUN_FIELDS = {"limit", "offset", "include_count", "capped", "count_estimate"}
OTHER_VALUES = {
    "limit": 9,
    "offset": 3,
    "fields": ("a",),
    "filter": "a = 1",
    "order": (OrderTerm("a", True),),
    "include_count": True,
    "ids": (("1",),),
    "id_field": ("a",),
    "id_type": ("integer",),
    "filter_params": (("a", "1"),),
    "as_list": True,
    "related": Related(True, ()),
    "count_only": True,
    "include_schema": True,
    "group": ("a",),
    "having": "COUNT_ALL > 1",
    "capped": False,
    "cursor": "token",
    "count_estimate": True,
}


@pytest.mark.parametrize("field", [f.name for f in dataclasses.fields(ListParams)])
def test_every_field_of_list_params_changes_the_plans_key_unless_bound_per_run(field):
    base = ListParams(limit=5)
    changed = dataclasses.replace(base, **{field: OTHER_VALUES[field]})
    assert changed != base, f"OTHER_VALUES[{field!r}] must differ from the default"
    assert (changed.shape() == base.shape()) is (field in PER_RUN_FIELDS)
    hash(changed.shape())


def test_a_read_without_options_gets_what_parsing_nothing_gives():
    params, related = parse_read_params(QueryArgs([]))
    assert params == parse_write_params({}, Query({}, RECORD_READ)) and related is None
    assert parse_read_params(QueryArgs([("fields", "id")]))[0].fields == ("id",)
