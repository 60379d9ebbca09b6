"""The SPA's table browser in real Chromium: editing records through the data API, NULL shown as NULL,
whole-header sorting, bad filters, the grid's state in the route, and tables with URL-special names.

Each test gets its own SQLite service over a fresh demo HR database (200 employees), so tests that write
never see each other's rows; what the browser did is checked in the database file itself.
"""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from bastion.demo_seed import create_demo_database
from tests.databases import ENGINES, config_from_url, scratch_database
from tests.e2e.spa import ARTIFACTS, log_in, suffix

pytestmark = pytest.mark.e2e

NOTES = """
CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT, title VARCHAR(20));
INSERT INTO notes VALUES (1, NULL, 'null body'), (2, '', 'empty body'), (3, 'text', NULL);
"""
# Every character that means something in a URL or a hash route.
SPECIAL_TABLES = ["a/b", "50% off", "why?", "#tag", "two words", "x&y=z", "é ü"]


def _service(live_server, api, folder: Path, sql: str = "") -> tuple[str, Path]:
    """A SQLite service over a fresh demo database with `sql` run on it first; its name and file."""
    path = folder / "hr.db"
    create_demo_database(str(path), employees=200)
    if sql:
        with sqlite3.connect(path) as db:
            db.executescript(sql)
    body = {"name": f"data-{suffix()}", "config": {"engine": "sqlite", "database": str(path)}}
    answer = api.post(f"{live_server.url}/api/v2/system/service", json=body, timeout=10)
    answer.raise_for_status()
    return body["name"], path


def _open_table(page: Page, spa, service: str, table: str, query: str = "") -> None:
    page.goto(f"{spa.url}#/services/{quote(service, safe='')}/tables/{quote(table, safe='')}{query}")
    # A view's heading carries a "view" badge.
    expect(page.get_by_role("heading", name=re.compile(f"^{re.escape(table)}( view)?$"))).to_be_visible()


def _rows(path: Path, sql: str, *args) -> list[tuple]:
    with sqlite3.connect(path) as db:
        return db.execute(sql, args).fetchall()


def _grid(page: Page, table: str = "employees"):
    return page.get_by_role("table", name=f"Rows of {table}")


def test_records_are_created_edited_and_deleted_from_forms_built_from_the_schema(
    page, spa, live_server, api, screens, tmp_path
):
    service, path = _service(live_server, api, tmp_path)
    log_in(page, spa.url, live_server, screens)
    _open_table(page, spa, service, "employees")
    status = page.get_by_test_id("pager-status")
    expect(status).to_have_text("1–25 of 200")

    page.get_by_role("button", name="New record").click()
    form = page.get_by_test_id("record-form")
    expect(form.get_by_label("id", exact=True)).to_have_attribute("placeholder", "Set by the database")
    # A nullable column starts at NULL; its foreign key is a picker of the related table's rows, named by
    # their first text column, and picking one un-NULLs it.
    department = form.get_by_label("department_id", exact=True)
    expect(form.get_by_label("department_id is NULL")).to_be_checked()
    expect(department.locator("option", has_text="3 · Marketing")).to_have_count(1)
    expect(form.get_by_text("VARCHAR(50) · not null")).to_have_count(2)
    form.get_by_label("first_name", exact=True).fill("Ada")
    form.get_by_label("last_name", exact=True).fill("Lovelace")
    form.get_by_label("email", exact=True).fill("ada@example.com")
    form.get_by_label("hired_on", exact=True).fill("2026-11-30")
    department.select_option("3")
    expect(form.get_by_label("department_id is NULL")).not_to_be_checked()
    # Checked in the browser first: a value the column cannot hold never leaves it.
    form.get_by_label("salary", exact=True).fill("lots")
    form.get_by_role("button", name="Create record").click()
    expect(form.get_by_test_id("error-salary")).to_have_text("Enter a number")
    # The platform stays the authority: its message about the field lands on the field.
    form.get_by_label("salary", exact=True).fill("123456789012")
    expect(form.get_by_test_id("error-salary")).to_have_count(0)
    form.get_by_role("button", name="Create record").click()
    expect(form.get_by_test_id("error-salary")).to_contain_text("at most 8 digits before the decimal point")
    screens.snap("server-field-error")
    form.get_by_label("salary", exact=True).fill("91000.50")
    form.get_by_role("button", name="Create record").click()
    expect(form).to_be_hidden()
    expect(status).to_have_text("1–25 of 201")
    created = _rows(
        path, "SELECT department_id, salary, is_active FROM employees WHERE email = 'ada@example.com'"
    )
    assert created == [(3, 91000.5, 1)]  # is_active left to its default

    page.get_by_role("button", name="Edit record 1", exact=True).click()
    expect(form.get_by_label("last_name", exact=True)).to_have_value("Tanaka")
    form.get_by_label("last_name", exact=True).fill("Tanaka-Smith")
    form.get_by_label("department_id is NULL").check()
    screens.snap("edit-form")
    form.get_by_role("button", name="Save").click()
    expect(form).to_be_hidden()
    edited = _rows(path, "SELECT last_name, department_id FROM employees WHERE id = 1")
    assert edited == [("Tanaka-Smith", None)]
    expect(_grid(page).get_by_role("row").nth(1).get_by_test_id("null")).to_have_count(1)

    page.get_by_role("button", name="Delete record 2", exact=True).click()
    dialog = page.get_by_test_id("confirm")
    expect(dialog).to_contain_text("Delete the record id = 2 from employees?")
    dialog.get_by_role("button", name="Cancel").click()
    assert _rows(path, "SELECT count(*) FROM employees WHERE id = 2") == [(1,)]
    page.get_by_role("button", name="Delete record 2", exact=True).click()
    dialog.get_by_role("button", name="Delete").click()
    expect(status).to_have_text("1–25 of 200")
    assert _rows(path, "SELECT count(*) FROM employees WHERE id = 2") == [(0,)]


def test_records_with_a_composite_key_are_edited_and_deleted_by_their_whole_key(
    page, spa, live_server, api, screens, tmp_path
):
    service, path = _service(live_server, api, tmp_path)
    [(employee, project, hours)] = _rows(
        path, "SELECT employee_id, project_id, hours FROM assignments ORDER BY 1, 2 LIMIT 1"
    )
    log_in(page, spa.url, live_server, screens)
    _open_table(page, spa, service, "assignments", "?sort=employee_id")
    name = f"record {employee}, {project}"
    page.get_by_role("button", name=f"Edit {name}", exact=True).click()
    form = page.get_by_test_id("record-form")
    # The key names the record: shown, not offered for change (a picker would move the edit elsewhere).
    expect(form.get_by_label("employee_id", exact=True)).to_have_attribute("readonly", "")
    expect(form.get_by_label("project_id", exact=True)).to_have_value(str(project))
    form.get_by_label("hours", exact=True).fill(str(hours + 5))
    form.get_by_role("button", name="Save").click()
    expect(form).to_be_hidden()
    query = "SELECT hours FROM assignments WHERE employee_id = ? AND project_id = ?"
    assert _rows(path, query, employee, project) == [(hours + 5,)]
    page.get_by_role("button", name=f"Delete {name}", exact=True).click()
    page.get_by_test_id("confirm").get_by_role("button", name="Delete").click()
    expect(page.get_by_role("button", name=f"Edit {name}", exact=True)).to_have_count(0)
    assert _rows(path, query, employee, project) == []


def _gadgets(url: str) -> sa.Table:
    """Kinds and gadgets: a column of each portable type, a default, a length, NULLs and a foreign key."""
    metadata = sa.MetaData()
    kinds = sa.Table(
        "kinds", metadata, sa.Column("id", sa.Integer, primary_key=True), sa.Column("label", sa.String(20))
    )
    gadgets = sa.Table(
        "gadgets",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(10), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("price", sa.Numeric(6, 2)),
        sa.Column("made_at", sa.DateTime),
        sa.Column("meta", sa.JSON),
        sa.Column("kind_id", sa.Integer, sa.ForeignKey("kinds.id")),
        sa.Column("note", sa.Text),
    )
    engine = sa.create_engine(url)
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(kinds.insert(), [{"id": 1, "label": "small"}, {"id": 2, "label": "big"}])
    engine.dispose()
    return gadgets


@pytest.mark.parametrize("engine", ENGINES)
def test_the_record_form_writes_every_type_on_every_engine(
    page, spa, live_server, api, screens, tmp_path, engine
):
    with scratch_database(engine, str(tmp_path)) as url:
        gadgets = _gadgets(url)
        body = {"name": f"gadgets-{suffix()}", "config": config_from_url(url)}
        api.post(f"{live_server.url}/api/v2/system/service", json=body, timeout=10).raise_for_status()
        log_in(page, spa.url, live_server, screens)
        _open_table(page, spa, body["name"], "gadgets")
        page.get_by_role("button", name="New record").click()
        form = page.get_by_test_id("record-form")
        form.get_by_label("name", exact=True).fill("Widget")
        form.get_by_label("price", exact=True).fill("12.50")
        form.get_by_label("made_at", exact=True).fill("2026-11-30T10:20:00")
        form.get_by_label("meta", exact=True).fill('{"a": [1, 2]}')
        form.get_by_label("kind_id", exact=True).select_option(label="2 · big")
        form.get_by_role("button", name="Create record").click()
        expect(form).to_be_hidden()
        expect(_grid(page, "gadgets").get_by_role("row")).to_have_count(2)

        page.get_by_role("button", name="Edit record 1", exact=True).click()
        form.get_by_label("name", exact=True).fill("Widget 2000")
        form.get_by_role("button", name="Save").click()
        expect(form.get_by_test_id("error-name")).to_have_text("Enter at most 10 characters")
        form.get_by_label("name", exact=True).fill("Gizmo")
        form.get_by_label("price", exact=True).fill("99999")
        form.get_by_role("button", name="Save").click()
        expect(form.get_by_test_id("error-price")).to_contain_text(
            "at most 4 digits before the decimal point"
        )
        form.get_by_label("price", exact=True).fill("9.99")
        form.get_by_label("note is NULL").uncheck()
        form.get_by_role("button", name="Save").click()
        expect(form).to_be_hidden()

        db = sa.create_engine(url)
        with db.connect() as conn:
            row = conn.execute(sa.select(gadgets)).mappings().one()
        db.dispose()
        assert (row["name"], str(row["price"]), row["kind_id"], row["note"]) == ("Gizmo", "9.99", 2, "")
        assert bool(row["active"]) is True  # left to the column's default
        assert row["made_at"].isoformat() == "2026-11-30T10:20:00"
        meta = row["meta"] if not isinstance(row["meta"], str) else json.loads(row["meta"])
        assert meta == {"a": [1, 2]}


def test_the_selected_rows_are_deleted_together_after_confirming(
    page, spa, live_server, api, screens, tmp_path
):
    service, path = _service(live_server, api, tmp_path)
    log_in(page, spa.url, live_server, screens)
    _open_table(page, spa, service, "employees")
    grid = _grid(page)
    delete = page.get_by_role("button", name=re.compile("^Delete selected"))
    expect(delete).to_be_disabled()
    for index in (1, 2, 4):
        grid.get_by_role("checkbox", name=f"Select row {index}", exact=True).check()
    expect(delete).to_have_text("Delete selected (3)")
    delete.click()
    dialog = page.get_by_test_id("confirm")
    expect(dialog).to_contain_text("Delete 3 records from employees?")
    dialog.get_by_role("button", name="Delete").click()
    expect(page.get_by_test_id("pager-status")).to_have_text("1–25 of 197")
    assert _rows(path, "SELECT id FROM employees WHERE id IN (1, 2, 3, 4)") == [(3,)]

    # "Select all" takes the rows of this page only.
    page.get_by_label("Rows per page").select_option("10")
    grid.get_by_role("checkbox", name="Select all rows on this page").check()
    expect(delete).to_have_text("Delete selected (10)")


def test_null_is_shown_apart_from_an_empty_string(page, spa, live_server, api, screens, tmp_path):
    service, _ = _service(live_server, api, tmp_path, NOTES)
    log_in(page, spa.url, live_server, screens)
    _open_table(page, spa, service, "notes")
    rows = _grid(page, "notes").get_by_role("row")
    body = {1: rows.nth(1).get_by_role("cell").nth(2), 2: rows.nth(2).get_by_role("cell").nth(2)}
    expect(body[1].get_by_test_id("null")).to_have_text("NULL")
    expect(body[1].get_by_test_id("null")).to_have_attribute("title", "NULL: no value")
    expect(body[2]).to_have_text("")
    expect(body[2].get_by_test_id("null")).to_have_count(0)
    expect(rows.nth(3).get_by_role("cell").nth(3).get_by_test_id("null")).to_have_count(1)
    screens.snap("nulls")

    # The form keeps them apart too, and an empty string can be made NULL.
    page.get_by_role("button", name="Edit record 2", exact=True).click()
    form = page.get_by_test_id("record-form")
    expect(form.get_by_label("body is NULL")).not_to_be_checked()
    form.get_by_label("body is NULL").check()
    form.get_by_role("button", name="Save").click()
    expect(body[2].get_by_test_id("null")).to_have_count(1)
    page.get_by_role("button", name="Edit record 1", exact=True).click()
    expect(form.get_by_label("body is NULL")).to_be_checked()
    expect(form.get_by_label("body", exact=True)).to_have_value("")
    expect(form.get_by_label("body", exact=True)).to_have_attribute("placeholder", "NULL")
    # Typing into a NULL column gives it the value.
    form.get_by_label("body", exact=True).fill("now text")
    expect(form.get_by_label("body is NULL")).not_to_be_checked()


def test_the_whole_header_cell_sorts(page, spa, live_server, api, screens, tmp_path):
    service, path = _service(live_server, api, tmp_path)
    log_in(page, spa.url, live_server, screens)
    _open_table(page, spa, service, "employees")
    # Measured once the rows are in, when the columns have their final widths.
    expect(page.get_by_test_id("pager-status")).to_have_text("1–25 of 200")
    header = _grid(page).get_by_role("columnheader", name="salary")
    box = header.bounding_box()
    assert box is not None
    # Far from the label: the right edge and the bottom of the cell.
    header.click(position={"x": box["width"] - 3, "y": box["height"] - 3})
    expect(header).to_have_attribute("aria-sort", "ascending")
    [(low, high)] = _rows(path, "SELECT min(salary), max(salary) FROM employees")
    salary = _grid(page).get_by_role("row").nth(1).get_by_role("cell").nth(7)
    expect(salary).to_have_text(f"{low:.2f}")
    header.click(position={"x": 3, "y": 3})
    expect(header).to_have_attribute("aria-sort", "descending")
    expect(salary).to_have_text(f"{high:.2f}")
    # page.url follows the browser's events a moment later: the retrying assertion waits for it.
    expect(page).to_have_url(re.compile(r"[?&]sort=-salary(&|$)"))
    header.get_by_role("button").press("Enter")
    expect(header).not_to_have_attribute("aria-sort", re.compile("."))
    id_header = _grid(page).get_by_role("columnheader", name="id", exact=True)
    expect(id_header).not_to_have_attribute("aria-sort", re.compile("."))


def test_the_record_form_asks_before_throwing_typed_values_away(
    page, spa, live_server, api, screens, tmp_path
):
    service, path = _service(live_server, api, tmp_path, NOTES)
    log_in(page, spa.url, live_server, screens)
    _open_table(page, spa, service, "notes")
    page.get_by_role("button", name="Edit record 3", exact=True).click()
    form, confirm = page.get_by_test_id("record-form"), page.get_by_test_id("confirm")
    page.keyboard.press("Escape")
    expect(form).to_be_hidden()  # nothing typed: nothing to lose
    page.get_by_role("button", name="Edit record 3", exact=True).click()
    form.get_by_label("body", exact=True).fill("typed")
    page.keyboard.press("Escape")
    expect(confirm).to_contain_text("lose the values you entered")
    confirm.get_by_role("button", name="Cancel").click()
    expect(form.get_by_label("body", exact=True)).to_have_value("typed")
    form.get_by_role("button", name="Close").click()
    confirm.get_by_role("button", name="Discard").click()
    expect(form).to_be_hidden()
    assert _rows(path, "SELECT body FROM notes WHERE id = 3") == [("text",)]


def test_views_are_read_only_and_a_bad_sort_in_the_url_can_be_left(
    page, spa, live_server, api, screens, tmp_path
):
    service, _ = _service(live_server, api, tmp_path)
    log_in(page, spa.url, live_server, screens)
    _open_table(page, spa, service, "active_employees")
    expect(page.get_by_test_id("read-only")).to_contain_text("This is a view")
    expect(page.get_by_role("button", name="New record")).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile("^Edit record"))).to_have_count(0)
    expect(_grid(page, "active_employees").get_by_role("checkbox")).to_have_count(0)

    _open_table(page, spa, service, "employees", "?sort=-no_such_column&page=3")
    expect(page.get_by_test_id("grid-error")).to_contain_text("no_such_column")
    expect(page.get_by_test_id("pager-status")).to_have_count(0)
    page.get_by_role("button", name="Show the first page unsorted").click()
    expect(page.get_by_test_id("pager-status")).to_have_text("1–25 of 200")


def _centre(locator) -> float:
    box = locator.bounding_box()
    assert box is not None
    return box["y"] + box["height"] / 2


def _assert_in_line(page: Page) -> None:
    line = _centre(page.get_by_label("Filter", exact=True))
    for name in ("Apply", "Clear"):
        assert abs(_centre(page.get_by_role("button", name=name, exact=True)) - line) < 2, name


@pytest.mark.parametrize("width", [1280, 390])
def test_a_bad_filter_shows_only_its_error_with_the_position_marked(
    page, spa, live_server, api, screens, tmp_path, width
):
    page.set_viewport_size({"width": width, "height": 800})
    service, _ = _service(live_server, api, tmp_path)
    log_in(page, spa.url, live_server, screens)
    _open_table(page, spa, service, "employees")
    expect(page.get_by_test_id("pager-status")).to_have_text("1–25 of 200")
    _assert_in_line(page)

    # Not after an unquoted value: DreamFactory's unquoted values run to the next and/or (`5 andd id = 1`).
    bad = "last_name = 'K' andd id = 1"
    page.get_by_label("Filter", exact=True).fill(bad)
    page.get_by_role("button", name="Apply").click()
    error = page.get_by_test_id("error-filter")
    expect(error).to_have_text("Invalid filter at position 17: expected 'and', 'or' or the end, found 'andd'")
    expect(page.get_by_test_id("filter-position").locator("mark")).to_have_text("a")
    expect(page.get_by_test_id("filter-position")).to_contain_text(bad)
    selection = page.get_by_label("Filter", exact=True).evaluate("e => [e.selectionStart, e.selectionEnd]")
    assert selection == [16, 17]
    expect(page.get_by_label("Filter", exact=True)).to_be_focused()
    expect(page.get_by_label("Filter", exact=True)).to_have_attribute("aria-invalid", "true")
    # Only the error: no empty grid, no "no row matches", no "0–0".
    expect(page.get_by_text("No row matches the filter")).to_have_count(0)
    expect(page.get_by_test_id("pager-status")).to_have_count(0)
    expect(_grid(page)).to_have_count(0)
    _assert_in_line(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    screens.snap(f"bad-filter-{width}")

    page.get_by_role("button", name="Clear").click()
    expect(error).to_have_count(0)
    expect(page.get_by_test_id("pager-status")).to_have_text("1–25 of 200")


def test_the_grid_at_phone_width_keeps_the_page_narrow_and_rows_editable(
    page, spa, live_server, api, screens, tmp_path
):
    page.set_viewport_size({"width": 390, "height": 844})
    service, path = _service(live_server, api, tmp_path)
    log_in(page, spa.url, live_server, screens)
    _open_table(page, spa, service, "employees")
    expect(page.get_by_test_id("pager-status")).to_have_text("1–25 of 200")
    # The grid scrolls inside its frame; the page itself never gets wider than the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # The row's actions stay at the frame's right edge, in view, however wide the row is.
    for name in ("Edit record 3", "Delete record 3"):
        box = page.get_by_role("button", name=name, exact=True).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, (name, box)
    expect(page.get_by_role("button", name="Edit record 3", exact=True)).to_be_in_viewport()
    page.get_by_role("button", name="Edit record 3", exact=True).click()
    form = page.get_by_test_id("record-form")
    box = form.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    form.get_by_label("first_name", exact=True).fill("Phone")
    screens.snap("phone-form")
    form.get_by_role("button", name="Save").click()
    expect(form).to_be_hidden()
    assert _rows(path, "SELECT first_name FROM employees WHERE id = 3") == [("Phone",)]


def test_filter_sort_page_and_size_live_in_the_url(page, spa, live_server, api, screens, tmp_path):
    service, _ = _service(live_server, api, tmp_path)
    log_in(page, spa.url, live_server, screens)
    _open_table(page, spa, service, "employees")
    status = page.get_by_test_id("pager-status")
    expect(status).to_have_text("1–25 of 200")
    where = "salary > 50000 and last_name like '%a%'"
    page.get_by_label("Filter", exact=True).fill(where)
    page.get_by_role("button", name="Apply").click()
    expect(status).not_to_have_text("1–25 of 200")
    matching = int(status.inner_text().split(" of ")[1])
    page.get_by_label("Rows per page").select_option("10")
    _grid(page).get_by_role("columnheader", name="email").click()
    page.get_by_role("button", name="Next").click()
    expect(status).to_have_text(f"11–20 of {matching}")
    first = _grid(page).get_by_role("row").nth(1).get_by_role("cell").nth(1).inner_text()
    expect(page).to_have_url(
        re.compile(r"(?=.*[?&]page=2)(?=.*[?&]size=10)(?=.*[?&]sort=email)(?=.*[?&]filter=)")
    )

    def same_state():
        expect(status).to_have_text(f"11–20 of {matching}")
        expect(page.get_by_label("Filter", exact=True)).to_have_value(where)
        expect(page.get_by_label("Rows per page")).to_have_value("10")
        header = _grid(page).get_by_role("columnheader", name="email")
        expect(header).to_have_attribute("aria-sort", "ascending")
        expect(_grid(page).get_by_role("row").nth(1).get_by_role("cell").nth(1)).to_have_text(first)

    page.reload()
    same_state()
    page.get_by_role("link", name=service, exact=True).click()
    expect(page.get_by_role("heading", name=f"Tables of {service}")).to_be_visible()
    page.go_back()
    same_state()
    # Each change was a step in the history: Back returns to the first page.
    page.go_back()
    expect(status).to_have_text(f"1–10 of {matching}")


def test_the_table_list_keeps_its_search_and_page_in_the_url(page, spa, live_server, api, screens, tmp_path):
    service, _ = _service(live_server, api, tmp_path)
    log_in(page, spa.url, live_server, screens)
    page.goto(f"{spa.url}#/services/{quote(service, safe='')}/tables")
    tables = page.get_by_role("table", name=f"Tables of {service}")
    expect(tables.get_by_role("link", name="departments", exact=True)).to_be_visible()
    page.get_by_label("Filter tables").fill("emp")
    expect(tables.get_by_role("link")).to_have_count(2)  # employees, active_employees
    expect(page).to_have_url(re.compile(r"/tables\?filter=emp$"))
    page.reload()
    expect(page.get_by_label("Filter tables")).to_have_value("emp")
    expect(tables.get_by_role("link")).to_have_count(2)
    tables.get_by_role("link", name="employees", exact=True).click()
    expect(page.get_by_role("heading", name="employees", exact=True)).to_be_visible()
    page.go_back()
    expect(page.get_by_label("Filter tables")).to_have_value("emp")
    expect(tables.get_by_role("link")).to_have_count(2)
    page.get_by_label("Rows per page").select_option("10")
    expect(page).to_have_url(re.compile(r"/tables\?filter=emp&size=10$"))
    page.go_back()
    expect(page.get_by_label("Rows per page")).to_have_value("50")
    expect(page.get_by_label("Filter tables")).to_have_value("emp")
    # Typing replaced the list's entry rather than adding one per letter: one more Back leaves the list.
    page.go_back()
    expect(page.get_by_role("heading", name="Home")).to_be_visible()


SLASH = "a/b"  # the platform routes an encoded slash as part of the name (api/table_path.py)


@pytest.mark.parametrize("name", [SLASH, *SPECIAL_TABLES[1:]])
def test_tables_with_url_special_names_are_encoded_in_every_call_and_route(
    page, spa, live_server, api, screens, tmp_path, name
):
    sql = (
        f'CREATE TABLE "{name}" (id INTEGER PRIMARY KEY, label TEXT); INSERT INTO "{name}" VALUES (1, NULL);'
    )
    service, path = _service(live_server, api, tmp_path, sql)
    calls: list[str] = []
    page.on("request", lambda r: calls.append(r.url) if "/_table/" in r.url or "/_schema/" in r.url else None)
    log_in(page, spa.url, live_server, screens)
    page.goto(f"{spa.url}#/services/{quote(service, safe='')}/tables?x=1")
    page.get_by_role("link", name=name, exact=True).click()
    expect(page.get_by_role("heading", name=name, exact=True)).to_be_visible()
    expect(page).to_have_url(re.compile(re.escape("/tables/" + quote(name, safe="")) + "$"))
    try:
        expect(_grid(page, name).get_by_role("row")).to_have_count(2)
        page.get_by_role("button", name="Edit record 1", exact=True).click()
        page.get_by_test_id("record-form").get_by_label("label is NULL").uncheck()
        page.get_by_test_id("record-form").get_by_label("label", exact=True).fill(f"edited {name}")
        page.get_by_role("button", name="Save").click()
        expect(_grid(page, name).get_by_role("row").nth(1)).to_contain_text(f"edited {name}")
        # The grid's own query in the route does not disturb the table's name.
        page.get_by_label("Filter", exact=True).fill("id = 1")
        page.get_by_role("button", name="Apply").click()
        expect(page.get_by_test_id("pager-status")).to_have_text("1–1 of 1")
        page.reload()
        expect(page.get_by_test_id("pager-status")).to_have_text("1–1 of 1")
        assert _rows(path, f'SELECT label FROM "{name}"') == [(f"edited {name}",)]
    finally:
        assert calls
        for url in calls:
            assert url.split("?")[0].rsplit("/", 1)[1] == quote(name, safe=""), url


def test_screenshot_of_the_table_editor(page, spa, live_server, api, screens, tmp_path):
    """Not a check: a picture of the editor over a filtered, sorted grid, for a person to look at."""
    page.set_viewport_size({"width": 1280, "height": 900})
    service, _ = _service(live_server, api, tmp_path, NOTES)
    log_in(page, spa.url, live_server, screens)
    _open_table(page, spa, service, "employees", "?filter=department_id%20is%20null&sort=-salary")
    expect(page.get_by_test_id("pager-status")).to_have_text("1–10 of 10")
    _grid(page).get_by_role("checkbox", name="Select row 2", exact=True).check()
    folder = ARTIFACTS / "table-editor"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / "grid.png"), full_page=True)
    page.get_by_role("button", name=re.compile("^Edit record")).first.click()
    page.get_by_test_id("record-form").get_by_label("salary", exact=True).fill("x")
    page.get_by_role("button", name="Save").click()
    page.screenshot(path=str(folder / "editor.png"), full_page=True)
    page.get_by_role("button", name="Cancel").click()
    page.get_by_test_id("confirm").get_by_role("button", name="Discard").click()
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(folder / "grid-390.png"), full_page=True)
    page.get_by_role("button", name=re.compile("^Edit record")).first.click()
    page.screenshot(path=str(folder / "editor-390.png"))
